import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import pino from 'pino';

import { findLockEntry, parseImageLock } from '../../constructs';
import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { cloneWorkdir, createGitRemote, remoteLog, runGit, type GitRemote, type GitWorkdir } from '../../dev/git';
import { pushImage, startFaultProxy, startRegistry, type FaultProxy, type LocalRegistry } from '../../dev/registry';
import { KubeClient } from '../../reconciler/cluster/kube-client';
import { RegistryClient, RegistryUnavailableError } from '../../reconciler/images/registry';
import { resolveReconcileConfig } from '../../reconciler/loop/reconcile-config';
import { startReconciler, type RunningReconciler } from '../../reconciler/loop/run-reconciler';
import { gitSourceFactory } from '../../reconciler/loop/source-factory';
import { readSiteStatus } from '../../reconciler/status/site-status';
import { resolvePulumiSettings } from '../../stacks/pulumi-env';
import { getJson, until } from '../support/fault-fleet';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

/**
 * Faults 5, 6 and 7 of the fault suite, on the whole loop (registry -> policy -> lock -> Git ->
 * cluster) of an in-process reconciler:
 * - the registry (behind dev/registry's fault proxy) down, answering 5xx, answering 429 with
 *   Retry-After, and slower than the client's timeout: the image loop says so per policy in
 *   /status, commits nothing, and picks the new tag once the registry is back;
 * - the Git remote (git daemon, behind a TCP forwarder) unreachable while a person pushes to it
 *   directly: the site status says the remote cannot be reached; afterwards the loop converges to
 *   the person's commit, and the image commit made after the outage lands on top of it (no lost
 *   commit, no duplicate).
 */

const SITE = 'fault-img';
const NS = 'fault-img-apps';

const fleet = (replicas: number) => `
import { EdgeApp, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'img', namespace: '${NS}' }, (fleet) => {
  const source = new GitSource(fleet, 'config', { url: process.env.FLEET_GIT_URL!, ref: { kind: 'branch', name: 'main' } });
  const repo = new ImageRepository(fleet, 'gateway-repo', { name: 'gateway', image: \`\${process.env.FLEET_REGISTRY}/edge/gateway\`, insecure: true });
  const policy = new ImagePolicy(fleet, 'gateway-policy', { name: 'gateway', repository: repo, policy: { kind: 'semver', range: '^1.4.0' }, initialTag: '1.4.0' });
  new ImageUpdateAutomation(fleet, 'images', { source, policies: [policy], author: { name: 'FluxOps Bot', email: 'bot@example.com' } });
  const app = new EdgeApp(fleet, 'gateway', { replicas: ${replicas}, containers: [{ image: policy, ports: [{ name: 'http', port: 8080 }] }] });
  new Site(fleet, '${SITE}', { apps: [app] });
});
`;

interface ImagesStatus {
  images: { lastRun: { error: string | null; failed: Array<{ policy: string; code: string; error: string }>; policies: Array<{ policy: string; selected: string | null }> } | null };
}

