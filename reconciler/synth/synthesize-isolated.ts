import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { IMAGE_LOCK_FILE, type SynthFlavor } from '../../constructs';
import type { LockMode, SiteSynthData, SynthPayload, SynthProblem, SynthRequest, SynthResponse, SynthStage } from './protocol';
import { SYNTH_PROTOCOL } from './protocol';
import { SynthesisError, describeSource, type SynthFailureKind, type SynthSource } from './synthesis-error';

/** Variables fleet code may read besides `FLEET_*` ones: none of them can carry a deploy credential. */
const BASE_ENV = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ'] as const;
/** Prefix of the variables passed through to fleet code (documented: never put secrets in them). */
export const FLEET_ENV_PREFIX = 'FLEET_';

/** Options of {@link synthesizeIsolated}. */
export interface IsolatedSynthOptions {
  /** Config repository checkout (holds fleet.ts and fluxops.lock.yaml). */
  readonly configDir: string;
  /** Repository URL/name and commit, for messages. @default the directory, and its `git rev-parse HEAD` if it is a checkout */
  readonly repo?: string;
  readonly commit?: string;
  /** Entry file. @default fleet.ts, fleet.js or fleet.cjs */
  readonly entry?: string;
  /** Site to render. @default the only site */
  readonly site?: string;
  /** Render every site. */
  readonly allSites?: boolean;
  /** @default 'plain' */
  readonly flavor?: SynthFlavor;
  /** @default 'strict' */
  readonly lockMode?: LockMode;
  /** @default fluxops.lock.yaml */
  readonly lockFile?: string;
  /** Time limit. @default 60000 */
  readonly timeoutMs?: number;
  /** V8 heap limit of the child. @default 384 */
  readonly heapMb?: number;
  /** Resident memory limit of the child, checked while it runs. @default 768 */
  readonly rssMb?: number;
  /** Largest answer accepted. @default 64 MiB */
  readonly maxOutputBytes?: number;
  /** Environment the `FLEET_*` variables are taken from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra variables for fleet code (names must start with FLEET_). */
  readonly fleetEnv?: Readonly<Record<string, string>>;
  /** A pool of pre-spawned children (long-running processes); used when its environment fits. */
  readonly pool?: SynthPool;
}

/** A successful isolated synthesis. */
export interface IsolatedSynthResult extends SynthPayload {
  readonly source: SynthSource;
  /** What the fleet printed on stdout/stderr (captured, never mixed into manifests; bounded). */
  readonly fleetOutput: string;
  /** Wall time of the child, ms. */
  readonly durationMs: number;
  /** The result for one site (the requested one; the only one without `allSites`). */
  site(name?: string): SiteSynthData;
}

const CHILD_MAIN = path.join(__dirname, 'child-main.ts');
const OUTPUT_CAP = 64 * 1024;

/**
 * Synthesizes a config repository in a child process — the one path by which FluxOps runs
 * config-repository code (CLI `synth`/`up`/`preview`, the Pulumi program, the reconciler):
 *
 * - a new Node process per call, so the code of the commit at hand is loaded, never a cached module;
 * - an allow-listed environment (PATH, locale, TZ and `FLEET_*`), a throwaway HOME and TMPDIR:
 *   no kubeconfig, Pulumi passphrase, backend or registry credential is visible;
 * - a time limit, a heap limit and a resident-memory limit; the process group is killed on excess;
 * - the answer travels on its own pipe, so anything the fleet prints is captured apart.
 *
 * @throws SynthesisError naming the repository and commit, with the problems (construct path,
 *   field, value; or lock field), for every failure: nothing derived from a failed synthesis exists.
 */
