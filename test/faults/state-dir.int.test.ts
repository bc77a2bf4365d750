import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import pino from 'pino';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { cloneWorkdir, createGitRemote, type GitRemote, type GitWorkdir } from '../../dev/git';
import { KubeClient } from '../../reconciler/cluster/kube-client';
import { readInventory } from '../../reconciler/deploy/inventory';
import { resolveReconcileConfig } from '../../reconciler/loop/reconcile-config';
import { startReconciler, type RunningReconciler } from '../../reconciler/loop/run-reconciler';
import { gitSourceFactory } from '../../reconciler/loop/source-factory';
import { readSiteStatus } from '../../reconciler/status/site-status';
import { resolvePulumiSettings, type PulumiSettings } from '../../stacks/pulumi-env';
import { bulkNames, faultFleet, liveBulk, pendingRun, stackLocks, until } from '../support/fault-fleet';

/**
 * Fault 8 of the fault suite: the reconciler's state directory (Pulumi's file backend, its
 * workspace, the Git cache) becomes read-only, then full. The tests run as root, which ignores
 * file permissions (chmod changes nothing for it), so the state directory is its own small tmpfs,
 * remounted read-only, and filled up with a file. Needs `mount` (root); skipped otherwise.
 *
 * While the fault lasts the site status says the run failed and why (read-only file system, no
 * space left), the cluster keeps the last applied commit; once the fault clears the loop
 * converges with no manual step and nothing is lost.
 */

const SITE = 'fault-state';
const NS = 'fault-state-apps';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const describeIfMount = canMount() ? describe : describe.skip;

describeIfMount('fault: the state directory read-only, then full', () => {
  let cluster: LocalCluster;
  let remote: GitRemote;
  let work: GitWorkdir;
  let kube: KubeClient;
  let dir: string;
  let stateDir: string;
  let mounted = false;
  let settings: PulumiSettings;
  let running: RunningReconciler | undefined;
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const context = () => `reconciler's last log lines:\n${logs.slice(-12).map((l) => JSON.stringify(l)).join('\n')}`;

  const status = async () => (await readSiteStatus(kube, SITE)).status;
  const push = async (n: number, message: string) => {
    const sha = await work.commit(message, { 'fleet.ts': faultFleet(SITE, NS, { bulk: bulkNames(0, n) }) });
    await work.push();
    return sha;
  };

  /** A commit arrives while the fault lasts: the run fails and the status says why; the fault clears: converges, nothing lost. */
  async function underFault(n: number, inject: () => void, clear: () => void, why: RegExp) {
    const before = (await status()).lastAppliedCommit;
    inject();
    const sha = await push(n, `${n} objects`);
    const s = await until(
      'the run failed with the reason',
      async () => {
        const st = await status();
        const ready = st.conditions.find((c) => c.type === 'Ready');
        return st.lastAttemptedCommit === sha && ready?.status === 'False' && st;
      },
      { timeoutMs: 120_000, context },
    );
    expect(s.conditions.find((c) => c.type === 'Ready')!.message).toMatch(why);
    expect(s.lastAppliedCommit).toBe(before);
    expect(s.history[0]).toMatchObject({ result: 'failed', commit: sha });
    expect((running!.reconciler.snapshot() as { consecutiveFailures: number }).consecutiveFailures).toBeGreaterThan(0);

    clear();
    const done = await until('converged after the fault cleared', async () => {
      const st = await status();
      return st.lastAppliedCommit === sha && st.conditions.find((c) => c.type === 'Ready')?.status === 'True' && st;
    }, { timeoutMs: 240_000, context });
    expect(done.history[0]).toMatchObject({ result: 'applied', commit: sha });
    expect(await liveBulk(kube, NS)).toEqual(bulkNames(0, n));
    expect((await readInventory(kube, SITE)).map((o) => o.name).filter((x) => x.startsWith('bulk-')).sort()).toEqual(bulkNames(0, n));
    expect(await pendingRun(kube, SITE)).toBeUndefined();
    expect(stackLocks(settings, SITE)).toEqual([]);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-fault-state-'));
    stateDir = path.join(dir, 'state');
    fs.mkdirSync(stateDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m,mode=0700', 'tmpfs', stateDir]);
    mounted = true;
    [cluster, remote] = await Promise.all([startLocalCluster(), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    await push(5, 'five objects');
    settings = resolvePulumiSettings({ stateDir, passphrase: { kind: 'value', passphrase: 'state passphrase' }, cli: 'toolchain', env: {} });
    const config = resolveReconcileConfig([
      {
        source: 'test',
        values: {
          site: SITE,
          repository: { url: remote.url, branch: 'main' },
          interval: '500ms',
          driftInterval: '1h',
          kubeconfig: cluster.kubeconfigPath,
          stateDir,
          listen: '127.0.0.1:0',
          healthTimeout: '60s',
          images: { enabled: false },
        },
      },
    ]);
    running = await startReconciler({ config, sourceFactory: gitSourceFactory, logger, settings });
    const head = (await work.head())!;
    await until('the first commit applied', async () => (await status()).lastAppliedCommit === head, { timeoutMs: 240_000, context });
  }, 400_000);

  afterAll(async () => {
    await Promise.race([running?.stop(), new Promise((r) => setTimeout(r, 30_000))]);
    kube?.close();
    await Promise.allSettled([cluster?.stop(), remote?.stop()]);
    if (mounted) execFileSync('umount', ['-l', stateDir]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('read-only: the run fails saying so, the cluster keeps the last commit; writable again, converges', async () => {
    await underFault(
      8,
      () => execFileSync('mount', ['-o', 'remount,ro', stateDir]),
      () => execFileSync('mount', ['-o', 'remount,rw', stateDir]),
      /read-only file system|EROFS/i,
    );
  }, 400_000);

  it('full: the run fails saying so; space freed, converges', async () => {
    const filler = path.join(stateDir, 'filler');
    await underFault(
      11,
      () => {
        // Fill every byte left (dd stops at ENOSPC).
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { stdio: 'ignore' });
        } catch {
          // "No space left on device" is the point
        }
      },
      () => fs.rmSync(filler, { force: true }),
      /no space left on device|ENOSPC/i,
    );
  }, 400_000);
});
