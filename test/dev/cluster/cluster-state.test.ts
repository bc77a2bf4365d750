import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  classifyProcess,
  ClusterStateCorruptError,
  CLUSTER_STATE_FILE,
  describeStanding,
  ensureStateDir,
  hasStateDirMarker,
  readClusterState,
  STATE_DIR_MARKER,
  StateDirNotOursError,
  writeClusterState,
  type ClusterProcessRecord,
  type ProcessView,
} from '../../../dev/cluster/cluster-state';
import type { ProcessIdentity } from '../../../dev/linux-proc';

const BOOT = 'boot-1';
const watchdog: ProcessIdentity = { pid: 100, bootId: BOOT, startTicks: 500, cmdline: ['bash', '/r/dev/watchdog.sh', '0', '/c/kine'] };
const server: ProcessIdentity = { pid: 101, bootId: BOOT, startTicks: 501, cmdline: ['/c/kine', '--listen-address', '127.0.0.1:1'] };
const record: ClusterProcessRecord = { name: 'kine', pid: 100, log: '/s/logs/kine.log', identity: watchdog, server };

/** A machine where `running` is what runs now, with `groups` as their process groups. */
function view(running: ProcessIdentity[], groups: Record<number, number> = {}): ProcessView {
  return {
    bootId: BOOT,
    identity: (pid) => running.find((p) => p.pid === pid),
    groupOf: (pid) => (running.some((p) => p.pid === pid) ? groups[pid] ?? pid : undefined),
  };
}

describe('classifyProcess', () => {
  it('signals the whole group while the watchdog is the one that was started', () => {
    expect(classifyProcess(record, view([watchdog, server], { 101: 100 }))).toEqual({ kind: 'ours', target: 100, wholeGroup: true });
  });

  it('is gone when neither the watchdog nor the server runs', () => {
    expect(classifyProcess(record, view([]))).toEqual({ kind: 'gone' });
  });

  it('still reaches a server that outlived its (killed) watchdog, through its group if it is still the watchdog group', () => {
    expect(classifyProcess(record, view([server], { 101: 100 }))).toEqual({ kind: 'ours', target: 100, wholeGroup: true });
    expect(classifyProcess(record, view([server], { 101: 101 }))).toEqual({ kind: 'ours', target: 101, wholeGroup: false });
  });

  it('never signals a process that now has a recorded id', () => {
    const reused = { ...watchdog, startTicks: 9999, cmdline: ['sleep', '1000'] };
    expect(classifyProcess(record, view([reused]))).toEqual({ kind: 'not-ours', pid: 100, reason: 'start-time' });
    expect(classifyProcess(record, view([{ ...watchdog, cmdline: ['vim'] }]))).toEqual({ kind: 'not-ours', pid: 100, reason: 'command' });
    expect(classifyProcess(record, { ...view([watchdog, server]), bootId: 'boot-2' })).toEqual({ kind: 'not-ours', pid: 100, reason: 'reboot' });
    // A reused server pid does not make the record ours either.
    expect(classifyProcess(record, view([reused, { ...server, startTicks: 1 }]))).toMatchObject({ kind: 'not-ours' });
  });

  it('cannot recognise records without an identity (older FluxOps) and leaves what runs under them alone', () => {
    const legacy: ClusterProcessRecord = { name: 'kine', pid: 100, log: 'x' };
    expect(classifyProcess(legacy, view([watchdog]))).toEqual({ kind: 'unverifiable', pid: 100 });
    expect(classifyProcess(legacy, view([]))).toEqual({ kind: 'gone' });
  });

  it('describes what was left alone', () => {
    expect(describeStanding({ kind: 'not-ours', pid: 1234, reason: 'command' })).toBe('pid 1234 now belongs to another process');
    expect(describeStanding({ kind: 'not-ours', pid: 1234, reason: 'reboot' })).toBe(
      'pid 1234 now belongs to another process (it was recorded before the last reboot)',
    );
  });
});

describe('state directory and state.json', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-state-unit-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('creates a missing or empty directory with the marker and accepts it again', () => {
    const dir = path.join(tmp, 'a', 'dev');
    ensureStateDir(dir);
    expect(hasStateDirMarker(dir)).toBe(true);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    fs.writeFileSync(path.join(dir, 'kubeconfig'), 'x');
    expect(() => ensureStateDir(dir)).not.toThrow();
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    ensureStateDir(empty);
    expect(hasStateDirMarker(empty)).toBe(true);
  });

  it('refuses a non-empty directory without the marker and changes nothing in it', () => {
    fs.writeFileSync(path.join(tmp, 'notes.txt'), 'mine');
    expect(() => ensureStateDir(tmp)).toThrow(StateDirNotOursError);
    expect(() => ensureStateDir(tmp)).toThrow(`refusing to use ${tmp} as a cluster state directory`);
    expect(fs.readdirSync(tmp)).toEqual(['notes.txt']);
  });

  it('does not take a marker that is a link, a directory or has other content', () => {
    const real = path.join(tmp, 'real');
    ensureStateDir(real);
    const link = path.join(tmp, 'link');
    fs.mkdirSync(link);
    fs.symlinkSync(path.join(real, STATE_DIR_MARKER), path.join(link, STATE_DIR_MARKER));
    expect(hasStateDirMarker(link)).toBe(false);
    const dirMarker = path.join(tmp, 'dirmarker');
    fs.mkdirSync(path.join(dirMarker, STATE_DIR_MARKER), { recursive: true });
    expect(hasStateDirMarker(dirMarker)).toBe(false);
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, STATE_DIR_MARKER), '');
    expect(hasStateDirMarker(other)).toBe(false);
    expect(hasStateDirMarker(path.join(tmp, 'missing'))).toBe(false);
  });

  it('round-trips state.json and reports a missing one as no state', () => {
    expect(readClusterState(tmp)).toBeUndefined();
    writeClusterState(tmp, { server: 'https://127.0.0.1:6443', processes: [record], ports: { apiserver: 6443 } });
    expect(readClusterState(tmp)).toEqual({ server: 'https://127.0.0.1:6443', processes: [record], ports: { apiserver: 6443 } });
    expect(fs.readdirSync(tmp)).toEqual([CLUSTER_STATE_FILE]); // no temp file left
  });

  it.each([
    ['half a file', '{"processes": [{"name": "kine"', /not JSON/],
    ['no processes', '{}', /processes: /],
    ['a pid that is not a number', JSON.stringify({ processes: [{ name: 'kine', pid: '12', log: 'x' }] }), /processes\.0\.pid: /],
    ['an identity without a start time', JSON.stringify({ processes: [{ ...record, identity: { ...watchdog, startTicks: undefined } }] }), /processes\.0\.identity\.startTicks/],
  ])('reports %s as ClusterStateCorruptError naming the file', (_what, content, reason) => {
    const file = path.join(tmp, CLUSTER_STATE_FILE);
    fs.writeFileSync(file, content);
    let err: unknown;
    try {
      readClusterState(tmp);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClusterStateCorruptError);
    expect(err).toMatchObject({ code: 'cluster-state-corrupt', file });
    expect((err as Error).message).toContain(`${file} is not a valid local cluster state (`);
    expect((err as Error).message).toMatch(reason);
  });
});
