import * as fs from 'node:fs';
import * as path from 'node:path';

import { FluxOpsError } from '../../errors';
import type { BenchModule } from './types';

/** The benchmark command line is wrong: `argument` is the offending flag or name. */
export class BenchArgsError extends FluxOpsError {
  override readonly name = 'BenchArgsError';
  constructor(readonly argument: string, message: string) {
    super('bench-args', message);
  }
}

/** The command line of `bench/report.ts`. */
export interface ReportArgs {
  readonly quick: boolean;
  readonly only?: readonly string[];
  readonly out: string;
  readonly list: boolean;
  /** Positional names of the single-figure scripts (`bench/<name>.ts`), run as they are, without the table. */
  readonly scripts: readonly string[];
  /** `--combine a.json b.json`: write one report from earlier runs' JSON reports instead of measuring. */
  readonly combine?: readonly string[];
}

/** The standalone benchmark scripts in bench/ (each prints its own figures in more detail). */
export function standaloneScripts(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'report.ts').map((f) => f.slice(0, -3));
}

/** Parses the command line; an unknown flag or name is an error naming it. */
export function parseArgs(argv: readonly string[], modules: readonly BenchModule[], scriptNames: readonly string[], defaultOut: string): ReportArgs {
  let quick = false;
  let list = false;
  let out = defaultOut;
  const only: string[] = [];
  const scripts: string[] = [];
  const combine: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--list') list = true;
    else if (a === '--combine') {
      while (argv[i + 1] && !argv[i + 1]!.startsWith('--')) combine.push(path.resolve(argv[++i]!));
      if (combine.length === 0) throw new BenchArgsError(a, '--combine needs JSON reports');
    }
    else if (a === '--only' || a === '--out') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new BenchArgsError(a, `${a} needs a value`);
      if (a === '--out') out = path.resolve(v);
      else only.push(...v.split(',').map((s) => s.trim()).filter(Boolean));
    } else if (a.startsWith('--only=')) only.push(...a.slice(7).split(',').filter(Boolean));
    else if (!a.startsWith('-')) (modules.some((m) => m.name === a) || !scriptNames.includes(a) ? only : scripts).push(a);
    else throw new BenchArgsError(a, `unknown option ${a} (options: --quick, --only <names>, --out <dir>, --list)`);
  }
  const names = new Set(modules.map((m) => m.name));
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length) throw new BenchArgsError(unknown.join(','), `unknown benchmark ${unknown.join(', ')} (modules: ${[...names].join(', ')}; scripts: ${scriptNames.join(', ')})`);
  return { quick, list, out, scripts, ...(only.length ? { only } : {}), ...(combine.length ? { combine } : {}) };
}

