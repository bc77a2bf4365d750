import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { stringify as toYaml } from 'yaml';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { cloneWorkdir, createGitRemote, type GitRemote, type GitWorkdir } from '../../dev/git';
import { freePort } from '../../dev/net';
import { KubeClient } from '../../reconciler/cluster/kube-client';
import { readInventory } from '../../reconciler/deploy/inventory';
import { readSiteStatus } from '../../reconciler/status/site-status';
import { resolvePulumiSettings, type PulumiSettings } from '../../stacks/pulumi-env';
import { bulkNames, faultFleet, getJson, liveBulk, pendingRun, stackLocks, until } from '../support/fault-fleet';

/**
 * Fault 3 of the fault suite: the reconciler process (`fluxops reconcile`, a real child process
 * with its own Pulumi) SIGKILLed while its Pulumi update is writing, as a pod would be by the
 * kernel's OOM killer or a node losing power: no handler runs. A new process with the same
 * settings and state directory (the restarted pod) must converge with no manual step: it
 * recognises the run that did not finish (the lease's write-ahead record) and the Pulumi stack
 * lock the killed update left, clears that lock, and prunes what the killed run created and Git
 * dropped meanwhile (objects Pulumi's state never recorded).
 */

const SITE = 'fault-kill';
const NS = 'fault-kill-apps';
const REPO = path.join(__dirname, '..', '..');

describe('fault: the reconciler SIGKILLed mid-apply', () => {
  let cluster: LocalCluster;
  let remote: GitRemote;
  let work: GitWorkdir;
  let kube: KubeClient;
  let dir: string;
  let settings: PulumiSettings;
  let configFile: string;
  let listen: string;
  let child: ChildProcess | undefined;
  let output = '';
  const context = () => `reconciler output (last 3000 characters):\n${output.slice(-3000)}`;

  const status = async () => (await readSiteStatus(kube, SITE)).status;
  const push = async (bulk: readonly string[], message: string) => {
    const sha = await work.commit(message, { 'fleet.ts': faultFleet(SITE, NS, { bulk }) });
    await work.push();
    return sha;
  };
  /** `fluxops reconcile --config <file>` in its own process group (a pod: the kill takes its Pulumi too). */
  const startChild = () => {
    const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'fluxops'), 'reconcile', '--config', configFile, '--no-images', '--log-level', 'debug'], {
      cwd: dir,
      env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: 'kill passphrase' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    return proc;
  };
  const killChild = async (proc: ChildProcess) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    await exited;
  };
  /** JSON log lines of the reconciler so far. */
  const logLines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-fault-kill-'));
    [cluster, remote] = await Promise.all([startLocalCluster(), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'kill passphrase' }, cli: 'toolchain', env: {} });
    listen = `127.0.0.1:${await freePort()}`;
    configFile = path.join(dir, 'reconcile.yaml');
    fs.writeFileSync(
      configFile,
      toYaml({ site: SITE, repository: { url: remote.url, branch: 'main' }, interval: '500ms', driftInterval: '1h', kubeconfig: cluster.kubeconfigPath, stateDir: settings.stateDir, listen, healthTimeout: '60s' }),
    );
  }, 300_000);

  afterAll(async () => {
    if (child) await killChild(child);
    kube?.close();
    await Promise.allSettled([cluster?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('killed while Pulumi writes, restarted: converges with no manual step, clears the stale lock, prunes what the killed run created and Git dropped', async () => {
    child = startChild();
    const first = await push(bulkNames(0, 10), 'ten objects');
    await until('the first commit applied', async () => (await status()).lastAppliedCommit === first, { timeoutMs: 240_000, context });

    // A commit that adds 110 objects; SIGKILL the reconciler (and its Pulumi) in the middle.
    const big = await push(bulkNames(0, 120), '120 objects');
    const present = await until(
      'the Pulumi update in the middle of the new objects',
      async () => {
        const n = (await liveBulk(kube, NS)).length;
        if (n >= 120) throw new Error('the update finished before the kill');
        return n > 15 && n;
      },
      { timeoutMs: 180_000, intervalMs: 30, context },
    );
    await killChild(child);
    child = undefined;
    // The fault was real: the run is recorded as unfinished, the killed `pulumi` left its stack lock, and the status still names the earlier commit.
    expect(await pendingRun(kube, SITE)).toBeDefined();
    expect(stackLocks(settings, SITE)).toHaveLength(1);
    const after = await status();
    expect(after.lastAppliedCommit).toBe(first);
    expect(after.lastAttemptedCommit).toBe(big);
    expect(after.conditions.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'True' });
    const createdByKilledRun = (await liveBulk(kube, NS)).filter((n) => n >= 'bulk-060');
    expect(present).toBeGreaterThan(10);

    // Git moves on while the reconciler is down: half of the new objects are dropped again.
    const half = await push(bulkNames(0, 60), 'back to 60 objects');
    output = '';
    child = startChild();
    const s = await until('the restarted reconciler applied the newest commit', async () => (await status()).lastAppliedCommit === half && (await status()), { timeoutMs: 300_000, context });
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(s.history[0]).toMatchObject({ result: 'applied', commit: half });
    // The restarted process saw the unfinished run and resynchronised (full mode) after clearing the lock.
    const applied = logLines().find((l) => l.event === 'applied');
    expect(applied).toMatchObject({ commit: half, pulumi: 'full' });
    expect(stackLocks(settings, SITE)).toEqual([]);
    expect(await pendingRun(kube, SITE)).toBeUndefined();
    // Nothing lost, nothing left: exactly the commit's objects exist and are in the inventory.
    expect(await liveBulk(kube, NS)).toEqual(bulkNames(0, 60));
    expect(createdByKilledRun.every((n) => n >= 'bulk-060')).toBe(true);
    expect((await readInventory(kube, SITE)).map((o) => o.name).filter((n) => n.startsWith('bulk-')).sort()).toEqual(bulkNames(0, 60));
    const doc = await getJson<{ lastAppliedCommit: string; consecutiveFailures: number }>(`http://${listen}/status`);
    expect(doc).toMatchObject({ lastAppliedCommit: half, consecutiveFailures: 0 });

    // And the loop keeps working: the next commit is a normal targeted run.
    const next = await push(bulkNames(0, 61), 'one more');
    await until('the next commit applied', async () => (await status()).lastAppliedCommit === next, { timeoutMs: 180_000, context });
    expect(logLines().filter((l) => l.event === 'applied').pop()).toMatchObject({ commit: next, pulumi: 'targeted' });
    expect(await liveBulk(kube, NS)).toEqual(bulkNames(0, 61));
  }, 900_000);
});
