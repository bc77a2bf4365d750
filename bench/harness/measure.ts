import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/** The lower median: an actual run, not the mean of two. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
}

/** Runs `fn` and returns how long it took, in seconds, with its value. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ readonly seconds: number; readonly value: T }> {
  const t = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t) / 1000, value };
}

/** Polls `probe` every `everyMs` until it returns something other than undefined/false. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err; // kept for the timeout message: a probe may fail while a server starts
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      out.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process exited between readdir and read: it has no memory to count
    }
  }
  return out;
}

/** Resident memory of a process and all its descendants now, in bytes (0 when it is gone). */
export function treeRssBytes(pid: number): number {
  return [...treeRssByProcess(pid).values()].reduce((a, b) => a + b, 0);
}

/**
 * Resident memory of each process of a tree now, bytes, keyed by `<pid> <command>` (the command
 * shortened to its program and script, which tells a reconciler from its synthesis child).
 */
export function treeRssByProcess(pid: number): Map<string, number> {
  const tree = new Set([pid]);
  const ppid = parents();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of ppid) if (tree.has(pp) && !tree.has(p)) (tree.add(p), (grew = true));
  }
  const out = new Map<string, number>();
  for (const p of tree) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const script = argv.slice(1).find((a) => /\.(ts|js)$/.test(a) || a.startsWith('/') ) ?? '';
      const name = `${p} ${argv[0]?.split('/').pop() ?? '?'}${script ? ` ${script.split('/').slice(-2).join('/')}` : ''}`;
      if (m) out.set(name, Number(m[1]) * 1024);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Samples the summed RSS of one or more process trees every `everyMs` and keeps the peak, until stopped. */
export class RssSampler {
  private peakBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly pids: readonly number[];
  constructor(pids: number | readonly number[], everyMs = 100) {
    this.pids = typeof pids === 'number' ? [pids] : pids;
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  private sample(): void {
    this.peakBytes = Math.max(this.peakBytes, this.pids.reduce((sum, pid) => sum + treeRssBytes(pid), 0));
  }
  /** The peak so far, MiB. */
  get peakMiB(): number {
    return this.peakBytes / 2 ** 20;
  }
  /** Resets the peak to the current level (start of a new phase). */
  reset(): void {
    this.peakBytes = 0;
    this.sample();
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakMiB;
  }
}

/** A throwaway error message's first line (progress output only). */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
