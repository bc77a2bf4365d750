import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import pino from 'pino';

import { startLocalCluster, type ClusterServerName, type LocalCluster } from '../../dev/cluster';
import { cloneWorkdir, createGitRemote, type GitRemote, type GitWorkdir } from '../../dev/git';
import { KubeClient } from '../../reconciler/cluster/kube-client';
import { readInventory } from '../../reconciler/deploy/inventory';
import { resolveReconcileConfig } from '../../reconciler/loop/reconcile-config';
import { startReconciler, type RunningReconciler } from '../../reconciler/loop/run-reconciler';
import { gitSourceFactory } from '../../reconciler/loop/source-factory';
import { readSiteStatus } from '../../reconciler/status/site-status';
import { resolvePulumiSettings, type PulumiSettings } from '../../stacks/pulumi-env';
import { bulkNames, faultFleet, getJson, liveBulk, pendingRun, stackLocks, until } from '../support/fault-fleet';

/**
 * Faults 1 and 2 of the fault suite: the API server, then the datastore (kine) behind it, killed
 * (SIGKILL, as a crash) while the reconciler's Pulumi update is writing a commit, and started
 * again on the same port and data. While the server is gone the reconciler's /status says the
 * runs fail and the commit is not applied; after it is back the loop converges with no manual
 * step, and nothing is lost: every object of the commit exists, the inventory lists exactly the
 * commit's objects, no run record or stack lock is left behind, and a later commit that drops
 * objects prunes them.
 */

const SITE = 'fault-srv';
const NS = 'fault-srv-apps';
const BULK = 60;

interface StatusDoc {
  lastAppliedCommit: string | null;
  consecutiveFailures: number;
  currentRun: { runId: string; startedAt: string; commit: string | null } | null;
  lastRun: { result: string; commit: string | null; error: string | null } | null;
}