describe('fault: registry and Git remote faults under the image and site loops', () => {
  let cluster: LocalCluster;
  let registry: LocalRegistry;
  let proxy: FaultProxy;
  let remote: GitRemote;
  let gitLink: TcpProxy;
  let work: GitWorkdir;
  let kube: KubeClient;
  let dir: string;
  let running: RunningReconciler | undefined;
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const context = () => `reconciler's last log lines:\n${logs.slice(-12).map((l) => JSON.stringify(l)).join('\n')}`;
  const TIMEOUT_MS = 2_000;

  const status = async () => (await readSiteStatus(kube, SITE)).status;
  const lockedTag = async () => {
    const text = await runGit(['--git-dir', remote.dir, 'show', 'main:fluxops.lock.yaml']);
    return findLockEntry(parseImageLock(text, 'remote lock'), 'gateway')?.entry.tag;
  };
  const deployment = async () =>
    (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'gateway' })) as { spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } } | undefined;
  const deployedTag = async () => /:([^:@]+)@sha256:/.exec((await deployment())?.spec.template.spec.containers[0].image ?? '')?.[1];
  const imagesStatus = () => getJson<ImagesStatus>(`${running!.server!.url}/status`);
  /** Automation commits in the remote that set the gateway to `tag`. */
  const lockCommits = async (tag: string) => (await remoteLog(remote)).filter((c) => c.author.name === 'FluxOps Bot' && `${c.subject}\n${c.body}`.includes(tag));
  const push = (tag: string) => pushImage(registry.host, 'edge/gateway', tag, { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });

  /** The registry misbehaves (`inject`), a scan reports it and commits nothing; the fault clears, the next scan picks `tag` and the site runs it. */
  async function registryFault(tag: string, inject: () => Promise<void>, clear: () => Promise<void>, expectFailure: (e: RegistryUnavailableError) => void) {
    const before = await lockedTag();
    await push(tag);
    await inject();
    const during = await running!.images!.fire();
    expect(during!.pushed).toEqual([]);
    expect(during!.failures.map((f) => f.policy)).toEqual(['gateway']);
    const err = during!.failures[0].error;
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expectFailure(err as RegistryUnavailableError);
    const doc = await imagesStatus();
    expect(doc.images.lastRun!.failed).toEqual([expect.objectContaining({ policy: 'gateway', code: 'registry-unavailable' })]);
    expect(await lockedTag()).toBe(before);

    await clear();
    const after = await running!.images!.fire();
    expect(after!.failures).toEqual([]);
    expect(after!.pushed).toHaveLength(1);
    expect(await lockedTag()).toBe(tag);
    expect((await imagesStatus()).images.lastRun!.failed).toEqual([]);
    await until(`the site running ${tag}`, async () => (await deployedTag()) === tag, { timeoutMs: 180_000, context });
    expect(await lockCommits(tag)).toHaveLength(1);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-fault-img-'));
    [cluster, registry, remote] = await Promise.all([startLocalCluster(), startRegistry(), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    proxy = await startFaultProxy(registry.url);
    const daemonUrl = await remote.serve();
    gitLink = await startTcpProxy(Number(new URL(daemonUrl).port));
    const gitUrl = `git://127.0.0.1:${gitLink.port}/${remote.name}`;
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    await push('1.4.0');
    // People push over the file path (their own way to the remote); the reconciler goes through the link that fails.
    work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    await work.commit('fleet', { 'fleet.ts': fleet(1), 'fluxops.lock.yaml': 'schemaVersion: 1\npolicies: {}\n' });
    await work.push();
    const settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'img passphrase' }, cli: 'toolchain', env: {} });
    const config = resolveReconcileConfig([
      {
        source: 'test',
        values: {
          site: SITE,
          repository: { url: gitUrl },
          interval: '1s',
          driftInterval: '1h',
          kubeconfig: cluster.kubeconfigPath,
          stateDir: settings.stateDir,
          listen: '127.0.0.1:0',
          healthTimeout: '60s',
          // The fleet names the repository by path (GitSource takes no git:// URL); the reconciler reads and pushes through the link.
          fleetEnv: { FLEET_REGISTRY: proxy.host, FLEET_GIT_URL: remote.url },
          // Scans are fired by the test; the interval only backs them up.
          images: { interval: '1h' },
        },
      },
    ]);
    // Short timeouts and few retries, so each fault is reported within seconds.
    const client = new RegistryClient({ timeoutMs: TIMEOUT_MS, retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 400, maxRetryAfterMs: 5_000 } });
    running = await startReconciler({ config, sourceFactory: gitSourceFactory, logger, settings, registry: client });
    await until('the site running 1.4.0', async () => (await deployedTag()) === '1.4.0', { timeoutMs: 240_000, context });
  }, 400_000);

  afterAll(async () => {
    await Promise.race([running?.stop(), new Promise((r) => setTimeout(r, 30_000))]);
    kube?.close();
    await Promise.allSettled([cluster?.stop(), registry?.stop(), proxy?.stop(), gitLink?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('registry down (connection refused): reported, nothing committed; back up, the new tag is picked', async () => {
    await registryFault(
      '1.4.1',
      () => proxy.down(),
      () => proxy.up(),
      (e) => expect(e.lastStatus).toBeUndefined(),
    );
  }, 300_000);

  it('registry answering 503: reported with the status, nothing committed; healthy again, the new tag is picked', async () => {
    await registryFault(
      '1.4.2',
      async () => proxy.setRule(() => ({ kind: 'respond', status: 503, body: 'maintenance' })),
      async () => proxy.setRule(undefined),
      (e) => expect(e.lastStatus).toBe(503),
    );
  }, 300_000);

  it('registry answering 429 with Retry-After: the wait asked for is honoured, then the scan goes through', async () => {
    await push('1.4.3');
    let limited = 0;
    proxy.setRule((req) => (req.path.includes('/tags/list') && limited++ === 0 ? { kind: 'respond', status: 429, headers: { 'retry-after': '2' }, body: 'slow down' } : undefined));
    const from = proxy.requests.length;
    const o = await running!.images!.fire();
    proxy.setRule(undefined);
    expect(o!.failures).toEqual([]);
    expect(await lockedTag()).toBe('1.4.3');
    const lists = proxy.requests.slice(from).filter((r) => r.path.includes('/tags/list'));
    expect(lists.map((r) => r.status)).toEqual([429, 200]);
    expect(lists[1].at - lists[0].at).toBeGreaterThanOrEqual(1_900);
    // A registry that keeps limiting is reported like any other fault.
    await registryFault(
      '1.4.4',
      async () => proxy.setRule(() => ({ kind: 'respond', status: 429, headers: { 'retry-after': '1' } })),
      async () => proxy.setRule(undefined),
      (e) => expect(e.lastStatus).toBe(429),
    );
  }, 300_000);

  it('registry slower than the timeout: reported as a timeout, nothing committed; fast again, the new tag is picked', async () => {
    await registryFault(
      '1.4.5',
      async () => proxy.setRule(() => ({ kind: 'stall', ms: TIMEOUT_MS * 3 })),
      async () => proxy.setRule(undefined),
      (e) => {
        expect(e.lastStatus).toBeUndefined();
        expect(e.message).toMatch(/time/i);
      },
    );
  }, 300_000);

  it('Git remote unreachable while a person pushes: the status says so; reachable again, their commit is applied and the image commit lands on top of it', async () => {
    // Start from a quiet site: the remote's head applied and recorded.
    const applied = (await remoteLog(remote))[0].sha;
    await until('the remote head applied', async () => (await status()).lastAppliedCommit === applied, { timeoutMs: 120_000, context });
    await gitLink.down();
    const human = await (async () => {
      await work.pull();
      const sha = await work.commit('three replicas', { 'fleet.ts': fleet(3) });
      await work.push();
      return sha;
    })();
    await push('1.4.6');
    // While unreachable: the site says the remote cannot be read, and the image loop says its run failed.
    const s = await until(
      'the site status naming the Git fault',
      async () => {
        const st = await status();
        const ready = st.conditions.find((c) => c.type === 'Ready');
        return ready?.status === 'False' && ready.reason === 'ReconciliationFailed' && st;
      },
      { timeoutMs: 60_000, context },
    );
    expect(s.conditions.find((c) => c.type === 'Ready')!.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${gitLink.port}|unreachable|refused|connect`, 'i'));
    expect(s.lastAppliedCommit).toBe(applied);
    const during = await running!.images!.fire();
    expect(during!.error).toBeDefined();
    expect(during!.pushed).toEqual([]);
    expect((await imagesStatus()).images.lastRun!.error).toBeTruthy();
    expect((await deployment())!.spec.replicas).toBe(1);

    await gitLink.up();
    const after = await running!.images!.fire();
    expect(after!.error).toBeUndefined();
    expect(after!.pushed).toHaveLength(1);
    const log = await remoteLog(remote);
    // The person's commit is kept, with the automation's commit on top of it.
    expect(log[0].author.name).toBe('FluxOps Bot');
    expect(log[0].parents).toEqual([human]);
    expect(await lockCommits('1.4.6')).toHaveLength(1);
    await until('the site converged to both commits', async () => {
      const st = await status();
      return st.lastAppliedCommit === log[0].sha && (await deployment())!.spec.replicas === 3 && (await deployedTag()) === '1.4.6' && st.conditions.find((c) => c.type === 'Ready')?.status === 'True';
    }, { timeoutMs: 180_000, context });
  }, 300_000);
});