export async function synthesizeIsolated(opts: IsolatedSynthOptions): Promise<IsolatedSynthResult> {
  const configDir = path.resolve(opts.configDir);
  const commit = opts.commit ?? headCommit(configDir);
  const source: SynthSource = { configDir, ...(opts.repo ? { repo: opts.repo } : {}), ...(commit ? { commit } : {}) };
  const lockFile = opts.lockFile ?? IMAGE_LOCK_FILE;
  const request: SynthRequest = {
    protocol: SYNTH_PROTOCOL,
    configDir,
    ...(opts.entry ? { entry: opts.entry } : {}),
    ...(opts.site !== undefined ? { site: opts.site } : {}),
    ...(opts.allSites ? { allSites: true } : {}),
    flavor: opts.flavor ?? 'plain',
    lockFile,
    lockMode: opts.lockMode ?? 'strict',
    lockSource: source.commit || source.repo ? `${source.repo ?? configDir}@${(source.commit ?? 'working tree').slice(0, 12)}:${lockFile}` : path.join(configDir, lockFile),
  };
  if (!fs.existsSync(configDir) || !fs.statSync(configDir).isDirectory()) {
    throw new SynthesisError('load-failed', source, `${configDir} is not a directory`);
  }
  const child = opts.pool?.fits(opts) ? opts.pool.take() : undefined;
  const home = child?.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-synth-'));
  const started = Date.now();
  try {
    const heapMb = opts.heapMb ?? 384;
    const outcome = await (child ?? SynthChild.spawn(childEnv(opts.env ?? process.env, opts.fleetEnv ?? {}, home), heapMb, home)).run(request, {
      timeoutMs: opts.timeoutMs ?? 60_000,
      heapMb,
      rssMb: opts.rssMb ?? 768,
      maxOutputBytes: opts.maxOutputBytes ?? 64 * 1024 * 1024,
    });
    const durationMs = Date.now() - started;
    const response = interpret(outcome, source);
    if (!response.ok) {
      throw new SynthesisError(kindOf(response.stage, response.error.code), source, summaryOf(response.stage, response.error), response.error.problems, outcome.output);
    }
    const payload = response.payload;
    return {
      ...payload,
      source,
      fleetOutput: outcome.output,
      durationMs,
      site(name?: string): SiteSynthData {
        const found = name === undefined ? (payload.results.length === 1 ? payload.results[0] : undefined) : payload.results.find((r) => r.site === name);
        if (!found) {
          throw new SynthesisError('invalid-fleet', source, name === undefined ? `the synthesis has ${payload.results.length} sites; choose one` : `site ${name} was not synthesized (sites: ${payload.sites.join(', ') || 'none'})`);
        }
        return found;
      },
    };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

interface ChildOutcome {
  readonly answer?: Buffer;
  readonly answerTooLarge: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly overMemory?: number;
  readonly output: string;
  readonly limits: { timeoutMs: number; heapMb: number; rssMb: number; maxOutputBytes: number };
}

/** A synthesis child process: spawned (and loading FluxOps) before it is given its one request. */
export class SynthChild {
  /** Spawns a child; it loads FluxOps and the TypeScript compiler, then waits for a request on stdin. */
  static spawn(env: NodeJS.ProcessEnv, heapMb: number, home: string): SynthChild {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, '--require', require.resolve('ts-node/register/transpile-only'), CHILD_MAIN], {
      cwd: home,
      env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      // Own process group: whatever the fleet spawns dies with it.
      detached: true,
    });
    return new SynthChild(child, home, heapMb);
  }

  private output = '';
  private outputDropped = 0;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly closed: Promise<void>;
  private used = false;

  private constructor(
    private readonly child: import('node:child_process').ChildProcess,
    /** The child's throwaway HOME and TMPDIR (removed after its run). */
    readonly home: string,
    readonly heapMb: number,
  ) {
    const capture = (chunk: Buffer) => {
      const room = OUTPUT_CAP - this.output.length;
      if (room > 0) this.output += chunk.toString('utf8').slice(0, room);
      if (chunk.length > room) this.outputDropped += chunk.length - Math.max(room, 0);
    };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    child.stdin!.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      });
      child.on('error', () => {
        this.exited ??= { code: -1, signal: null };
        resolve();
      });
    });
  }

  /** Whether the child is still waiting for a request. */
  get ready(): boolean {
    return !this.used && this.exited === undefined;
  }

  /** Kills the child and its process group. */
  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Gives the child its request and waits for the answer, within the limits. */
  run(request: SynthRequest, o: { timeoutMs: number; heapMb: number; rssMb: number; maxOutputBytes: number }): Promise<ChildOutcome> {
    this.used = true;
    const child = this.child;
    return new Promise((resolve) => {
      const answer: Buffer[] = [];
      let answerBytes = 0;
      // Why the child ended: the first of these decides (a pipe closed by a kill is not an answer).
      let ended: 'answered' | 'timeout' | 'memory' | 'size' | undefined;
      let overMemory: number | undefined;
      const resultPipe = child.stdio[3] as NodeJS.ReadableStream;
      resultPipe.on('data', (chunk: Buffer) => {
        if (ended) return;
        answerBytes += chunk.length;
        if (answerBytes > o.maxOutputBytes) {
          ended = 'size';
          this.kill();
          return;
        }
        answer.push(chunk);
      });
      resultPipe.on('end', () => {
        if (ended) return;
        ended = 'answered';
        // The answer is complete: the child has nothing more to do (timers the fleet left would keep it alive).
        setTimeout(() => this.kill(), 200).unref();
      });
      resultPipe.on('error', () => undefined);
      const timer = setTimeout(() => {
        if (ended) return;
        ended = 'timeout';
        this.kill();
      }, o.timeoutMs);
      const memoryWatch = setInterval(() => {
        const rss = residentMb(child.pid!);
        if (!ended && rss !== undefined && rss > o.rssMb) {
          ended = 'memory';
          overMemory = rss;
          this.kill();
        }
      }, 100);
      void this.closed.then(() => {
        clearTimeout(timer);
        clearInterval(memoryWatch);
        this.kill(); // anything the fleet spawned into the group
        if (this.outputDropped > 0) this.output += `\n[... ${this.outputDropped} more bytes of fleet output dropped]`;
        resolve({
          ...(ended === 'answered' ? { answer: Buffer.concat(answer) } : {}),
          answerTooLarge: ended === 'size',
          code: this.exited?.code ?? null,
          signal: this.exited?.signal ?? null,
          timedOut: ended === 'timeout',
          ...(ended === 'memory' && overMemory !== undefined ? { overMemory } : {}),
          output: this.output,
          limits: o,
        });
      });
      child.stdin!.end(JSON.stringify(request));
    });
  }
}

