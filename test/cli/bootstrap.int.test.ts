import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import pino from 'pino';
import { parseAllDocuments } from 'yaml';

import { startLocalCluster, writeKubeconfig, type LocalCluster } from '../../dev/cluster';
import { cloneWorkdir, createGitRemote, type GitRemote } from '../../dev/git';
import { KubeApiError, KubeClient } from '../../reconciler/cluster/kube-client';
import { resolveReconcileConfig } from '../../reconciler/loop/reconcile-config';
import { reconcileOnce } from '../../reconciler/loop/run-reconciler';
import { gitSourceFactory } from '../../reconciler/loop/source-factory';
import { resolvePulumiSettings } from '../../stacks/pulumi-env';

const run = promisify(execFile);
const FLUXOPS = path.join(__dirname, '..', '..', 'bin', 'fluxops');
const SITE = 'boot-site';

const FLEET = `
import { EdgeApp, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'boot', namespace: 'boot-apps' }, (fleet) => {
  const web = new EdgeApp(fleet, 'web', {
    containers: [{ image: { ref: 'registry.local/boot/web:1.0.0' }, ports: [{ name: 'http', port: 8080 }] }],
    config: { data: { 'app.yaml': 'a: 1\\n' }, mountPath: '/etc/web' },
  });
  new Site(fleet, '${SITE}', { apps: [web] });
});
`;

describe('fluxops bootstrap: the reconciler in the cluster, with least-privilege RBAC', () => {
  let cluster: LocalCluster;
  let remote: GitRemote;
  let dir: string;
  let config: string;
  let kube: KubeClient;
  const fluxops = (...args: string[]) => run(FLUXOPS, args, { cwd: config, env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath }, maxBuffer: 64 << 20 });
  const common = () => ['--site', SITE, '--repo', remote.url, '--image', 'registry.local/fluxops/reconciler:0.1.0'];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-bootstrap-'));
    [cluster, remote] = await Promise.all([startLocalCluster(), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    const work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    await work.commit('fleet', { 'fleet.ts': FLEET });
    await work.push();
    config = work.dir;
    fs.writeFileSync(path.join(dir, 'passphrase'), 'bootstrap passphrase\n');
  }, 240_000);

  afterAll(async () => {
    kube?.close();
    await Promise.allSettled([cluster?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('--dry-run prints manifests the server accepts, and applies nothing', async () => {
    const { stdout } = await fluxops('bootstrap', ...common(), '--dry-run');
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: any; rules?: any[] });
    const kinds = docs.map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'PersistentVolumeClaim', 'Deployment']));
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe('fluxops-reconciler');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(JSON.stringify(pod.affinity)).toContain('"arm64"');
    expect(pod.containers[0].args).toEqual(expect.arrayContaining(['reconcile', '--site', SITE, '--repo', remote.url]));
    const role = docs.find((d) => d.kind === 'ClusterRole')!;
    // exactly what the site manages, nothing cluster-wide beyond it
    expect(role.rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ apiGroups: ['apps'], resources: ['deployments'] }),
        expect.objectContaining({ apiGroups: [''], resources: ['configmaps', 'services'] }),
        expect.objectContaining({ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }),
      ]),
    );
    expect(JSON.stringify(role.rules)).not.toMatch(/"\*"|"secrets"/);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'fluxops-system', name: 'fluxops-reconciler' })).toBeUndefined();
  }, 180_000);

  it('installs the reconciler; its credentials go into a Secret and never into the output', async () => {
    const { stdout } = await fluxops('bootstrap', ...common(), '--passphrase-file', path.join(dir, 'passphrase'));
    expect(stdout).toMatch(/Deployment\/fluxops-system\/fluxops-reconciler created/);
    expect(stdout).not.toContain('bootstrap passphrase');
    const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'fluxops-system', name: 'fluxops-reconciler-credentials' });
    expect(Buffer.from((secret!.data as Record<string, string>)['pulumi-passphrase'], 'base64').toString()).toBe('bootstrap passphrase');
    // A second run changes nothing it does not have to.
    const again = await fluxops('bootstrap', ...common(), '--passphrase-file', path.join(dir, 'passphrase'));
    expect(again.stdout).toMatch(/Deployment\/fluxops-system\/fluxops-reconciler unchanged/);
  }, 180_000);

  it('the loop works with exactly the RBAC bootstrap grants (the ServiceAccount token), and nothing more', async () => {
    const token = (await kube.create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'fluxops-reconciler', namespace: 'fluxops-system' }, spec: { expirationSeconds: 3600 } }).catch(async () => {
      const p = await kube.pathOf({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'fluxops-system', name: 'fluxops-reconciler' });
      return kube.request<{ status: { token: string } }>('POST', `${p}/token`, { body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } }), contentType: 'application/json' });
    })) as unknown as { status: { token: string } };
    const saKubeconfig = path.join(dir, 'sa-kubeconfig');
    writeKubeconfig(saKubeconfig, { contextName: 'reconciler', server: cluster.endpoint.server, caPem: cluster.endpoint.ca, token: token.status.token });

    const sa = await KubeClient.connect({ kubeconfig: saKubeconfig });
    try {
      // Nothing beyond what the site manages: no Secrets of other namespaces.
      await expect(sa.list('v1', 'Secret', { namespace: 'kube-system' })).rejects.toMatchObject({ status: 403 });
      await expect(sa.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'cluster-admin' })).rejects.toBeInstanceOf(KubeApiError);
    } finally {
      sa.close();
    }

    const settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'bootstrap passphrase' }, cli: 'toolchain', env: {} });
    const cfg = resolveReconcileConfig([{ source: 'test', values: { site: SITE, repository: { url: remote.url }, kubeconfig: saKubeconfig, healthTimeout: '60s' } }]);
    const outcome = await reconcileOnce({ config: cfg, sourceFactory: gitSourceFactory, settings, logger: pino({ level: 'silent' }) });
    expect(outcome.error?.message).toBeUndefined();
    expect(outcome.result).toBe('applied');
    expect(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'boot-apps', name: 'web' })).toBeDefined();
  }, 300_000);
});
