import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { EngineEvent } from '@pulumi/pulumi/automation';

import { startLocalCluster, type LocalCluster } from '../../../dev/cluster';
import { KubeClient, type KubeObject } from '../../../reconciler/cluster/kube-client';
import { applySite, type ApplySiteOptions } from '../../../reconciler/deploy/apply-site';
import { DryRunRejectedError } from '../../../reconciler/deploy/diff-site';
import { readInventory } from '../../../reconciler/deploy/inventory';
import { ConcurrentUpdateError } from '../../../stacks/errors';
import { resolvePulumiSettings, type PulumiSettings } from '../../../stacks/pulumi-env';
import { auditMark, writesSince } from '../../support/api-writes';

const SITE = 'engine';
const NS = 'engine-apps';

function configMap(name: string, value: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'fluxops' } }, data: { value } };
}

function deployment(name: string, image: string, podAnnotations: Record<string, string> = {}): KubeObject {
  const labels = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, ...(Object.keys(podAnnotations).length ? { annotations: podAnnotations } : {}) },
        spec: {
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] }] } } },
          containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      },
    },
  };
}

const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } };
const service: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { 'app.kubernetes.io/name': 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };

describe('apply engine: live diff, Pulumi only for what changed, crash-safe', () => {
  let cluster: LocalCluster;
  let kube: KubeClient;
  let dir: string;
  let settings: PulumiSettings;
  let workDir: string;
  let kubeconfig: string;
  const apply = (objects: KubeObject[], extra: Partial<ApplySiteOptions> = {}) =>
    applySite({ site: SITE, objects, kube, kubeconfig, settings, workDir, health: { timeoutMs: 60_000 }, ...extra });
  const base = () => [namespace, configMap('a', '1'), configMap('b', '1'), deployment('web', 'registry.local/engine/web:1.0.0'), service];
  const get = (kind: string, name: string) => kube.get({ apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, namespace: NS, name });

  beforeAll(async () => {
    cluster = await startLocalCluster({ auditLog: true });
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    kubeconfig = fs.readFileSync(cluster.kubeconfigPath, 'utf8');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-engine-'));
    settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'engine passphrase' }, cli: 'toolchain', env: {} });
    workDir = path.join(dir, 'state', 'workspaces', 'fluxops');
  }, 180_000);

  afterAll(async () => {
    kube?.close();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('first apply: every object through Pulumi, healthy, recorded in the inventory', async () => {
    const r = await apply(base());
    expect(r.pulumi).toBe('full');
    expect(r.fullReason).toBe('first apply of the site');
    expect(r.changeSet.entries.map((e) => [e.id, e.action])).toEqual([
      ['Namespace/engine-apps', 'created'],
      ['ConfigMap/engine-apps/a', 'created'],
      ['ConfigMap/engine-apps/b', 'created'],
      ['Deployment/engine-apps/web', 'created'],
      ['Service/engine-apps/web', 'created'],
    ]);
    expect(r.health.find((h) => h.id === 'Deployment/engine-apps/web')).toMatchObject({ status: 'current' });
    expect((await readInventory(kube, SITE)).map((o) => `${o.kind}/${o.name}`)).toEqual(['Namespace/engine-apps', 'ConfigMap/a', 'ConfigMap/b', 'Deployment/web', 'Service/web']);
    expect((await get('Deployment', 'web'))!.metadata.annotations).toMatchObject({ 'pulumi.com/patchFieldManager': 'fluxops' });
  }, 300_000);

  it('no change: no Pulumi process and zero writes to the API server', async () => {
    const mark = auditMark(cluster.auditLogPath!);
    const events: EngineEvent[] = [];
    const r = await apply(base(), { onEvent: (e) => events.push(e) });
    expect(r.diff.objects.filter((o) => o.action !== 'unchanged')).toEqual([]);
    expect(r.reasons).toEqual([]);
    expect(r.pulumi).toBe('skipped');
    expect(r.timings.pulumi).toBeUndefined();
    expect(events).toEqual([]);
    expect(r.changeSet.entries.every((e) => e.action === 'unchanged')).toBe(true);
    expect(writesSince(cluster.auditLogPath!, mark)).toEqual([]);
  }, 300_000);

  it('one changed object: only it gets a Pulumi step', async () => {
    const objects = base();
    objects[1] = configMap('a', '2');
    const steps: string[] = [];
    const r = await apply(objects, { onEvent: (e) => e.resourcePreEvent && steps.push(`${e.resourcePreEvent.metadata.op} ${e.resourcePreEvent.metadata.urn.split('::').pop()}`) });
    expect(r.pulumi).toBe('targeted');
    expect(r.changeSet.entries.filter((e) => e.action !== 'unchanged').map((e) => [e.id, e.action])).toEqual([['ConfigMap/engine-apps/a', 'configured']]);
    const objectSteps = steps.filter((s) => /engine-apps\//.test(s) && !s.startsWith('same '));
    expect(objectSteps).toEqual(['update engine-apps/a']);
    expect(((await get('ConfigMap', 'a'))!.data as Record<string, string>).value).toBe('2');
  }, 300_000);

  it('a manual kubectl edit is found by the diff and taken back by the apply', async () => {
    await cluster.kubectl(['-n', NS, 'set', 'image', 'deployment/web', 'app=evil.example/web:hacked']);
    const objects = base();
    objects[1] = configMap('a', '2');
    const r = await apply(objects);
    const web = r.diff.objects.find((o) => o.id === 'Deployment/engine-apps/web')!;
    expect(web.action).toBe('update');
    expect(web.changes).toEqual([expect.objectContaining({ path: 'spec.template.spec.containers[0].image', before: 'evil.example/web:hacked', after: 'registry.local/engine/web:1.0.0' })]);
    expect(r.changeSet.entries.find((e) => e.id === 'Deployment/engine-apps/web')!.action).toBe('configured');
    const dep = (await get('Deployment', 'web')) as { spec: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined;
    expect(dep!.spec.template.spec.containers[0].image).toBe('registry.local/engine/web:1.0.0');
  }, 300_000);

  it('a bad object rejected by the server dry run applies nothing of the commit', async () => {
    const objects = base();
    objects[1] = configMap('a', '3');
    objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: NS }, spec: { ports: [{ name: 'Not_A_Valid_Name', port: 80 }] } });
    const mark = auditMark(cluster.auditLogPath!);
    await expect(apply(objects)).rejects.toThrow(DryRunRejectedError);
    await expect(apply(objects)).rejects.toThrow(/Service\/engine-apps\/bad: spec\.ports\[0\]\.name: Invalid value: "Not_A_Valid_Name"/);
    expect(writesSince(cluster.auditLogPath!, mark)).toEqual([]);
    expect(((await get('ConfigMap', 'a'))!.data as Record<string, string>).value).toBe('2');
  }, 300_000);

  it('prunes an object removed from Git, in the same run as other changes', async () => {
    const objects = base().filter((o) => o.metadata.name !== 'b');
    objects[1] = configMap('a', '2');
    const r = await apply(objects);
    expect(r.changeSet.entries.find((e) => e.id === 'ConfigMap/engine-apps/b')).toMatchObject({ action: 'deleted' });
    expect(await get('ConfigMap', 'b')).toBeUndefined();
    expect((await readInventory(kube, SITE)).some((o) => o.name === 'b')).toBe(false);
  }, 300_000);

  it('reports a rollout that never becomes healthy as failed, with the pod reason, without waiting forever', async () => {
    const objects = base().filter((o) => o.metadata.name !== 'b');
    objects[1] = configMap('a', '2');
    objects.push(deployment('broken', 'registry.local/engine/broken:1.0.0', { 'fluxops.dev/simulate-waiting-reason': 'ImagePullBackOff' }));
    const started = Date.now();
    const r = await apply(objects, { health: { timeoutMs: 60_000 } });
    expect(r.changeSet.entries.find((e) => e.id === 'Deployment/engine-apps/broken')).toMatchObject({
      action: 'failed',
      message: expect.stringMatching(/not healthy: pod broken-[a-z0-9-]+: container app ImagePullBackOff/),
    });
    expect(Date.now() - started).toBeLessThan(55_000);
    // the failed object is applied and recorded; later runs see it as unchanged, not lost
    expect((await readInventory(kube, SITE)).some((o) => o.name === 'broken')).toBe(true);
  }, 300_000);

  it('clears a Pulumi lock left by a killed run, never one held by a live run', async () => {
    const locks = path.join(settings.backendUrl.slice('file://'.length), '.pulumi', 'locks', 'organization', 'fluxops', SITE);
    fs.mkdirSync(locks, { recursive: true });
    const stale = path.join(locks, 'stale.json');
    fs.writeFileSync(stale, JSON.stringify({ pid: 2 ** 22 - 3, username: 'root', hostname: os.hostname(), timestamp: new Date().toISOString() }));
    const objects = base().filter((o) => o.metadata.name !== 'b');
    objects[1] = configMap('a', '4');
    await apply(objects, { health: false });
    expect(fs.existsSync(stale)).toBe(false);

    const live = spawn('bash', ['-c', 'exec -a pulumi sleep 300'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(locks, 'live.json'), JSON.stringify({ pid: live.pid, username: 'root', hostname: os.hostname(), timestamp: new Date().toISOString() }));
      objects[1] = configMap('a', '5');
      await expect(apply(objects, { health: false })).rejects.toThrow(ConcurrentUpdateError);
      expect(fs.existsSync(path.join(locks, 'live.json'))).toBe(true);
      expect(((await get('ConfigMap', 'a'))!.data as Record<string, string>).value).toBe('4');
    } finally {
      live.kill('SIGKILL');
      fs.rmSync(path.join(locks, 'live.json'), { force: true });
    }
  }, 300_000);

  it('SIGKILL in the middle of an apply, then a restart: converges, and what the killed run created is pruned when Git drops it', async () => {
    const many = Array.from({ length: 120 }, (_, i) => configMap(`bulk-${String(i).padStart(3, '0')}`, 'x'));
    const objects = [...base().filter((o) => o.metadata.name !== 'b'), ...many];
    objects[1] = configMap('a', '4');
    const input = path.join(dir, 'child-input.json');
    fs.writeFileSync(input, JSON.stringify({ site: SITE, objects, kubeconfig: cluster.kubeconfigPath, stateDir: path.join(dir, 'state'), passphrase: 'engine passphrase', workDir }));
    const child = spawn(process.execPath, ['--require', require.resolve('ts-node/register/transpile-only'), path.join(__dirname, '..', '..', 'support', 'apply-child.ts'), input], {
      env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', '..', '..', 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    // Kill the whole process group (the engine and its pulumi) once some bulk objects exist.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const present = (await kube.list('v1', 'ConfigMap', { namespace: NS })).filter((c) => c.metadata.name.startsWith('bulk-')).length;
      if (present >= 5 && present < many.length) break;
      if (present === many.length || Date.now() > deadline) throw new Error(`could not catch the run in the middle (${present} objects; ${output})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // A restart (a new process) with the next commit, which keeps half of the bulk objects and
    // drops the other half: it converges with no manual step (the killed run is recognised), the
    // kept ones all exist, and the dropped ones are all gone, also those that only the killed run
    // created (Pulumi's state never recorded them).
    const kept = many.slice(0, 60);
    const next = [...objects.filter((o) => !o.metadata.name.startsWith('bulk-')), ...kept];
    const r = await apply(next, { health: false });
    expect(r.pulumi).toBe('full');
    expect(r.fullReason).toMatch(/did not finish/);
    const names = (await kube.list('v1', 'ConfigMap', { namespace: NS })).map((c) => c.metadata.name).filter((n) => n.startsWith('bulk-')).sort();
    expect(names).toEqual(kept.map((k) => k.metadata.name));
    // and the run after that has nothing to do
    const after = await apply(next, { health: false });
    expect(after.reasons).toEqual([]);
    expect(after.pulumi).toBe('skipped');
  }, 600_000);
});