/**
 * Keeps one synthesis child spawned ahead of need, so a new commit is synthesized by a process
 * that already loaded FluxOps and the TypeScript compiler (seconds saved on small machines). Each
 * child serves exactly one request — fleet code never runs twice in one module cache — and the
 * next one is spawned right after. For long-running processes (the reconciler); the environment
 * (FLEET_* variables) is fixed for the pool's lifetime.
 */
export class SynthPool {
  private warm: SynthChild | undefined;
  private closed = false;

  constructor(private readonly opts: { readonly env?: NodeJS.ProcessEnv; readonly fleetEnv?: Readonly<Record<string, string>>; readonly heapMb?: number } = {}) {}

  /** The warm child (spawning one when there is none), replaced by a fresh one for the next call. */
  take(): SynthChild {
    const child = this.warm?.ready ? this.warm : this.spawn();
    this.warm = undefined;
    if (!this.closed) setImmediate(() => this.refill());
    return child;
  }

  /** Whether a call with these options may use this pool's children. */
  fits(opts: IsolatedSynthOptions): boolean {
    return (opts.heapMb ?? 384) === (this.opts.heapMb ?? 384) && sameEnv(opts.fleetEnv ?? {}, this.opts.fleetEnv ?? {}) && (opts.env === undefined || opts.env === this.opts.env);
  }

  /** Spawns the warm child now (otherwise on first use). */
  refill(): void {
    if (this.closed || this.warm?.ready) return;
    this.warm = this.spawn();
  }

  /** Kills the warm child. */
  close(): void {
    this.closed = true;
    if (this.warm) {
      this.warm.kill();
      fs.rmSync(this.warm.home, { recursive: true, force: true });
    }
    this.warm = undefined;
  }

  private spawn(): SynthChild {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-synth-'));
    return SynthChild.spawn(childEnv(this.opts.env ?? process.env, this.opts.fleetEnv ?? {}, home), this.opts.heapMb ?? 384, home);
  }
}

