import * as path from 'node:path';

import { checkIdentity, listeningPorts, processTree, readProcessIdentity, type ProcessIdentity } from '../../dev/linux-proc';
import { isPortOpen } from '../../dev/net';

/**
 * Leak checks that look at the real servers, not just at the watchdogs that started them: while
 * the servers run, {@link snapshotServers} records every process under the given watchdogs (the
 * servers are their children) with its identity and listening TCP ports (from `/proc`); after
 * teardown, {@link findLeaks} reports any of those processes that still runs and any of those
 * ports that still accepts connections.
 */

/** One process of a snapshot. */
export interface SnapshotProcess {
  /** `kube-apiserver`, `kine`, `docker-registry`, `git-daemon`, ... or `watchdog` for dev/watchdog.sh. */
  readonly name: string;
  readonly identity: ProcessIdentity;
  /** TCP ports it listened on when the snapshot was taken. */
  readonly ports: readonly number[];
}

/** The servers under some watchdogs, as they were while running. */
export interface ServerSnapshot {
  readonly processes: readonly SnapshotProcess[];
  /** Every port any of them listened on, sorted. */
  readonly ports: readonly number[];
}

/** What is left after teardown: processes still running (same identity) and ports still open. */
export interface Leaks {
  readonly processes: readonly string[];
  readonly ports: readonly number[];
}

/**
 * Records the process trees under `watchdogPids` (each watchdog and all its descendants, except
 * the watchdog's own `sleep` ticks) with their listening ports.
 */
export function snapshotServers(watchdogPids: readonly number[]): ServerSnapshot {
  const processes: SnapshotProcess[] = [];
  for (const p of processTree(watchdogPids)) {
    const identity = readProcessIdentity(p.pid);
    if (!identity) continue; // exited meanwhile
    // The watchdog's own poll tick (`sleep 0.5`), which comes and goes twice a second.
    if (identity.cmdline.length === 2 && identity.cmdline[0] === 'sleep' && identity.cmdline[1] === '0.5') continue;
    const name = processName(identity.cmdline);
    processes.push({ name, identity, ports: listeningPorts([p.pid]) });
  }
  const ports = [...new Set(processes.flatMap((p) => p.ports))].sort((a, b) => a - b);
  return { processes, ports };
}

/** Names of the server processes in a snapshot (watchdogs left out), sorted. */
export function serverNames(snapshot: ServerSnapshot): string[] {
  return [...new Set(snapshot.processes.map((p) => p.name).filter((n) => n !== 'watchdog'))].sort();
}

/** Processes of the snapshot that still run (same boot, start time, command line) and ports that still accept connections. */
export async function findLeaks(snapshot: ServerSnapshot): Promise<Leaks> {
  const processes = snapshot.processes.filter((p) => checkIdentity(p.identity).status === 'ours').map((p) => `${p.name} (pid ${p.identity.pid})`);
  const ports: number[] = [];
  for (const port of snapshot.ports) if (await isPortOpen(port)) ports.push(port);
  return { processes, ports };
}

/**
 * Polls {@link findLeaks} until nothing is left or `timeoutMs` passed, and returns the last
 * result (for teardown that happens asynchronously, such as a watchdog noticing its owner died).
 */
export async function waitForNoLeaks(snapshot: ServerSnapshot, timeoutMs: number): Promise<Leaks> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leaks = await findLeaks(snapshot);
    if ((leaks.processes.length === 0 && leaks.ports.length === 0) || Date.now() >= deadline) return leaks;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function processName(cmdline: readonly string[]): string {
  const argv0 = path.basename(cmdline[0] ?? '?');
  if ((argv0 === 'bash' || argv0 === 'sh') && cmdline[1] !== undefined && path.basename(cmdline[1]) === 'watchdog.sh') return 'watchdog';
  if (argv0 === 'git' && cmdline[1] !== undefined && !cmdline[1].startsWith('-')) return `git-${cmdline[1]}`;
  return argv0;
}
