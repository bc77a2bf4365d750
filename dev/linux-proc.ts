import * as fs from 'node:fs';
import * as path from 'node:path';

import { FluxOpsError } from '../errors';

/**
 * Reads what the Linux `/proc` file system says about processes and their TCP listeners. The
 * local cluster, registry and git remote use it to make sure a process id still belongs to the
 * server they started before they signal it, and to see which ports their servers listen on.
 * Linux is the only platform these helpers run on.
 */

/** The dev environment (local cluster, its process bookkeeping) needs Linux's `/proc`. */
export class UnsupportedPlatformError extends FluxOpsError {
  override readonly name = 'UnsupportedPlatformError';
  constructor(readonly platform: string, readonly what: string) {
    super('unsupported-platform', `${what} needs Linux (/proc); this is ${platform}`);
  }
}

/** Throws {@link UnsupportedPlatformError} unless this is Linux. `what` names the feature for the message. */
export function assertLinux(what: string, platform: string = process.platform): void {
  if (platform !== 'linux') throw new UnsupportedPlatformError(platform, what);
}

/** The fields of `/proc/<pid>/stat` FluxOps uses. */
export interface ProcStat {
  readonly pid: number;
  /** Executable name, as the kernel shows it (at most 15 characters). */
  readonly comm: string;
  /** One letter: R, S, D, Z (zombie: exited, not yet reaped), T, ... */
  readonly state: string;
  readonly ppid: number;
  /** Process group id. */
  readonly pgrp: number;
  /** Start time in clock ticks since boot (field 22): with the boot id, unique for the machine's uptime. */
  readonly startTicks: number;
}

