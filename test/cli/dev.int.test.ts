import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { CLUSTER_STATE_FILE, ensureStateDir, readClusterState, STATE_DIR_MARKER, writeClusterState, type ClusterProcessRecord } from '../../dev/cluster';
import { bootId, checkIdentity, readProcessIdentity, type ProcessIdentity } from '../../dev/linux-proc';
import { ManagedProcess } from '../../dev/process';
import { locateToolchain } from '../../dev/toolchain';
import { findLeaks, serverNames, snapshotServers } from '../support/leak-check';

const run = promisify(execFile);
const FLUXOPS = path.join(__dirname, '..', '..', 'bin', 'fluxops');

describe('fluxops dev up / status / down', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-devcli-'));

  afterAll(async () => {
    // Whatever happened above, leave nothing running.
    await run(FLUXOPS, ['dev', 'down', '--state-dir', stateDir, '--purge']).catch(() => undefined);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts a detached cluster usable with kubectl, reports it, and stops every process', async () => {
    const up = await run(FLUXOPS, ['dev', 'up', '--state-dir', stateDir]);
    expect(up.stdout).toContain(`export KUBECONFIG=${path.join(stateDir, 'kubeconfig')}`);

    // The CLI has exited; the cluster keeps running and answers kubectl with the kubeconfig.
    const kubectl = locateToolchain({ check: false }).bin('kubectl');
    const nodes = await run(kubectl, ['--kubeconfig', path.join(stateDir, 'kubeconfig'), 'get', 'nodes', '-l', 'kubernetes.io/arch=arm64', '-o', 'name']);
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(['node/edge-arm64-1', 'node/edge-arm64-2']);

    const status = await run(FLUXOPS, ['dev', 'status', '--state-dir', stateDir]);
    expect(status.stdout).toMatch(/running\tkube-apiserver/);

    const state = readClusterState(stateDir)!;
    // Every server and its port, recorded while they run (the CLI that started them has exited).
    const snapshot = snapshotServers(state.processes.map((p) => p.pid));
    expect(serverNames(snapshot)).toEqual(expect.arrayContaining(['kine', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']));
    expect(snapshot.ports).toEqual(expect.arrayContaining(Object.values(state.ports ?? {})));
    expect(state.processes.every((p) => p.identity !== undefined && p.server !== undefined)).toBe(true);
    await expect(run(FLUXOPS, ['dev', 'up', '--state-dir', stateDir])).rejects.toThrow(/already running/);

    const down = await run(FLUXOPS, ['dev', 'down', '--state-dir', stateDir]);
    expect(down.stdout).toMatch(/stopped: kwok, kube-scheduler, kube-controller-manager, kube-apiserver, kine/);
    expect(await findLeaks(snapshot)).toEqual({ processes: [], ports: [] });
    await expect(run(FLUXOPS, ['dev', 'status', '--state-dir', stateDir])).rejects.toMatchObject({ code: 3 });
  }, 180_000);
});

/** A `sleep` in its own process group: an unrelated process that a stale pid could point at. */
function startBystander(): ChildProcess {
  return spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
}

function identityOf(pid: number): ProcessIdentity {
  const id = readProcessIdentity(pid);
  if (!id) throw new Error(`process ${pid} is not running`);
  return id;
}

/** What `dev up` would have recorded for a kine that ran under `pid` once. */
function staleRecord(name: string, pid: number, change: Partial<ProcessIdentity>): ClusterProcessRecord {
  const watchdog = path.join(__dirname, '..', '..', 'dev', 'watchdog.sh');
  return {
    name,
    pid,
    log: `/nonexistent/${name}.log`,
    identity: { pid, bootId: bootId(), startTicks: identityOf(pid).startTicks, cmdline: ['bash', watchdog, '0', `/opt/${name}`], ...change },
  };
}

describe('fluxops dev down / status with state that is not (or no longer) ours', () => {
  const dirs: string[] = [];
  const bystanders: ChildProcess[] = [];
  const newDir = (prefix: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  const bystander = () => {
    const b = startBystander();
    bystanders.push(b);
    return { pid: b.pid!, identity: identityOf(b.pid!) };
  };

  afterAll(() => {
    for (const b of bystanders) b.kill('SIGKILL');
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('never signals a process that now holds a recorded pid (reused pid, other start time, reboot, no identity)', async () => {
    const stateDir = newDir('fluxops-devcli-stale-');
    ensureStateDir(stateDir);
    const byCommand = bystander();
    const byStartTime = bystander();
    const byReboot = bystander();
    const legacy = bystander();
    writeClusterState(stateDir, {
      server: 'https://127.0.0.1:1',
      processes: [
        // Same pid and start time, but the recorded command was our watchdog running kine.
        staleRecord('kine', byCommand.pid, {}),
        // The command matches what runs now, but it started at another time: a reused pid.
        { ...staleRecord('kube-apiserver', byStartTime.pid, {}), identity: { ...byStartTime.identity, startTicks: byStartTime.identity.startTicks - 1 } },
        { ...staleRecord('kube-scheduler', byReboot.pid, {}), identity: { ...byReboot.identity, bootId: '00000000-0000-0000-0000-000000000000' } },
        // Written by an older FluxOps: only a pid.
        { name: 'kwok', pid: legacy.pid, log: '/nonexistent/kwok.log' },
      ],
    });

    const status = await run(FLUXOPS, ['dev', 'status', '--state-dir', stateDir]).catch((e: { code: number; stdout: string }) => e);
    expect(status).toMatchObject({ code: 3 });
    expect(status.stdout).toContain(`not ours\tkine\t(pid ${byCommand.pid} now belongs to another process)`);

    const down = await run(FLUXOPS, ['dev', 'down', '--state-dir', stateDir]);
    expect(down.stdout.split('\n')).toEqual([
      'no local edge cluster was running',
      `kwok: pid ${legacy.pid} was recorded without an identity (older FluxOps) and cannot be recognised; not signalled`,
      `kube-scheduler: pid ${byReboot.pid} now belongs to another process (it was recorded before the last reboot); not signalled`,
      `kube-apiserver: pid ${byStartTime.pid} now belongs to another process; not signalled`,
      `kine: pid ${byCommand.pid} now belongs to another process; not signalled`,
      '',
    ]);
    for (const b of [byCommand, byStartTime, byReboot, legacy]) expect(checkIdentity(b.identity).status).toBe('ours');
    expect(fs.existsSync(path.join(stateDir, CLUSTER_STATE_FILE))).toBe(false);
  }, 60_000);

  it('stops a recorded server that is still ours: the watchdog group and the server itself', async () => {
    const stateDir = newDir('fluxops-devcli-ours-');
    ensureStateDir(stateDir);
    const proc = ManagedProcess.start({ name: 'kine', command: 'sleep', args: ['1000'], logFile: path.join(stateDir, 'logs', 'kine.log'), detached: true });
    let server: ProcessIdentity | undefined;
    for (let i = 0; i < 50 && !(server = proc.serverIdentity()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server?.cmdline).toEqual(['sleep', '1000']);
    writeClusterState(stateDir, { processes: [{ name: 'kine', pid: proc.pid, log: proc.logFile, identity: proc.identity, server }] });
    const snapshot = snapshotServers([proc.pid]);
    expect(serverNames(snapshot)).toEqual(['sleep']);

    const down = await run(FLUXOPS, ['dev', 'down', '--state-dir', stateDir]);
    expect(down.stdout).toBe('stopped: kine\n');
    expect(await findLeaks(snapshot)).toEqual({ processes: [], ports: [] });
    expect(proc.running).toBe(false);
  }, 60_000);

  it('--purge refuses a directory without the state marker and leaves its files and processes alone', async () => {
    const dir = newDir('fluxops-devcli-foreign-');
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me\n');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'more.txt'), 'and me\n');
    const b = bystander();
    fs.writeFileSync(path.join(dir, CLUSTER_STATE_FILE), JSON.stringify({ processes: [{ name: 'kine', pid: b.pid, log: 'x', identity: b.identity }] }));

    const err = await run(FLUXOPS, ['dev', 'down', '--state-dir', dir, '--purge']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`refusing to delete ${dir}: it has no ${STATE_DIR_MARKER} marker`);
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me\n');
    expect(fs.readFileSync(path.join(dir, 'sub', 'more.txt'), 'utf8')).toBe('and me\n');
    expect(fs.existsSync(path.join(dir, CLUSTER_STATE_FILE))).toBe(true);
    // Refused before anything was stopped, although the recorded process matches.
    expect(checkIdentity(b.identity).status).toBe('ours');

    // `dev up` refuses to take such a directory over, too.
    await expect(run(FLUXOPS, ['dev', 'up', '--state-dir', dir])).rejects.toMatchObject({ stderr: expect.stringContaining(`refusing to use ${dir}`) });
    expect(fs.readdirSync(dir).sort()).toEqual(['precious.txt', 'state.json', 'sub']);
  }, 60_000);

  it('--purge deletes a marked state directory', async () => {
    const dir = path.join(newDir('fluxops-devcli-marked-'), 'dev');
    ensureStateDir(dir);
    fs.mkdirSync(path.join(dir, 'db'));
    fs.writeFileSync(path.join(dir, 'db', 'state.db'), 'x');
    const down = await run(FLUXOPS, ['dev', 'down', '--state-dir', dir, '--purge']);
    expect(down.stdout).toBe(`no local edge cluster was running\ndeleted ${dir}\n`);
    expect(fs.existsSync(dir)).toBe(false);
  }, 60_000);

  it.each([
    ['not JSON', '{"processes": [', /not JSON/],
    ['the wrong shape', JSON.stringify({ processes: [{ name: 'kine', pid: 'twelve', log: 'x' }] }), /processes\.0\.pid: /],
  ])('reports a state.json that is %s as an error naming the file, for down and status', async (_what, content, reason) => {
    const dir = newDir('fluxops-devcli-corrupt-');
    ensureStateDir(dir);
    const file = path.join(dir, CLUSTER_STATE_FILE);
    fs.writeFileSync(file, content);
    for (const cmd of [['dev', 'down', '--state-dir', dir], ['dev', 'down', '--purge', '--state-dir', dir], ['dev', 'status', '--state-dir', dir]]) {
      const err = await run(FLUXOPS, cmd).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr).toContain(`${file} is not a valid local cluster state (`);
      expect(err?.stderr).toMatch(reason);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
  }, 60_000);
});
