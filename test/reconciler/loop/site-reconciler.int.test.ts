import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import pino from 'pino';

import { startLocalCluster, type LocalCluster } from '../../../dev/cluster';
import { cloneWorkdir, createGitRemote, type GitRemote, type GitWorkdir } from '../../../dev/git';
import { KubeClient } from '../../../reconciler/cluster/kube-client';
import { resolveReconcileConfig } from '../../../reconciler/loop/reconcile-config';
import { startReconciler, type RunningReconciler } from '../../../reconciler/loop/run-reconciler';
import { SiteReconciler } from '../../../reconciler/loop/site-reconciler';
import { gitSourceFactory } from '../../../reconciler/loop/source-factory';
import { readSiteStatus, setSuspended } from '../../../reconciler/status/site-status';
import { resolvePulumiSettings, type PulumiSettings } from '../../../stacks/pulumi-env';
import { auditMark, writesSince } from '../../support/api-writes';

const SITE = 'loop-site';
const NS = 'loop-apps';

interface Knobs {
  replicas?: number;
  image?: string;
  withWorker?: boolean;
  broken?: 'typescript' | 'props' | 'server';
}

function fleet(k: Knobs = {}): string {
  return `
import { EdgeApp, RawObjects, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'loop', namespace: '${NS}' }, (fleet) => {
  const web = new EdgeApp(fleet, 'web', { replicas: ${k.replicas ?? 1}, containers: [{ image: { ref: '${k.image ?? 'registry.local/loop/web:1.0.0'}' }, ports: [{ name: 'http', port: ${k.broken === 'props' ? 80800 : 8080} }] }] });
  const apps = [web];
  ${k.withWorker ? "apps.push(new EdgeApp(fleet, 'worker', { containers: [{ image: { ref: 'registry.local/loop/worker:1.0.0' } }] }));" : ''}
  ${k.broken === 'server' ? `new RawObjects(fleet, 'bad', { objects: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: '${NS}' }, spec: { ports: [{ name: 'Not_A_Valid_Name', port: 80 }] } }] });` : ''}
  new Site(fleet, '${SITE}', { apps });
});
${k.broken === 'typescript' ? 'const oops: number = ;' : ''}
`;
}

