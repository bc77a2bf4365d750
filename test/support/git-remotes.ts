import * as fs from 'node:fs';
import * as path from 'node:path';
import { cloneWorkdir, createGitRemote, runGit, startHttpGitServer, type GitRemote, type GitWorkdir, type HttpGitServer, type HttpGitServerOptions } from '../../dev/git';
import { processTree, readCmdline } from '../../dev/linux-proc';
import type { GitClock } from '../../reconciler/git';

/** A clock whose sleeps return at once and are recorded; randomness fixed, time settable. */
export function recordingClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)): GitClock & { readonly sleeps: number[]; now(): number; set(ms: number): void } {
  const sleeps: number[] = [];
  let t = start;
  return {
    sleeps,
    now: () => t,
    set: (ms: number) => {
      t = ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    random: () => 0.5,
  };
}

/** A bare remote with a working clone, optionally served over HTTP (`git http-backend`) and by `git daemon`. */
export interface TestRemote {
  readonly remote: GitRemote;
  readonly work: GitWorkdir;
  /** The HTTP server, when asked for. */
  readonly http?: HttpGitServer;
  /** `http://127.0.0.1:<port>/<name>` when served over HTTP. */
  readonly httpUrl?: string;
  /** Commits, pushes and returns the new head. */
  push(message: string, files: Record<string, string | null>): Promise<string>;
  /** `git <args>` in the bare remote. */
  git(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Creates a remote (optionally over HTTP with `http` options) and pushes `initial` files as the first commit. */
export async function createTestRemote(opts: { readonly http?: Omit<HttpGitServerOptions, 'projectRoot'>; readonly name?: string; readonly initial?: Record<string, string> } = {}): Promise<TestRemote> {
  const remote = await createGitRemote({ name: opts.name ?? 'fleet.git' });
  const stops: Array<() => Promise<void>> = [() => remote.stop()];
  try {
    const work = await cloneWorkdir(remote.url);
    stops.unshift(() => work.dispose());
    const http = opts.http ? await startHttpGitServer({ ...opts.http, projectRoot: path.dirname(remote.dir) }) : undefined;
    if (http) stops.unshift(() => http.stop());
    const push = async (message: string, files: Record<string, string | null>) => {
      const sha = await work.commit(message, files);
      await work.push();
      return sha;
    };
    if (opts.initial) await push('initial', opts.initial);
    return {
      remote,
      work,
      http,
      httpUrl: http?.url(remote.name),
      push,
      git: (args) => runGit(['--git-dir', remote.dir, ...args]),
      stop: async () => {
        for (const s of stops) await s();
      },
    };
  } catch (err) {
    for (const s of stops) await s().catch(() => undefined);
    throw err;
  }
}

/** Command lines of every process below this one (git, git-remote-http, ssh, ...), read from /proc. */
export function descendantCommandLines(): string[][] {
  return processTree([process.pid])
    .filter((p) => p.pid !== process.pid)
    .map((p) => readCmdline(p.pid))
    .filter((c): c is string[] => c !== undefined);
}

/** Every file below `dir` (relative paths, sorted) with its content. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