describe('fault: a cluster server killed during an apply', () => {
  let cluster: LocalCluster;
  let remote: GitRemote;
  let work: GitWorkdir;
  let kube: KubeClient;
  let dir: string;
  let settings: PulumiSettings;
  let running: RunningReconciler | undefined;
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const context = () => `reconciler's last log lines:\n${logs.slice(-12).map((l) => JSON.stringify(l)).join('\n')}`;

  const status = async () => (await readSiteStatus(kube, SITE)).status;
  const statusDoc = () => getJson<StatusDoc>(`${running!.server!.url}/status`);
  const push = async (bulk: readonly string[], message: string, marker?: string) => {
    const sha = await work.commit(message, { 'fleet.ts': faultFleet(SITE, NS, { bulk, ...(marker ? { marker } : {}) }) });
    await work.push();
    return sha;
  };
  /** Waits until the reconciler's Pulumi update is writing the bulk objects (some exist, not all). */
  const midApply = (expectedTotal: number, marker: string) =>
    until(
      'the Pulumi update in the middle of the bulk objects',
      async () => {
        const cms = (await kube.list('v1', 'ConfigMap', { namespace: NS })).filter((c) => c.metadata.name.startsWith('bulk-') && (c.data as Record<string, string>)?.value === marker);
        if (cms.length >= expectedTotal) throw new Error(`the update finished before the fault could be injected (${cms.length} objects)`);
        return cms.length >= 3 && cms.length;
      },
      { timeoutMs: 180_000, intervalMs: 30, context },
    );

  /** Kills `server` in the middle of applying a commit that rewrites every bulk object, checks what is said while it is gone, restarts it and checks that nothing is lost. */
  async function killDuringApply(server: ClusterServerName, marker: string, outageMs: number, expectFailedRun: boolean) {
    const before = (await status()).lastAppliedCommit;
    const sha = await push(bulkNames(0, BULK), `rewrite everything (${marker})`, marker);
    const seen = await midApply(BULK, marker);
    await cluster.killServer(server);
    const killedAt = Date.now();

    // While it is gone, /status tells the truth: the commit is not applied, and either a run failed
    // with the reason (the API server refuses connections) or the run is still on that commit
    // (without its datastore the API server holds requests instead of failing them).
    const during = await until(
      `/status while ${server} is gone`,
      async () => {
        const s = await statusDoc();
        if (Date.now() - killedAt < outageMs) return false;
        return s;
      },
      { timeoutMs: outageMs + 30_000, context },
    );
    expect(during.lastAppliedCommit).toBe(before);
    if (expectFailedRun) expect(during.lastRun).toMatchObject({ result: 'failed', commit: sha });
    if (during.lastRun?.result === 'failed' && during.currentRun?.commit !== sha) {
      expect(during.consecutiveFailures).toBeGreaterThan(0);
      expect(during.lastRun.error).toBeTruthy();
    } else {
      expect(during.currentRun).toMatchObject({ commit: sha });
    }
    const failedFor = Date.now() - killedAt;

    await cluster.restartServer(server);
    // Converges with no manual step: the commit is applied and the status says Ready.
    const s = await until(
      'the commit applied after the restart',
      async () => {
        const st = await status();
        return st.lastAppliedCommit === sha && st.conditions.find((c) => c.type === 'Ready')?.status === 'True' && st;
      },
      { timeoutMs: 240_000, context },
    );
    expect(s.history[0]).toMatchObject({ result: 'applied', commit: sha });
    // Nothing lost: every object with this commit's content, the inventory complete, no run left open, no stale lock.
    const cms = (await kube.list('v1', 'ConfigMap', { namespace: NS })).filter((c) => c.metadata.name.startsWith('bulk-'));
    expect(cms.map((c) => c.metadata.name).sort()).toEqual(bulkNames(0, BULK));
    expect(cms.every((c) => (c.data as Record<string, string>).value === marker)).toBe(true);
    const inventory = (await readInventory(kube, SITE)).map((o) => o.name);
    expect(inventory.filter((n) => n.startsWith('bulk-')).sort()).toEqual(bulkNames(0, BULK));
    expect(inventory).toEqual(expect.arrayContaining(['web']));
    expect(await pendingRun(kube, SITE)).toBeUndefined();
    expect(stackLocks(settings, SITE)).toEqual([]);
    expect((await statusDoc()).lastAppliedCommit).toBe(sha);
    return { seen, failedFor };
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-fault-srv-'));
    [cluster, remote] = await Promise.all([startLocalCluster(), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    await push(bulkNames(0, BULK), 'first fleet', 'v0');
    settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'fault passphrase' }, cli: 'toolchain', env: {} });
    const config = resolveReconcileConfig([
      {
        source: 'test',
        values: {
          site: SITE,
          repository: { url: remote.url, branch: 'main' },
          interval: '500ms',
          driftInterval: '1h',
          kubeconfig: cluster.kubeconfigPath,
          stateDir: settings.stateDir,
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
    // A run stuck on a server that never came back must not keep the cluster running.
    await Promise.race([running?.stop(), new Promise((r) => setTimeout(r, 30_000))]);
    kube?.close();
    await Promise.allSettled([cluster?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('kube-apiserver killed mid-apply: runs fail truthfully while it is gone; restarted, the commit converges and nothing is lost', async () => {
    await killDuringApply('kube-apiserver', 'v1', 20_000, true);
  }, 600_000);

  it('kine (the datastore) killed mid-apply: the same', async () => {
    await killDuringApply('kine', 'v2', 20_000, false);
  }, 600_000);

  it('after both faults, a commit that drops half of the objects prunes them, and the inventory follows', async () => {
    const sha = await push(bulkNames(0, BULK / 2), 'drop half', 'v2');
    await until('the half dropped', async () => (await status()).lastAppliedCommit === sha, { timeoutMs: 180_000, context });
    expect(await liveBulk(kube, NS)).toEqual(bulkNames(0, BULK / 2));
    expect((await readInventory(kube, SITE)).map((o) => o.name).filter((n) => n.startsWith('bulk-')).sort()).toEqual(bulkNames(0, BULK / 2));
    expect(await pendingRun(kube, SITE)).toBeUndefined();
  }, 300_000);
});
