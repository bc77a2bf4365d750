/**
 * `npm run bench`: runs every benchmark module and prints one table (each figure next to the
 * baseline measured in the same run and its goal), and writes it as Markdown and JSON under
 * bench/results/ with the date, the machine, its load and the tool versions, plus the apply-time
 * plot (bench/results/apply-time.svg).
 *
 *   npm run bench                          every module, full sizes
 *   npm run bench -- --quick               smaller sizes, fewer repeats
 *   npm run bench -- --only apply,synth    a subset (names: see --list)
 *   npm run bench -- --out <dir>           another results directory
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { readVersions } from '../toolchain/locate';
import { applyModule } from './modules/apply';
import { clusterStartModule } from './modules/cluster-start';
import { gitopsModule } from './modules/gitops';
import { synthModule } from './modules/synth';
import { tagsModule } from './modules/tags';
import { applyTimeSvg, firstLine, gitDescribe, judge, machineInfo, markdownReport, textTable, type BenchModule, type BenchReport, type BenchRow, type PlotPoint } from './harness';

/** Every module, in the order they run (cheap ones first, so a short session still gets them). */
export const MODULES: readonly BenchModule[] = [synthModule, tagsModule, clusterStartModule, applyModule, gitopsModule];

/** The command line of `bench/report.ts`. */
export interface ReportArgs {
  readonly quick: boolean;
  readonly only?: readonly string[];
  readonly out: string;
  readonly list: boolean;
}

/** Parses the command line; an unknown flag or module name is an error naming it. */
export function parseArgs(argv: readonly string[], modules: readonly BenchModule[] = MODULES): ReportArgs {
  let quick = false;
  let list = false;
  let out = path.join(__dirname, 'results');
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--list') list = true;
    else if (a === '--only' || a === '--out') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new Error(`${a} needs a value`);
      if (a === '--out') out = path.resolve(v);
      else only.push(...v.split(',').map((s) => s.trim()).filter(Boolean));
    } else if (a.startsWith('--only=')) only.push(...a.slice(7).split(',').filter(Boolean));
    else if (!a.startsWith('-')) only.push(a);
    else throw new Error(`unknown option ${a} (options: --quick, --only <names>, --out <dir>, --list)`);
  }
  const names = new Set(modules.map((m) => m.name));
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')} (benchmarks: ${[...names].join(', ')})`);
  return { quick, list, out, ...(only.length ? { only } : {}) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const m of MODULES) console.log(`${m.name.padEnd(14)} ${m.description}`);
    return;
  }
  const selected = MODULES.filter((m) => !args.only || args.only.includes(m.name));
  const started = new Date();
  const machine = machineInfo(started);
  const toolchain = readVersions();
  const versions: Record<string, string> = {
    fluxops: gitDescribe(path.join(__dirname, '..')),
    node: process.version,
    kubectl: toolchain.K8S_VERSION ?? 'unknown',
    pulumi: toolchain.PULUMI_VERSION ?? 'unknown',
    'pulumi-kubernetes': toolchain.PULUMI_K8S_VERSION ?? 'unknown',
  };
  const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  const rows: BenchRow[] = [];
  const plot: PlotPoint[] = [];
  const notes: Record<string, readonly string[]> = {};
  const modules: Array<{ name: string; seconds: number; error?: string }> = [];
  log(`${selected.length} benchmarks (${args.quick ? 'quick' : 'full'}), ${machine.cpus} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const m of selected) {
    log(`${m.name}: ${m.description}`);
    const t = performance.now();
    try {
      const r = await m.run({ quick: args.quick, log: (s) => log(`${m.name}: ${s}`) });
      rows.push(...r.rows);
      plot.push(...(r.plot ?? []));
      if (r.notes?.length) notes[m.name] = r.notes;
      Object.assign(versions, r.versions ?? {});
      modules.push({ name: m.name, seconds: (performance.now() - t) / 1000 });
    } catch (err) {
      // One failed benchmark must not hide the others' figures; the failure is in the results.
      const error = firstLine(err);
      log(`${m.name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      rows.push({ name: `${m.name}: ${m.description}`, value: null, unit: 'count', skipped: `failed: ${error}` });
      modules.push({ name: m.name, seconds: (performance.now() - t) / 1000, error });
    }
  }
  const report: BenchReport = {
    machine: { ...machine, loadEnd: os.loadavg() },
    versions,
    mode: args.quick ? 'quick' : 'full',
    modules,
    rows: judge(rows),
    plot,
    notes,
  };
  console.log('');
  console.log(textTable(report.rows));
  fs.mkdirSync(args.out, { recursive: true });
  const stamp = started.toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const suffix = args.only ? `-${args.only.join('+')}` : '';
  const base = path.join(args.out, `${stamp}${args.quick ? '-quick' : ''}${suffix}`);
  fs.writeFileSync(`${base}.md`, markdownReport(report));
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const written = [`${base}.md`, `${base}.json`];
  if (plot.length) {
    const svg = path.join(args.out, 'apply-time.svg');
    const load = report.machine.loadStart[0]!.toFixed(1);
    fs.writeFileSync(svg, applyTimeSvg(plot, { title: 'First apply time vs object count', subtitle: `${started.toISOString().slice(0, 16)}Z, ${machine.cpus} CPUs, load ${load}; local edge cluster, same run` }));
    written.push(svg);
  }
  console.log('');
  console.log(`written: ${written.map((w) => path.relative(process.cwd(), w)).join(', ')}`);
  if (modules.some((m) => m.error)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
