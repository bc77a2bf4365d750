import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

import { FluxOpsError } from '../../errors';
import { bootId, compareIdentity, readProcessIdentity, readProcStat, type ProcessIdentity } from '../linux-proc';

/**
 * The bookkeeping of a local cluster's state directory: `state.json` (which servers run, with
 * enough to recognise them again) and the marker file that says the directory is ours to delete.
 */

/** Name of the state file inside a state directory. */
export const CLUSTER_STATE_FILE = 'state.json';

/**
 * Name of the marker file written when a state directory is created. Only a directory holding it
 * is ever deleted by `fluxops dev down --purge`.
 */
export const STATE_DIR_MARKER = '.fluxops-dev-state';

const MARKER_CONTENT = 'fluxops dev state directory: `fluxops dev down --purge` may delete this directory\n';

const identitySchema = z.object({
  pid: z.number().int().positive(),
  bootId: z.string().min(1),
  startTicks: z.number().int().nonnegative(),
  cmdline: z.array(z.string()).min(1),
});

const processRecordSchema = z.object({
  name: z.string().min(1),
  pid: z.number().int(),
  log: z.string(),
  // Missing only in state written by FluxOps before processes were identified (see ClusterProcessRecord).
  identity: identitySchema.optional(),
  server: identitySchema.optional(),
});

const stateSchema = z.object({
  name: z.string().optional(),
  server: z.string().optional(),
  kubeconfig: z.string().optional(),
  version: z.string().optional(),
  processes: z.array(processRecordSchema),
  ports: z.record(z.string(), z.number().int()).optional(),
  startedAt: z.string().optional(),
});

/** One server of a local cluster as recorded in `state.json`. */
export interface ClusterProcessRecord {
  readonly name: string;
  /** Process id of the watchdog, which leads the server's process group. */
  readonly pid: number;
  readonly log: string;
  /**
   * The watchdog's identity when it was started. Absent in state written by older FluxOps
   * versions; such a process is never signalled (it cannot be recognised).
   */
  readonly identity?: ProcessIdentity;
  /** The server process itself (the watchdog's child), once it was seen running. */
  readonly server?: ProcessIdentity;
}

/**
 * What `state.json` records so that another process can find and stop a detached cluster. While
 * the cluster starts only `processes` is set; the rest is written once it is ready.
 */
export interface LocalClusterState {
  readonly name?: string;
  readonly server?: string;
  readonly kubeconfig?: string;
  readonly version?: string;
  readonly processes: readonly ClusterProcessRecord[];
  readonly ports?: Readonly<Record<string, number>>;
  readonly startedAt?: string;
}

/** `state.json` exists but cannot be read or is not what FluxOps writes; nothing was signalled or deleted. */
export class ClusterStateCorruptError extends FluxOpsError {
  override readonly name = 'ClusterStateCorruptError';
  constructor(readonly file: string, readonly reason: string, options?: { cause?: unknown }) {
    super(
      'cluster-state-corrupt',
      `${file} is not a valid local cluster state (${reason}); cannot tell which processes are ours. ` +
        'Stop the servers by hand (their logs are in logs/ next to it) and remove the file.',
      options,
    );
  }
}

/** A directory FluxOps was asked to use or delete does not carry its state marker. */
export class StateDirNotOursError extends FluxOpsError {
  override readonly name = 'StateDirNotOursError';
  constructor(readonly dir: string, readonly action: 'purge' | 'use') {
    super(
      'state-dir-not-ours',
      action === 'purge'
        ? `refusing to delete ${dir}: it has no ${STATE_DIR_MARKER} marker, so it was not created by \`fluxops dev up\`; nothing was stopped or deleted`
        : `refusing to use ${dir} as a cluster state directory: it is not empty and has no ${STATE_DIR_MARKER} marker; pass a new or empty --state-dir`,
    );
  }
}

/**
 * Reads the state of a cluster started in `stateDir`: `undefined` when there is none, a
 * {@link ClusterStateCorruptError} naming the file when it cannot be read or parsed.
 */