/**
 * Parses the text of `/proc/<pid>/stat`. The command name (field 2) may contain spaces and
 * parentheses, so the fields after it are located from its last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) throw new ProcStatParseError(text, 'no "(comm)" field');
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isSafeInteger(v)) throw new ProcStatParseError(text, `field ${n} is not an integer`);
    return v;
  };
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new ProcStatParseError(text, 'field 1 (pid) is not a positive integer');
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? '?', ppid: field(4), pgrp: field(5), startTicks: field(22) };
}

/** `/proc/<pid>/stat` did not have the documented layout. */
export class ProcStatParseError extends FluxOpsError {
  override readonly name = 'ProcStatParseError';
  constructor(readonly text: string, readonly reason: string) {
    super('proc-stat-parse', `cannot parse /proc/<pid>/stat (${reason}): ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** `/proc/<pid>/stat` of a process, or `undefined` when there is no such process (any more). */
export function readProcStat(pid: number): ProcStat | undefined {
  assertLinux('reading process information');
  const text = readIfExists(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** The argument vector of a process (`/proc/<pid>/cmdline`), or `undefined` when it is gone. */
export function readCmdline(pid: number): string[] | undefined {
  assertLinux('reading process information');
  const text = readIfExists(`/proc/${pid}/cmdline`);
  if (text === undefined) return undefined;
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

let cachedBootId: string | undefined;

/** This boot's id (`/proc/sys/kernel/random/boot_id`): a recorded start time is only meaningful within one boot. */
export function bootId(): string {
  assertLinux('reading the boot id');
  cachedBootId ??= fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return cachedBootId;
}

/**
 * What identifies a process beyond its id, which the kernel reuses: the boot it ran in, its start
 * time within that boot, and its command line. Recorded when a server is started, compared before
 * it is signalled.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly bootId: string;
  readonly startTicks: number;
  readonly cmdline: readonly string[];
}

/** The identity of a live process, or `undefined` when it is gone or a zombie (exited, not yet reaped). */
export function readProcessIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const stat = readProcStat(pid);
  if (stat === undefined || stat.state === 'Z') return undefined;
  const cmdline = readCmdline(pid);
  if (cmdline === undefined) return undefined;
  return { pid, bootId: bootId(), startTicks: stat.startTicks, cmdline };
}

/** How a recorded process compares with what now runs under its id. */
export type IdentityCheck =
  /** The same process still runs: it may be signalled. */
  | { readonly status: 'ours'; readonly current: ProcessIdentity }
  /** No live process has this id. */
  | { readonly status: 'gone' }
  /** Another process has this id now; it must not be signalled. */
  | { readonly status: 'other'; readonly reason: 'reboot' | 'start-time' | 'command'; readonly current: ProcessIdentity };

/**
 * Compares a recorded identity with the current one (pure: pass what {@link readProcessIdentity}
 * returns now, and this boot's id).
 */
export function compareIdentity(recorded: ProcessIdentity, current: ProcessIdentity | undefined, currentBootId: string): IdentityCheck {
  if (current === undefined) return { status: 'gone' };
  if (recorded.bootId !== currentBootId) return { status: 'other', reason: 'reboot', current };
  if (recorded.startTicks !== current.startTicks) return { status: 'other', reason: 'start-time', current };
  if (recorded.cmdline.length !== current.cmdline.length || recorded.cmdline.some((a, i) => a !== current.cmdline[i])) {
    return { status: 'other', reason: 'command', current };
  }
  return { status: 'ours', current };
}

/** Checks whether the recorded process still runs under its id (reads `/proc`). */
export function checkIdentity(recorded: ProcessIdentity): IdentityCheck {
  return compareIdentity(recorded, readProcessIdentity(recorded.pid), bootId());
}

/** Every process visible in `/proc` (those that vanish while reading are skipped). */
export function listProcesses(): ProcStat[] {
  assertLinux('listing processes');
  const out: ProcStat[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = readIfExists(`/proc/${entry}/stat`);
    if (text !== undefined) out.push(parseProcStat(text));
  }
  return out;
}

/** `roots` and all their descendants (by parent id), each once, roots first. Zombies included. */
export function processTree(roots: readonly number[], all: readonly ProcStat[] = listProcesses()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  const byPid = new Map<number, ProcStat>();
  for (const p of all) {
    byPid.set(p.pid, p);
    const siblings = byParent.get(p.ppid) ?? [];
    siblings.push(p);
    byParent.set(p.ppid, siblings);
  }
  const out: ProcStat[] = [];
  const seen = new Set<number>();
  const queue = roots.map((r) => byPid.get(r)).filter((p): p is ProcStat => p !== undefined);
  while (queue.length > 0) {
    const p = queue.shift() as ProcStat;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    queue.push(...(byParent.get(p.pid) ?? []));
  }
  return out;
}

/** One row of `/proc/net/tcp` or `/proc/net/tcp6`. */
export interface TcpSocketEntry {
  /** Local address as the kernel prints it (hex, host byte order per 32-bit word). */
  readonly localAddressHex: string;
  readonly port: number;
  /** Kernel TCP state; 0x0A is LISTEN. */
  readonly state: number;
  readonly inode: number;
}

/** TCP state code of a listening socket in `/proc/net/tcp`. */
export const TCP_LISTEN = 0x0a;

/** Parses `/proc/net/tcp` or `/proc/net/tcp6` (header line skipped). */
export function parseProcNetTcp(text: string): TcpSocketEntry[] {
  const out: TcpSocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, portHex] = (f[1] ?? '').split(':');
    const port = parseInt(portHex ?? '', 16);
    const state = parseInt(f[3] ?? '', 16);
    const inode = Number(f[9]);
    if (!addr || !Number.isInteger(port) || !Number.isInteger(state) || !Number.isSafeInteger(inode)) continue;
    out.push({ localAddressHex: addr, port, state, inode });
  }
  return out;
}

/** Inodes of the sockets a process has open (`/proc/<pid>/fd/* -> socket:[inode]`); empty when unreadable or gone. */
export function socketInodes(pid: number): Set<number> {
  assertLinux('reading open sockets');
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    // Gone, or not ours to read (another user): either way it holds none of our sockets.
    if (isMissingOrDenied(err)) return out;
    throw err;
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = fs.readlinkSync(path.join(`/proc/${pid}/fd`, fd));
    } catch (err) {
      if (isMissingOrDenied(err)) continue; // closed meanwhile
      throw err;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

/** TCP ports (IPv4 and IPv6) on which any of `pids` has a listening socket, sorted. */
export function listeningPorts(pids: readonly number[]): number[] {
  assertLinux('reading listening ports');
  const inodes = new Set<number>();
  for (const pid of pids) for (const i of socketInodes(pid)) inodes.add(i);
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = readIfExists(file);
    if (text === undefined) continue;
    for (const e of parseProcNetTcp(text)) if (e.state === TCP_LISTEN && inodes.has(e.inode)) ports.add(e.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** True if the process `root` or one of its descendants listens on TCP `port`. */
export function treeListensOn(root: number, port: number): boolean {
  return listeningPorts(processTree([root]).map((p) => p.pid)).includes(port);
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isMissingOrDenied(err)) return undefined;
    throw err;
  }
}

function isMissingOrDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  // ESRCH: the process exited between readdir and read.
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM';
}
