import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import pino from 'pino';

import { findLockEntry, lockBadTags, parseImageLock } from '../../../constructs/lock';
import { updateLockText } from '../../../reconciler/images/lock';
import { readSiteStatus } from '../../../reconciler/status/site-status';
import { startLocalCluster, type LocalCluster } from '../../../dev/cluster';
import { cloneWorkdir, createGitRemote, type GitRemote, type GitWorkdir } from '../../../dev/git';
import { freePort } from '../../../dev/net';
import { pushImage, startRegistry, type LocalRegistry } from '../../../dev/registry';
import { KubeClient, type KubeObject } from '../../../reconciler/cluster/kube-client';
import type { ImageLoopEvent } from '../../../reconciler/loop/image-loop';
import { resolveReconcileConfig } from '../../../reconciler/loop/reconcile-config';
import { startReconciler, type RunningReconciler } from '../../../reconciler/loop/run-reconciler';
import { gitSourceFactory } from '../../../reconciler/loop/source-factory';
import type { LoopEvent } from '../../../reconciler/loop/site-reconciler';
import { resolvePulumiSettings } from '../../../stacks/pulumi-env';
import { openSiteStack } from '../../../stacks/workspace';

const SITE = 'img-site';
const NS = 'img-apps';

const FLEET = `
import { Alert, EdgeApp, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'img', namespace: '${NS}' }, (fleet) => {
  const source = new GitSource(fleet, 'config', { url: process.env.FLEET_GIT_URL!, ref: { kind: 'branch', name: 'main' } });
  const repo = new ImageRepository(fleet, 'gateway-repo', { name: 'gateway', image: \`\${process.env.FLEET_REGISTRY}/edge/gateway\`, insecure: true });
  const policy = new ImagePolicy(fleet, 'gateway-policy', { name: 'gateway', repository: repo, policy: { kind: 'semver', range: '^1.4.0' }, filterTags: { pattern: '^(?P<v>[0-9]+[.][0-9]+[.][0-9]+)(-crashloop)?$', extract: '$v' }, initialTag: '1.4.0', rollback: { timeout: '2m' } });
  new ImageUpdateAutomation(fleet, 'images', { source, policies: [policy], author: { name: 'FluxOps Bot', email: 'bot@example.com' }, skipCi: true });
  const app = new EdgeApp(fleet, 'gateway', { replicas: 2, containers: [{ image: policy, ports: [{ name: 'http', port: 8080 }] }] });
  new Site(fleet, '${SITE}', { apps: [app] });
  new Alert(fleet, 'hook', { provider: { kind: 'webhook', secretRef: 'hook' }, events: ['image.updated', 'image.refused', 'image.rolledback', 'reconcile.succeeded'], severity: 'info' });
});
`;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, logs: unknown[], timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; warnings and errors:\n${(logs as Array<{ level?: number }>).filter((l) => (l.level ?? 0) >= 40).slice(-10).map((l) => JSON.stringify(l)).join("\n")}\nlast log lines:\n${logs.slice(-8).map((l) => JSON.stringify(l)).join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('image automation: registry -> policy -> lock -> Git -> cluster', () => {
  let cluster: LocalCluster;
  let registry: LocalRegistry;
  let remote: GitRemote;
  let work: GitWorkdir;
  let kube: KubeClient;
  let dir: string;
  let running: RunningReconciler | undefined;
  let baseValues: Record<string, unknown>;
  let stateSettings: ReturnType<typeof resolvePulumiSettings>;
  const logs: Array<Record<string, unknown>> = [];
  const events: Array<LoopEvent | ImageLoopEvent> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  // A real HTTP receiver for the fleet's Alert (a signed JSON webhook).
  const received: Array<{ kind: string; [k: string]: unknown }> = [];
  let receiver: http.Server;

  const pods = () => kube.list<KubeObject & { spec: { nodeName?: string; containers: Array<{ image: string }> }; status?: { phase?: string } }>('v1', 'Pod', { namespace: NS });
  const deploymentImage = async () => ((await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'gateway' })) as { spec: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined)?.spec.template.spec.containers[0].image;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-images-'));
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'registry-secret'), 'registry notification secret');
    [cluster, registry, remote] = await Promise.all([
      startLocalCluster(),
      startRegistry({ notifications: [{ name: 'fluxops', url: `http://127.0.0.1:${port}/hooks/registry/distribution`, headers: { Authorization: 'Bearer registry notification secret' }, ignoredMediaTypes: ['application/octet-stream'] }] }),
      createGitRemote({ dir: path.join(dir, 'remote.git') }),
    ]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    await pushImage(registry.host, 'edge/gateway', '1.4.0', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    // A new fleet: an empty lock; image automation records the first image itself.
    await work.commit('fleet', { 'fleet.ts': FLEET, 'fluxops.lock.yaml': 'schemaVersion: 1\npolicies: {}\n' });
    await work.push();
    const settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'images passphrase' }, cli: 'toolchain', env: {} });
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // Signed with the alert's HMAC key, over the exact body.
        const expected = `sha256=${createHmac('sha256', 'hook hmac key').update(body).digest('hex')}`;
        if (req.headers['x-fluxops-signature-256'] === expected) received.push((JSON.parse(body) as { event: { kind: string } }).event);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    // The alert's URL and HMAC key are secrets of the site's stack settings.
    const stack = await openSiteStack({ site: SITE, settings, workDir: path.join(settings.stateDir, 'workspaces', SITE), program: async () => ({}) });
    await stack.setConfig('fluxops:alerts.hook.url', { value: hookUrl, secret: true }, true);
    await stack.setConfig('fluxops:alerts.hook.hmacKey', { value: 'hook hmac key', secret: true }, true);
    baseValues = {
          site: SITE,
          repository: { url: remote.url },
          interval: '1s',
          driftInterval: '10m',
          kubeconfig: cluster.kubeconfigPath,
          stateDir: settings.stateDir,
          listen: `127.0.0.1:${port}`,
          healthTimeout: '60s',
          fleetEnv: { FLEET_REGISTRY: registry.host, FLEET_GIT_URL: remote.url },
          images: { interval: '10m', webhook: { provider: 'distribution', secretFile: path.join(dir, 'registry-secret') } },
    };
    stateSettings = settings;
    running = await startReconciler({ config: resolveReconcileConfig([{ source: 'test', values: baseValues }]), sourceFactory: gitSourceFactory, logger, settings, onEvent: (e) => events.push(e) });
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    await new Promise((r) => receiver?.close(r));
    kube?.close();
    await Promise.allSettled([cluster?.stop(), registry?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('a new fleet with an empty lock: automation records the image by digest and the site runs it', async () => {
    const image = await until('the gateway pinned by digest', async () => {
      const i = await deploymentImage();
      return i?.includes('@sha256:') && i;
    }, logs);
    expect(image).toMatch(new RegExp(`^${registry.host}/edge/gateway:1\\.4\\.0@sha256:[0-9a-f]{64}$`));
    await work.pull();
    const log = await work.log();
    expect(log[0]).toMatchObject({ author: { name: 'FluxOps Bot', email: 'bot@example.com' } });
    expect(log[0].subject + (log[0].body ?? '')).toMatch(/\[skip ci\]/);
  }, 240_000);

  let good: { digest: string } | undefined;

  it('CI pushes a multi-arch tag and a newer amd64-only tag: the multi-arch one is chosen, committed and rolled out on arm64; the other is refused with its reason', async () => {
    const started = Date.now();
    good = await pushImage(registry.host, 'edge/gateway', '1.4.3', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    await pushImage(registry.host, 'edge/gateway', '1.5.0', { platforms: ['linux/amd64'], kind: 'index' });
    // The registry's push notification makes the scan happen now, not at the next 10 min interval.
    await until('1.4.3 rolled out', async () => (await deploymentImage()) === `${registry.host}/edge/gateway:1.4.3@${good!.digest}`, logs);
    await until('pods on arm64 run the new digest', async () => {
      const running = (await pods()).filter((p) => p.status?.phase === 'Running' && p.spec.containers[0].image.endsWith(good!.digest));
      return running.length === 2 && running.every((p) => /^edge-arm64-/.test(p.spec.nodeName ?? '')) && running;
    }, logs);
    const elapsed = Date.now() - started;
    console.log(`image push -> pods running the new digest: ${(elapsed / 1000).toFixed(1)} s`);

    const refused = events.find((e) => e.kind === 'image.refused' && e.tag === '1.5.0') as Extract<ImageLoopEvent, { kind: 'image.refused' }>;
    expect(refused).toMatchObject({ policy: 'gateway', code: 'missing-platform' });
    expect(refused.message).toMatch(/linux\/amd64/);
    expect(refused.message).toMatch(/linux\/arm64/);
    const updated = events.filter((e) => e.kind === 'image.updated') as Array<Extract<ImageLoopEvent, { kind: 'image.updated' }>>;
    expect(updated.pop()).toMatchObject({ policy: 'gateway', from: { tag: '1.4.0' }, to: { tag: '1.4.3', digest: good!.digest } });

    // The commit in the remote changes exactly the entry's tag, digest and time.
    await work.pull();
    const diff = await work.git(['show', '--format=', '--unified=0', 'HEAD', '--', 'fluxops.lock.yaml']);
    const changed = diff.split('\n').filter((l) => /^[-+]\s/.test(l));
    expect(changed.filter((l) => l.startsWith('+')).map((l) => l.replace(/:.*/, ''))).toEqual(['+    tag', '+    digest', '+    updatedAt']);
    expect(fs.readFileSync(path.join(work.dir, 'fluxops.lock.yaml'), 'utf8')).toContain('tag: 1.4.3');

    // People are told: the update and the refusal reached the Alert's webhook.
    await until('the notifications delivered', async () => received.some((e) => e.kind === 'image.updated' && (e as { to?: { tag?: string } }).to?.tag === '1.4.3') && received.some((e) => e.kind === 'image.refused'), logs, 30_000);
    expect(received.find((e) => e.kind === 'image.refused')).toMatchObject({ policy: 'gateway', tag: '1.5.0', reasonCode: 'missing-platform' });
  }, 240_000);

  it('a tag whose pods crash-loop is rolled back in Git: the lock returns to the previous image, the tag is marked bad, the pods run the old digest again', async () => {
    const bad = await pushImage(registry.host, 'edge/gateway', '1.5.1-crashloop', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    const badRef = `${registry.host}/edge/gateway:1.5.1-crashloop@${bad.digest}`;
    const goodRef = `${registry.host}/edge/gateway:1.4.3@${good!.digest}`;
    await until('1.5.1-crashloop applied', async () => (await deploymentImage()) === badRef, logs);
    // The pods of the new tag crash-loop; the reconciler reverts the lock entry in Git.
    const rolledBack = await until('the roll-back event', async () => events.find((e) => e.kind === 'image.rolledback') as Extract<ImageLoopEvent, { kind: 'image.rolledback' }> | undefined, logs, 180_000);
    expect(rolledBack).toMatchObject({ policy: 'gateway', bad: { tag: '1.5.1-crashloop', digest: bad.digest }, restored: { tag: '1.4.3', digest: good!.digest }, pod: { reason: 'CrashLoopBackOff', container: 'gateway' } });

    // The commit in the remote says why, restores the entry and marks the tag bad.
    await work.pull();
    const [head] = await work.log();
    expect(head.subject).toBe('Roll back gateway 1.5.1-crashloop -> 1.4.3: rollout failed on site img-site');
    expect(head.body).toMatch(/Deployment\/img-apps\/gateway: .*CrashLoopBackOff/);
    expect(head.author).toMatchObject({ name: 'FluxOps Bot', email: 'bot@example.com' });
    expect(rolledBack.commit).toBe(head.sha);
    const lockText = fs.readFileSync(path.join(work.dir, 'fluxops.lock.yaml'), 'utf8');
    const lock = parseImageLock(lockText, 'lock');
    expect(findLockEntry(lock, 'gateway')?.entry).toMatchObject({ tag: '1.4.3', digest: good!.digest });
    expect(lockBadTags(lock, 'gateway')).toEqual([expect.objectContaining({ tag: '1.5.1-crashloop', reason: expect.stringMatching(/CrashLoopBackOff/) })]);

    // The site returns to the previous image, on the arm64 nodes.
    await until('the old digest rolled out again', async () => (await deploymentImage()) === goodRef, logs);
    await until('pods run the old digest', async () => {
      const live = (await pods()).filter((p) => p.status?.phase === 'Running' && p.spec.containers[0].image === goodRef);
      return live.length === 2 && live.every((p) => /^edge-arm64-/.test(p.spec.nodeName ?? '')) && live;
    }, logs);

    // A scan does not pick the bad tag again.
    const scan = await running!.images!.fire();
    expect(scan?.pushed).toEqual([]);
    expect(scan?.scans.find((x) => x.policy === 'gateway')?.selection.rejected).toEqual(expect.arrayContaining([expect.objectContaining({ tag: '1.5.1-crashloop', code: 'bad-tag' })]));
    await until('the roll-back notification delivered', async () => received.find((e) => e.kind === 'image.rolledback'), logs, 30_000);
    expect(received.find((e) => e.kind === 'image.rolledback')).toMatchObject({ policy: 'gateway', badTag: { tag: '1.5.1-crashloop' }, restoredTag: { tag: '1.4.3' }, podState: { reason: 'CrashLoopBackOff' } });
  }, 300_000);

  it('a reconciler restarted after a rollout failed (before it could roll back) still rolls back', async () => {
    // A reconciler without the image loop applies a lock change to a crash-looping tag and records
    // the failed rollout; it stops (as a crash would leave it); a full reconciler starts.
    await running!.stop();
    running = await startReconciler({ config: resolveReconcileConfig([{ source: 'test', values: { ...baseValues, images: { enabled: false } } }]), sourceFactory: gitSourceFactory, logger, settings: stateSettings, onEvent: (e) => events.push(e) });
    const bad = await pushImage(registry.host, 'edge/gateway', '1.5.2-crashloop', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    await work.pull();
    const lockFile = path.join(work.dir, 'fluxops.lock.yaml');
    const before = findLockEntry(parseImageLock(fs.readFileSync(lockFile, 'utf8'), 'lock'), 'gateway')!.entry;
    const edit = updateLockText(fs.readFileSync(lockFile, 'utf8'), [{ action: 'set', policy: 'gateway', entry: { ...before, tag: '1.5.2-crashloop', digest: bad.digest, updatedAt: '2026-11-26T13:00:00Z' } }], { source: 'lock' });
    const failing = await work.commit('gateway 1.5.2-crashloop', { 'fluxops.lock.yaml': edit.text });
    await work.push();
    await until('the failed rollout recorded', async () => {
      const { status } = await readSiteStatus(kube, SITE);
      return status.lastAppliedCommit === failing && status.conditions.find((c) => c.type === 'Ready')?.reason === 'HealthCheckFailed';
    }, logs, 180_000);
    expect(events.filter((e) => e.kind === 'image.rolledback')).toHaveLength(1);
    await running!.stop();

    running = await startReconciler({ config: resolveReconcileConfig([{ source: 'test', values: baseValues }]), sourceFactory: gitSourceFactory, logger, settings: stateSettings, onEvent: (e) => events.push(e) });
    const rolledBack = await until('the roll-back after the restart', async () => events.filter((e) => e.kind === 'image.rolledback')[1] as Extract<ImageLoopEvent, { kind: 'image.rolledback' }> | undefined, logs, 180_000);
    expect(rolledBack).toMatchObject({ policy: 'gateway', bad: { tag: '1.5.2-crashloop' }, restored: { tag: before.tag, digest: before.digest } });
    await work.pull();
    const [head] = await work.log();
    expect(head.subject).toBe(`Roll back gateway 1.5.2-crashloop -> ${before.tag}: rollout failed on site img-site`);
    await until('the old digest rolled out again', async () => (await deploymentImage()) === `${registry.host}/edge/gateway:${before.tag}@${before.digest}`, logs);
  }, 400_000);
});