function sameEnv(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function interpret(outcome: ChildOutcome, source: SynthSource): SynthResponse {
  const fail = (kind: SynthFailureKind, summary: string): never => {
    throw new SynthesisError(kind, source, summary, [], outcome.output);
  };
  if (outcome.timedOut) fail('timeout', `the fleet did not finish within ${outcome.limits.timeoutMs / 1000} s (an endless loop or a hanging call?); nothing was applied`);
  if (outcome.overMemory !== undefined) fail('out-of-memory', `the fleet used ${outcome.overMemory} MiB, over the ${outcome.limits.rssMb} MiB limit; nothing was applied`);
  if (outcome.answerTooLarge) fail('invalid-output', `the synthesis result exceeded ${Math.round(outcome.limits.maxOutputBytes / 1048576)} MiB; nothing was applied`);
  if (outcome.answer === undefined || outcome.answer.length === 0) {
    if (/JavaScript heap out of memory|Reached heap limit|Allocation failed/.test(outcome.output)) {
      fail('out-of-memory', `the fleet exceeded the ${outcome.limits.heapMb} MiB heap limit; nothing was applied`);
    }
    if (outcome.signal) fail('crashed', `the synthesis process was killed by ${outcome.signal} before answering; nothing was applied`);
    fail(outcome.code === 0 ? 'exited' : 'crashed', `the fleet ended the synthesis process (exit code ${outcome.code}) before it answered${outcome.code === 0 ? ' (process.exit in fleet code?)' : ''}; nothing was applied`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(outcome.answer!.toString('utf8'));
  } catch {
    fail('invalid-output', 'the synthesis process answered with malformed JSON; nothing was applied');
  }
  const r = parsed as Partial<SynthResponse> | null;
  if (!r || typeof r !== 'object' || r.protocol !== SYNTH_PROTOCOL || typeof r.ok !== 'boolean') {
    fail('invalid-output', `the synthesis process answered something that is not a ${SYNTH_PROTOCOL} result; nothing was applied`);
  }
  if (r!.ok === true && !isPayload((r as { payload?: unknown }).payload)) fail('invalid-output', 'the synthesis result is incomplete; nothing was applied');
  return r as SynthResponse;
}

function isPayload(p: unknown): p is SynthPayload {
  const x = p as SynthPayload | undefined;
  return !!x && typeof x.fleet === 'string' && Array.isArray(x.results) && Array.isArray(x.policies) && Array.isArray(x.alerts) && Array.isArray(x.automations) && Array.isArray(x.repositories) && Array.isArray(x.sites) && !!x.lock;
}

function kindOf(stage: SynthStage, code: string): SynthFailureKind {
  if (stage === 'lock') return 'invalid-lock';
  if (stage === 'load') return 'load-failed';
  if (code === 'invalid-construct-props' || code === 'invalid-fleet') return 'invalid-fleet';
  return 'fleet-threw';
}

function summaryOf(stage: SynthStage, error: { code: string; message: string; problems: readonly SynthProblem[] }): string {
  switch (stage) {
    case 'load':
      return `the fleet could not be loaded; nothing was applied`;
    case 'lock':
      return `the image lock cannot be deployed (${error.message.split('\n')[0]}); nothing was applied`;
    default:
      return error.code === 'invalid-construct-props' || error.code === 'invalid-fleet'
        ? `the fleet is invalid (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}); nothing was applied`
        : `the fleet failed while building; nothing was applied`;
  }
}

/** The environment of the child: an allow-list, never the parent's credentials. */
function childEnv(parent: NodeJS.ProcessEnv, fleetEnv: Readonly<Record<string, string>>, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of BASE_ENV) if (parent[k] !== undefined) env[k] = parent[k];
  for (const [k, v] of Object.entries(parent)) if (k.startsWith(FLEET_ENV_PREFIX) && v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(fleetEnv)) {
    if (!k.startsWith(FLEET_ENV_PREFIX)) throw new TypeError(`fleet environment variable ${k} must start with ${FLEET_ENV_PREFIX}`);
    env[k] = v;
  }
  env.HOME = home;
  env.TMPDIR = home;
  env.NODE_ENV = 'production';
  env.TS_NODE_TRANSPILE_ONLY = 'true';
  env.TS_NODE_SKIP_PROJECT = 'true';
  // Without a project, ts-node ignores every path under node_modules relative to the working
  // directory (the config repository). A config repository that installs FluxOps as a dependency
  // (what `fluxops init` generates) runs FluxOps' own TypeScript from node_modules/fluxops/.
  env.TS_NODE_SKIP_IGNORE = 'true';
  env.TS_NODE_COMPILER_OPTIONS = JSON.stringify({ module: 'commonjs', target: 'es2022', esModuleInterop: true, sourceMap: true });
  return env;
}

function residentMb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** `git rev-parse HEAD` of a checkout, or undefined when it is not one. */
function headCommit(dir: string): string | undefined {
  if (!fs.existsSync(path.join(dir, '.git'))) return undefined;
  const r = spawnSync('git', ['-C', dir, 'rev-parse', '--verify', '-q', 'HEAD'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export { describeSource };