export function readClusterState(stateDir: string): LocalClusterState | undefined {
  const file = path.join(stateDir, CLUSTER_STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClusterStateCorruptError(file, `cannot read it: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ClusterStateCorruptError(file, `not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new ClusterStateCorruptError(file, `${where}: ${issue?.message ?? 'invalid'}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Writes `state.json` atomically (a reader never sees half a file). */
export function writeClusterState(stateDir: string, state: LocalClusterState): void {
  const file = path.join(stateDir, CLUSTER_STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Removes `state.json` if present. */
export function removeClusterState(stateDir: string): void {
  fs.rmSync(path.join(stateDir, CLUSTER_STATE_FILE), { force: true });
}

/** Whether `dir` carries the state marker (a regular file, not a link, with our content). */
export function hasStateDirMarker(dir: string): boolean {
  const marker = path.join(dir, STATE_DIR_MARKER);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(marker);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
  return st.isFile() && fs.readFileSync(marker, 'utf8') === MARKER_CONTENT;
}

/**
 * Prepares `dir` as a state directory: creates it (mode 0700) with the marker when it is missing
 * or empty, accepts it when it already carries the marker, and refuses any other directory with
 * {@link StateDirNotOursError} (changing nothing).
 */
export function ensureStateDir(dir: string): void {
  if (fs.existsSync(dir)) {
    if (hasStateDirMarker(dir)) return;
    if (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0) throw new StateDirNotOursError(dir, 'use');
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, STATE_DIR_MARKER), MARKER_CONTENT, { mode: 0o600 });
}

/** Where a recorded server stands now, and whether and how it may be signalled. */
export type ProcessStanding =
  /** Still ours: signal `target`, as a process group (`-target`) when `wholeGroup`. */
  | { readonly kind: 'ours'; readonly target: number; readonly wholeGroup: boolean }
  /** Exited: nothing to signal. */
  | { readonly kind: 'gone' }
  /** Its id now belongs to another process: never signalled. */
  | { readonly kind: 'not-ours'; readonly pid: number; readonly reason: 'reboot' | 'start-time' | 'command' }
  /** Recorded without an identity (older FluxOps), and something runs under its id: never signalled. */
  | { readonly kind: 'unverifiable'; readonly pid: number };

/** How to look at the processes of this machine; {@link systemProcesses} reads `/proc`. */
export interface ProcessView {
  readonly bootId: string;
  identity(pid: number): ProcessIdentity | undefined;
  /** Process group of a live process. */
  groupOf(pid: number): number | undefined;
}

/** The real {@link ProcessView} (Linux `/proc`). */
export function systemProcesses(): ProcessView {
  return { bootId: bootId(), identity: readProcessIdentity, groupOf: (pid) => readProcStat(pid)?.pgrp };
}

/**
 * Decides whether a recorded server is still ours (pure given `view`). The watchdog is checked
 * first; if it is gone but the server survived (the watchdog was killed), the server is ours only
 * if its own identity matches, and its group is signalled only if it is still the watchdog's.
 */
export function classifyProcess(record: ClusterProcessRecord, view: ProcessView): ProcessStanding {
  if (record.identity === undefined) {
    return view.identity(record.pid) === undefined ? { kind: 'gone' } : { kind: 'unverifiable', pid: record.pid };
  }
  const watchdog = compareIdentity(record.identity, view.identity(record.pid), view.bootId);
  if (watchdog.status === 'ours') return { kind: 'ours', target: record.pid, wholeGroup: true };
  if (record.server !== undefined) {
    const server = compareIdentity(record.server, view.identity(record.server.pid), view.bootId);
    if (server.status === 'ours') {
      // While any member of a group lives, the kernel does not hand its id out again.
      const inGroup = view.groupOf(record.server.pid) === record.pid;
      return { kind: 'ours', target: inGroup ? record.pid : record.server.pid, wholeGroup: inGroup };
    }
  }
  if (watchdog.status === 'gone') return { kind: 'gone' };
  return { kind: 'not-ours', pid: record.pid, reason: watchdog.reason };
}

/** Where a recorded server stands, for humans, e.g. `pid 1234 now belongs to another process`. */
export function describeStanding(standing: ProcessStanding): string {
  switch (standing.kind) {
    case 'ours':
      return `running (${standing.wholeGroup ? 'process group' : 'pid'} ${standing.target})`;
    case 'gone':
      return 'not running';
    case 'not-ours': {
      const why = standing.reason === 'reboot' ? ' (it was recorded before the last reboot)' : '';
      return `pid ${standing.pid} now belongs to another process${why}`;
    }
    case 'unverifiable':
      return `pid ${standing.pid} was recorded without an identity (older FluxOps) and cannot be recognised`;
  }
}