/** The reconciler's log lines, shown when a wait times out. */
const logs: Array<Record<string, unknown>> = [];

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the reconciler's last log lines:\n${logs.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('the reconcile loop (real cluster, real git remote, real Pulumi)', () => {
  let cluster: LocalCluster;
  let remote: GitRemote;
  let work: GitWorkdir;
  let kube: KubeClient;
  let dir: string;
  let settings: PulumiSettings;
  let running: RunningReconciler | undefined;
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const webhookSecret = 'loop webhook secret';

  const deployment = (name: string) => kube.get<{ apiVersion: string; kind: string; metadata: { name: string }; spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } }>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name });
  const status = async () => (await readSiteStatus(kube, SITE)).status;
  const push = async (k: Knobs, message: string) => {
    const sha = await work.commit(message, { 'fleet.ts': fleet(k) });
    await work.push();
    return sha;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-loop-'));
    [cluster, remote] = await Promise.all([startLocalCluster({ auditLog: true }), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    await push({}, 'first fleet');
    settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'loop passphrase' }, cli: 'toolchain', env: {} });
    fs.writeFileSync(path.join(dir, 'webhook-secret'), webhookSecret);
    const config = resolveReconcileConfig([
      {
        source: 'test',
        values: {
          site: SITE,
          repository: { url: remote.url, branch: 'main' },
          interval: '500ms',
          driftInterval: '3s',
          kubeconfig: cluster.kubeconfigPath,
          stateDir: settings.stateDir,
          listen: '127.0.0.1:0',
          webhook: { provider: 'github', secretFile: path.join(dir, 'webhook-secret') },
          healthTimeout: '60s',
        },
      },
    ]);
    running = await startReconciler({ config, sourceFactory: gitSourceFactory, logger, settings });
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    kube?.close();
    await Promise.allSettled([cluster?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('a commit in the remote appears in the cluster; the status says Ready with the commit', async () => {
    const head = (await work.head())!;
    const s = await until('the first commit applied', async () => {
      const st = await status();
      return st.lastAppliedCommit === head && st;
    });
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
    expect((await deployment('web'))!.spec.replicas).toBe(1);
    expect(s.history[0]).toMatchObject({ result: 'applied', commit: head });
    const events = await kube.list('v1', 'Event', { namespace: 'fluxops-system' });
    expect(events.some((e) => (e as { reason?: string }).reason === 'ReconciliationSucceeded')).toBe(true);
  }, 180_000);

  it('no change: the loop checks the head and writes nothing', async () => {
    const mark = auditMark(cluster.auditLogPath!);
    await new Promise((r) => setTimeout(r, 2500));
    expect(writesSince(cluster.auditLogPath!, mark)).toEqual([]);
  }, 60_000);

  it('a changed object is updated; an added app appears; a removed app is pruned', async () => {
    const sha = await push({ replicas: 2, withWorker: true }, 'two replicas, a worker');
    await until('replicas 2 and the worker', async () => (await deployment('web'))?.spec.replicas === 2 && (await deployment('worker')) !== undefined && (await status()).lastAppliedCommit === sha);
    const sha2 = await push({ replicas: 2 }, 'no worker');
    await until('the worker pruned', async () => (await status()).lastAppliedCommit === sha2 && (await deployment('worker')) === undefined);
  }, 180_000);

  it.each([
    ['a TypeScript error', 'typescript', /SynthesisFailed/],
    ['bad construct props', 'props', /SynthesisFailed/],
    ['a manifest the API server rejects', 'server', /InvalidManifest/],
  ] as const)('a broken commit (%s) leaves the cluster as it was and stalls with the reason, until a newer commit', async (_what, broken, reason) => {
    const before = (await status()).lastAppliedCommit;
    const bad = await push({ replicas: 3, broken }, `broken: ${broken}`);
    const s = await until('Stalled', async () => {
      const st = await status();
      return st.lastAttemptedCommit === bad && st.conditions.find((c) => c.type === 'Stalled' && c.status === 'True') && st;
    });
    expect(s.conditions.find((c) => c.type === 'Stalled')!.reason).toMatch(reason);
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    expect(s.lastAppliedCommit).toBe(before);
    expect((await deployment('web'))!.spec.replicas).toBe(2);
    // A newer good commit clears it.
    const good = await push({ replicas: 2, image: 'registry.local/loop/web:1.0.1' }, 'fixed');
    const fixed = await until('Ready again', async () => {
      const st = await status();
      return st.lastAppliedCommit === good && st;
    });
    expect(fixed.conditions.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'False' });
  }, 240_000);

  it('a manual kubectl edit is reverted by drift correction, and says so', async () => {
    await cluster.kubectl(['-n', NS, 'scale', 'deployment/web', '--replicas=5']);
    await until('drift corrected', async () => (await deployment('web'))!.spec.replicas === 2 && (await status()).history.some((h) => h.result === 'drift-corrected'));
    const record = (await status()).history.find((h) => h.result === 'drift-corrected')!;
    expect(record.message).toMatch(/Deployment\/loop-apps\/web \(spec\.replicas\)/);
    const events = await kube.list('v1', 'Event', { namespace: 'fluxops-system' });
    expect(events.some((e) => (e as { reason?: string }).reason === 'DriftCorrected')).toBe(true);
  }, 120_000);

  it('suspend stops applying; resume catches up', async () => {
    await setSuspended(kube, SITE, true);
    await new Promise((r) => setTimeout(r, 1500));
    const sha = await push({ replicas: 3, image: 'registry.local/loop/web:1.0.1' }, 'three replicas while suspended');
    await new Promise((r) => setTimeout(r, 4000));
    expect((await deployment('web'))!.spec.replicas).toBe(2);
    expect((await status()).suspended).toBe(true);
    await setSuspended(kube, SITE, false);
    await until('caught up after resume', async () => (await status()).lastAppliedCommit === sha && (await deployment('web'))!.spec.replicas === 3);
  }, 120_000);

  it('webhooks: bad and missing signatures get 401 and trigger nothing; a burst of ten signed pushes gives at most two runs', async () => {
    const url = `${running!.server!.url}/hooks/git/github`;
    const body = (sha: string) => JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { clone_url: remote.url, html_url: remote.url } });
    const sign = (b: string, secret = webhookSecret) => `sha256=${createHmac('sha256', secret).update(b).digest('hex')}`;
    const post = (b: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body: b, headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers } });
    expect((await post(body('0'.repeat(40)), {})).status).toBe(401);
    expect((await post(body('0'.repeat(40)), { 'x-hub-signature-256': sign('x', 'wrong') })).status).toBe(401);

    // Slow polling down so only webhooks trigger runs, then push ten commits in a burst.
    const runsBefore = running!.reconciler.snapshot().trigger as { runs: number };
    const shas: string[] = [];
    for (let i = 0; i < 10; i++) shas.push(await work.commit(`burst ${i}`, { 'fleet.ts': fleet({ replicas: 3, image: `registry.local/loop/web:1.1.${i}` }) }));
    await work.push();
    await Promise.all(shas.map((sha) => post(body(sha), { 'x-hub-signature-256': sign(body(sha)) }).then((r) => expect(r.status).toBe(202))));
    await until('the newest commit applied', async () => (await status()).lastAppliedCommit === shas[9]);
    const applied = (await status()).history.filter((h) => shas.includes(h.commit ?? '') && h.result === 'applied');
    expect(applied.length).toBeLessThanOrEqual(2);
    expect(applied[0].commit).toBe(shas[9]);
    expect(((await deployment('web'))!.spec.template.spec.containers[0].image)).toBe('registry.local/loop/web:1.1.9');
    expect((running!.reconciler.snapshot().trigger as { runs: number }).runs - runsBefore.runs).toBeGreaterThan(0);
  }, 180_000);

  it('two reconcilers of one site never apply at once: the second waits for the lease and then has nothing to do', async () => {
    const second = new SiteReconciler({
      site: SITE,
      source: await gitSourceFactory(resolveReconcileConfig([{ source: 't', values: { site: SITE, repository: { url: remote.url } } }]), path.join(dir, 'git2'), logger),
      kube,
      kubeconfig: fs.readFileSync(cluster.kubeconfigPath, 'utf8'),
      settings,
      workDir: path.join(settings.stateDir, 'workspaces', SITE),
      identity: 'reconciler/test/second',
      logger,
    });
    const sha = await push({ replicas: 4, image: 'registry.local/loop/web:1.1.9' }, 'four replicas');
    const [a, b] = await Promise.all([running!.reconciler.fire('manual'), second.runOnce()]);
    const results = [a?.result, b.result];
    expect(results.filter((r) => r === 'failed' || r === 'stalled')).toEqual([]);
    expect((await deployment('web'))!.spec.replicas).toBe(4);
    expect((await status()).lastAppliedCommit).toBe(sha);
    // Pulumi would report a concurrent update if both had run it at the same time.
    expect(logs.some((l) => l.code === 'concurrent-update')).toBe(false);
    await second.stop();
  }, 180_000);

  it('JSON logs carry site, commit and run id, and never a secret', () => {
    const applied = logs.find((l) => l.event === 'applied')!;
    expect(applied).toMatchObject({ site: SITE, commit: expect.stringMatching(/^[0-9a-f]{40}$/), runId: expect.any(String) });
    const all = JSON.stringify(logs);
    expect(all).not.toContain(webhookSecret);
    expect(all).not.toContain('loop passphrase');
  });
});
