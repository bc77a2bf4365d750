/**
 * The whole GitOps loop, FluxOps against its real peer: the FluxOps reconciler (`fluxops reconcile`,
 * a child process, as users run it) and Flux's source-controller + kustomize-controller (built by
 * `npm run toolchain -- bench`, run out of cluster with a kubeconfig and a loopback artifact
 * address), one after the other, against the same local cluster, the same Git remote (smart HTTP on
 * 127.0.0.1) and the same sites: Flux applies the plain YAML `fluxops synth` renders from the very
 * fleet FluxOps follows (another namespace).
 *
 * Per site size, for each tool: a small commit brings the loop up (untimed); then
 * - first apply of the site: commit -> applied, triggered like a webhook;
 * - idle RSS afterwards; a no-change window (reconcile durations from the tool's own logs, API writes
 *   from the audit log);
 * - commit -> applied by polling (both poll every 10 s), then by webhook (one object changed).
 * FluxOps also: image push -> pods running the new digest (registry notification, lock commit, apply).
 *
 * Flux's webhook path is its notification-controller Receiver, which is not buildable from the
 * module proxy; what a Receiver does on a push is annotate the GitRepository with
 * `reconcile.fluxcd.io/requestedAt`, and that is what is done here instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { cloneWorkdir, createGitRemote, startHttpGitServer, type GitRemote, type GitWorkdir, type HttpGitServer } from '../../dev/git';
import { freePort } from '../../dev/net';
import { pushImage, startRegistry, type LocalRegistry } from '../../dev/registry';
import { locateToolchain, type Toolchain } from '../../dev/toolchain';
import { KubeClient, type KubeObject } from '../../reconciler/cluster/kube-client';
import { readSiteStatus } from '../../reconciler/status/site-status';
import { auditMark, writesSince } from '../../test/support/api-writes';
import { firstLine, median, RssSampler, treeRssByProcess, treeRssBytes, until } from '../harness';
import type { BenchModule, BenchRow, PlotPoint } from '../harness/types';
import { siteObjects } from './site-objects';

const SITE = 'bench';
const POLL = '10s';
const ROOT = path.join(__dirname, '..', '..');
const MiB = 2 ** 20;

/** What one tool measured at one site size. */
interface LoopFigures {
  /** Objects in the site (from `fluxops synth`). */
  readonly objects: number;
  /** Process start -> small first commit applied (untimed setup, reported as detail). */
  readonly startSeconds: number;
  readonly firstApply: number;
  readonly polling: number;
  readonly webhook: number;
  /** Durations of the no-change reconciles seen in the window, seconds. */
  readonly noChange: readonly number[];
  readonly writes: number;
  readonly windowSeconds: number;
  readonly idleMiB: number;
  readonly peakMiB: number;
  readonly imagePush?: number;
  /** Where the time of the timed runs went (FluxOps: phases of its `applied` log events). */
  readonly breakdown?: string;
  /** Idle RSS per process. */
  readonly idleBreakdown?: string;
}

interface Env {
  readonly dir: string;
  readonly toolchain: Toolchain;
  readonly cluster: LocalCluster;
  readonly kube: KubeClient;
  readonly git: HttpGitServer;
  readonly remote: GitRemote;
  /** The remote as both tools see it: `http://127.0.0.1:<port>/fleet.git`. */
  readonly url: string;
  readonly work: GitWorkdir;
  readonly log: (m: string) => void;
  readonly quick: boolean;
}

// ---------------------------------------------------------------------------------------------
// The fleet both tools get.

/**
 * fleet.ts of a config repository whose site holds the benchmark objects (as RawObjects, the same
 * objects the apply benchmark uses) plus one app, `gateway`: with `images`, its image comes from
 * an ImagePolicy that image automation keeps up to date.
 */
export function fleetSource(ns: string, n: number, variant: number, images: boolean): string {
  // Without the Namespace (the fleet's namespace) and minus the gateway's Deployment + Service.
  const objects = siteObjects(ns, Math.max(n - 2, 4), variant).slice(1);
  const gateway = images
    ? `const source = new GitSource(fleet, 'config', { url: process.env.FLEET_GIT_URL!, ref: { kind: 'branch', name: 'main' } });
  const repo = new ImageRepository(fleet, 'gateway-repo', { name: 'gateway', image: \`\${process.env.FLEET_REGISTRY}/edge/gateway\`, insecure: true });
  const policy = new ImagePolicy(fleet, 'gateway-policy', { name: 'gateway', repository: repo, policy: { kind: 'semver', range: '^1.0.0' }, initialTag: '1.0.0' });
  new ImageUpdateAutomation(fleet, 'images', { source, policies: [policy], author: { name: 'FluxOps Bot', email: 'bot@example.com' } });
  const image = policy;`
    : `const image = { ref: 'registry.local:5000/edge/gateway:1.0.0' };`;
  const names = images ? 'EdgeApp, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation, RawObjects, Site, defineFleet' : 'EdgeApp, RawObjects, Site, defineFleet';
  return `import { ${names} } from 'fluxops/constructs';
// Generated by bench/modules/gitops.ts: ${objects.length} objects, variant ${variant}.
const objects = ${JSON.stringify(objects)};
export default defineFleet({ name: 'bench', namespace: '${ns}' }, (fleet) => {
  ${gateway}
  const gw = new EdgeApp(fleet, 'gateway', { containers: [{ image, ports: [{ name: 'http', port: 8080 }] }] });
  new RawObjects(fleet, 'site-objects', { objects });
  new Site(fleet, '${SITE}', { apps: [gw] });
});
`;
}

const EMPTY_LOCK = 'schemaVersion: 1\npolicies: {}\n';

/** Runs the fluxops CLI (as a user would, through bin/fluxops). */
function fluxopsCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'fluxops'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`fluxops ${args[0]} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
  });
}

/** Writes the plain YAML `fluxops synth` renders for a fleet into `out` (one file per object); returns the object count. */
async function synthPlain(env: Env, fleet: string, out: string): Promise<number> {
  const src = fs.mkdtempSync(path.join(env.dir, 'synth-'));
  fs.writeFileSync(path.join(src, 'fleet.ts'), fleet);
  fs.writeFileSync(path.join(src, 'fluxops.lock.yaml'), EMPTY_LOCK);
  fs.rmSync(out, { recursive: true, force: true });
  await fluxopsCli(['synth', '-C', src, '--out', out]);
  fs.rmSync(src, { recursive: true, force: true });
  return fs.readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.yaml')).length;
}

/** Commits and pushes; pulls first, because image automation pushes to the same branch. */
async function commitPush(env: Env, message: string, files: Record<string, string> = {}): Promise<string> {
  await env.work.pull();
  const sha = await env.work.commit(message, files);
  await env.work.push();
  return sha;
}

function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Median RSS of a set of process trees over a few seconds, MiB. */
async function idleRss(pids: readonly number[], seconds: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < seconds; i++) {
    xs.push(pids.reduce((s, p) => s + treeRssBytes(p), 0) / MiB);
    await sleep(1000);
  }
  return median(xs);
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// FluxOps: `fluxops reconcile` as a child process.

interface JsonLog {
  readonly time?: string;
  readonly event?: string;
  readonly runId?: string;
  readonly correcting?: boolean;
  readonly [k: string]: unknown;
}

async function runFluxops(env: Env, n: number, registry: LocalRegistry | undefined, hookPort: number, secret: string): Promise<LoopFigures> {
  const ns = `fo-${n}`;
  const dir = `fluxops-${n}`;
  const state = path.join(env.dir, `fluxops-state-${n}`);
  const images = registry !== undefined;
  const fleetEnv = images ? ['--fleet-env', `FLEET_REGISTRY=${registry.host}`, '--fleet-env', `FLEET_GIT_URL=${env.url}`] : [];
  const start = await commitPush(env, `fluxops ${n}: bring the loop up`, { [`${dir}/fleet.ts`]: fleetSource(ns, 10, 0, images), [`${dir}/fluxops.lock.yaml`]: EMPTY_LOCK });

  const args = [
    path.join(ROOT, 'bin', 'fluxops'), 'reconcile',
    '--site', SITE, '--repo', env.url, '--path', dir, '--interval', POLL, '--drift-interval', POLL,
    '--kubeconfig', env.cluster.kubeconfigPath, '--state-dir', state, '--listen', `127.0.0.1:${hookPort}`,
    '--webhook-provider', 'github', '--webhook-secret-file', path.join(env.dir, 'webhook-secret'),
    '--health-timeout', '120s', '--log-level', 'debug', ...fleetEnv,
    ...(images ? ['--images-interval', '10m', '--registry-webhook-provider', 'distribution', '--registry-webhook-secret-file', path.join(env.dir, 'registry-secret')] : ['--no-images']),
  ];
  const logs: JsonLog[] = [];
  let stderr = '';
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: 'bench passphrase' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      try {
        logs.push(JSON.parse(l) as JsonLog);
      } catch {
        logs.push({ event: 'unparsed', line: l });
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const rss = new RssSampler(child.pid!, 250);
  const context = () => `; reconciler stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}; last log events: ${logs.slice(-5).map((l) => `${l.event ?? ''} ${String(l.msg ?? '')}`).join(' | ')}`;
  const applied = async (sha: string, what: string, timeoutMs = 600_000) => {
    try {
      await until(what, async () => child.exitCode === null && (await readSiteStatus(env.kube, SITE)).status.lastAppliedCommit === sha, timeoutMs, 100);
    } catch (err) {
      throw new Error(`${firstLine(err)}${context()}`);
    }
  };
  const hook = async (sha: string) => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { clone_url: env.url, html_url: env.url } });
    const res = await fetch(`http://127.0.0.1:${hookPort}/hooks/git/github`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
    });
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  };
  const gatewayImage = async () => ((await env.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'gateway' })) as { spec?: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined)?.spec?.template.spec.containers[0]?.image;
  try {
    // Up: the small commit applied (with images: the automation's own first lock commit too).
    let head = start;
    if (images) {
      await until('image automation to pin the gateway by digest', async () => (await gatewayImage())?.includes('@sha256:'), 300_000, 250).catch((err: unknown) => {
        throw new Error(`${firstLine(err)}${context()}`);
      });
      await env.work.pull();
      head = (await env.work.head())!;
    }
    await applied(head, 'the reconciler to apply its first commit');
    const startSeconds = since(t0);
    env.log(`fluxops ${n}: up in ${startSeconds.toFixed(1)} s`);

    // First apply of the whole site, webhook-triggered.
    const fleet = (variant: number) => ({ [`${dir}/fleet.ts`]: fleetSource(ns, n, variant, images) });
    rss.reset();
    const c1 = await commitPush(env, `fluxops ${n}: the site`, fleet(0));
    let t = performance.now();
    await hook(c1);
    await applied(c1, `the ${n}-object site applied`);
    const firstApply = since(t);
    const peakMiB = rss.peakMiB;
    env.log(`fluxops ${n}: first apply ${firstApply.toFixed(2)} s, peak RSS ${peakMiB.toFixed(0)} MiB`);
    await sleep(3000);
    const idleMiB = await idleRss([child.pid!], 5);
    const idleBreakdown = [...treeRssByProcess(child.pid!)].map(([p, b]) => `${p} ${(b / MiB).toFixed(0)} MiB`).join('; ');

    // No change: what the loop does on its own (polls, drift checks) over three intervals.
    const windowSeconds = env.quick ? 20 : 35;
    const mark = auditMark(env.cluster.auditLogPath!);
    const logMark = logs.length;
    await sleep(windowSeconds * 1000);
    const writes = writesSince(env.cluster.auditLogPath!, mark).length;
    const started = new Map<string, number>();
    const noChange: number[] = [];
    for (const l of logs.slice(logMark)) {
      if (l.event === 'run-started' && l.correcting && l.runId && l.time) started.set(l.runId, Date.parse(l.time));
      if (l.event === 'no-drift' && l.runId && l.time && started.has(l.runId)) noChange.push((Date.parse(l.time) - started.get(l.runId)!) / 1000);
    }
    env.log(`fluxops ${n}: no-change window ${windowSeconds} s: ${noChange.length} drift checks, ${writes} API writes`);

    // Commit -> applied by polling (no webhook), then by webhook; one object changed each time.
    const c2 = await commitPush(env, `fluxops ${n}: one change, polled`, fleet(1));
    t = performance.now();
    await applied(c2, 'the polled commit applied');
    const polling = since(t);
    const c3 = await commitPush(env, `fluxops ${n}: one change, webhook`, fleet(2));
    t = performance.now();
    await hook(c3);
    await applied(c3, 'the webhook commit applied');
    const webhook = since(t);
    env.log(`fluxops ${n}: commit -> applied: polling ${polling.toFixed(2)} s, webhook ${webhook.toFixed(2)} s`);

    let imagePush: number | undefined;
    if (registry) {
      t = performance.now();
      const pushed = await pushImage(registry.host, 'edge/gateway', '1.0.1', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
      await until('pods running the new digest', async () => {
        const pods = await env.kube.list<KubeObject & { spec: { containers: Array<{ image: string }> }; status?: { phase?: string }; metadata: { deletionTimestamp?: string } }>('v1', 'Pod', { namespace: ns, labelSelector: 'app.kubernetes.io/name=gateway' });
        const live = pods.filter((p) => !p.metadata.deletionTimestamp);
        return live.length > 0 && live.every((p) => p.status?.phase === 'Running' && p.spec.containers[0]!.image.endsWith(pushed.digest));
      }, 300_000, 200).catch((err: unknown) => {
        throw new Error(`${firstLine(err)}${context()}`);
      });
      imagePush = since(t);
      env.log(`fluxops ${n}: image push -> running ${imagePush.toFixed(2)} s`);
    }
    const objects = await synthPlain(env, fleetSource(ns, n, 0, false), path.join(env.dir, `count-${n}`));
    const phasesOf = (sha: string) => {
      const l = logs.find((x) => x.event === 'applied' && x.commit === sha);
      const t = l?.timings as Record<string, number> | undefined;
      return t ? Object.entries(t).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)} s`).join(', ') : 'no applied event logged';
    };
    const breakdown = `FluxOps apply phases: first apply ${phasesOf(c1)}; webhook commit ${phasesOf(c3)}`;
    return { objects, startSeconds, firstApply, polling, webhook, noChange, writes, windowSeconds, idleMiB, peakMiB: Math.max(peakMiB, rss.peakMiB), breakdown, idleBreakdown, ...(imagePush !== undefined ? { imagePush } : {}) };
  } finally {
    rss.stop();
    await stopChild(child);
  }
}

// ---------------------------------------------------------------------------------------------
// Flux: source-controller + kustomize-controller out of cluster.

interface FluxControllers {
  readonly pids: readonly number[];
  readonly logs: string[];
  stop(): Promise<void>;
}

async function startFlux(env: Env): Promise<FluxControllers> {
  const bin = env.toolchain.binDir;
  const storage = path.join(env.dir, 'flux-storage');
  fs.mkdirSync(storage, { recursive: true });
  const [storagePort, m1, h1, m2, h2] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const childEnv = { ...process.env, KUBECONFIG: env.cluster.kubeconfigPath, RUNTIME_NAMESPACE: 'flux-system' };
  const logs: string[] = [];
  const start = (name: string, args: string[]) => {
    const child = spawn(path.join(bin, name), args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], cwd: env.dir });
    const keep = (c: Buffer) => {
      for (const l of c.toString().split('\n')) if (l.trim()) logs.push(`${name} ${l}`);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  };
  const common = ['--log-level=info', '--log-encoding=json', '--enable-leader-election=false', '--watch-all-namespaces=true'];
  const source = start('source-controller', [...common, `--metrics-addr=127.0.0.1:${m1}`, `--health-addr=127.0.0.1:${h1}`, `--storage-path=${storage}`, `--storage-addr=127.0.0.1:${storagePort}`, `--storage-adv-addr=127.0.0.1:${storagePort}`]);
  const kustomize = start('kustomize-controller', [...common, `--metrics-addr=127.0.0.1:${m2}`, `--health-addr=127.0.0.1:${h2}`]);
  const children = [source, kustomize];
  const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  try {
    await until('the Flux controllers to be ready', async () => {
      if (children.some((c) => c.exitCode !== null)) throw new Error(`a Flux controller exited: ${logs.slice(-5).join(' | ')}`);
      return (await ready(h1)) && (await ready(h2));
    }, 120_000, 250);
  } catch (err) {
    await Promise.all(children.map((c) => stopChild(c)));
    throw new Error(`${firstLine(err)}; logs: ${logs.slice(-5).join(' | ')}`);
  }
  return { pids: children.map((c) => c.pid!), logs, stop: () => Promise.all(children.map((c) => stopChild(c))).then(() => undefined) };
}

async function runFlux(env: Env, n: number, flux: FluxControllers): Promise<LoopFigures> {
  const ns = `fx-${n}`;
  const dir = `flux-${n}`;
  const name = `bench-${n}`;
  const out = path.join(env.work.dir, dir);
  const synthCommit = async (message: string, size: number, variant: number) => {
    await env.work.pull();
    const objects = await synthPlain(env, fleetSource(ns, size, variant, false), out);
    const sha = await env.work.commit(message);
    await env.work.push();
    return { sha, objects };
  };
  const ks = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: 'flux-system', name };
  const repo = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', namespace: 'flux-system', name };
  type Ks = KubeObject & { status?: { lastAppliedRevision?: string; conditions?: Array<{ type: string; status: string; message?: string }> } };
  const applied = async (sha: string, what: string, timeoutMs = 600_000) => {
    try {
      await until(what, async () => {
        const k = await env.kube.get<Ks>(ks);
        return k?.status?.lastAppliedRevision?.endsWith(sha) === true && k.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      }, timeoutMs, 100);
    } catch (err) {
      const k = await env.kube.get<Ks>(ks).catch(() => undefined);
      throw new Error(`${firstLine(err)}; Kustomization status: ${JSON.stringify(k?.status?.conditions ?? [])}; Flux logs: ${flux.logs.slice(-4).join(' | ')}`);
    }
  };
  const requestReconcile = async () => {
    // What a notification-controller Receiver does for a push: annotate the source.
    const p = await env.kube.pathOf(repo);
    await env.kube.request('PATCH', p, { body: JSON.stringify({ metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } }), contentType: 'application/merge-patch+json' });
  };

  const up = await synthCommit(`flux ${n}: bring the loop up`, 10, 0);
  const rss = new RssSampler(flux.pids, 250);
  const t0 = performance.now();
  await env.kube.apply({ apiVersion: repo.apiVersion, kind: repo.kind, metadata: { name, namespace: 'flux-system' }, spec: { interval: POLL, url: env.url, ref: { branch: 'main' }, timeout: '60s' } }, { fieldManager: 'bench' });
  await env.kube.apply(
    { apiVersion: ks.apiVersion, kind: ks.kind, metadata: { name, namespace: 'flux-system' }, spec: { interval: POLL, retryInterval: POLL, path: `./${dir}`, prune: true, wait: true, timeout: '2m', sourceRef: { kind: 'GitRepository', name } } },
    { fieldManager: 'bench' },
  );
  try {
    await applied(up.sha, 'Flux to apply its first commit');
    const startSeconds = since(t0);
    env.log(`flux ${n}: up in ${startSeconds.toFixed(1)} s`);

    rss.reset();
    const c1 = await synthCommit(`flux ${n}: the site`, n, 0);
    let t = performance.now();
    await requestReconcile();
    await applied(c1.sha, `Flux to apply the ${n}-object site`);
    const firstApply = since(t);
    const peakMiB = rss.peakMiB;
    env.log(`flux ${n}: first apply ${firstApply.toFixed(2)} s (${c1.objects} objects), peak RSS ${peakMiB.toFixed(0)} MiB`);
    await sleep(3000);
    const idleMiB = await idleRss(flux.pids, 5);
    const idleBreakdown = flux.pids.flatMap((p) => [...treeRssByProcess(p)]).map(([p, b]) => `${p} ${(b / MiB).toFixed(0)} MiB`).join('; ');

    const windowSeconds = env.quick ? 20 : 35;
    const mark = auditMark(env.cluster.auditLogPath!);
    const logMark = flux.logs.length;
    await sleep(windowSeconds * 1000);
    const writes = writesSince(env.cluster.auditLogPath!, mark).length;
    // kustomize-controller logs "Reconciliation finished in 1.234s, next run in 10s" per run.
    const noChange: number[] = [];
    for (const l of flux.logs.slice(logMark)) {
      if (!l.startsWith('kustomize-controller ') || !l.includes(`"name":"${name}"`)) continue;
      const m = /Reconciliation finished in ([0-9.]+)(ms|s|m)/.exec(l);
      if (m) noChange.push(Number(m[1]) / (m[2] === 'ms' ? 1000 : m[2] === 'm' ? 1 / 60 : 1));
    }
    env.log(`flux ${n}: no-change window ${windowSeconds} s: ${noChange.length} reconciles, ${writes} API writes`);

    const c2 = await synthCommit(`flux ${n}: one change, polled`, n, 1);
    t = performance.now();
    await applied(c2.sha, 'Flux to apply the polled commit');
    const polling = since(t);
    const c3 = await synthCommit(`flux ${n}: one change, webhook`, n, 2);
    t = performance.now();
    await requestReconcile();
    await applied(c3.sha, 'Flux to apply the requested commit');
    const webhook = since(t);
    env.log(`flux ${n}: commit -> applied: polling ${polling.toFixed(2)} s, webhook ${webhook.toFixed(2)} s`);
    return { objects: c1.objects, startSeconds, firstApply, polling, webhook, noChange, writes, windowSeconds, idleMiB, peakMiB: Math.max(peakMiB, rss.peakMiB), idleBreakdown };
  } finally {
    rss.stop();
    // Suspend by deleting the Kustomization without pruning its objects (the namespace goes next).
    await env.kube.request('PATCH', await env.kube.pathOf(ks), { body: JSON.stringify({ spec: { prune: false, suspend: true } }), contentType: 'application/merge-patch+json' }).catch(() => undefined);
    await env.kube.delete(ks).catch(() => undefined);
    await env.kube.delete(repo).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

function rowsFor(n: number, ours: LoopFigures | undefined, flux: LoopFigures | undefined, fluxName: string, fluxSkipped: string | undefined): BenchRow[] {
  const peer = (f: (x: LoopFigures) => number) => (flux ? { baseline: f(flux), baselineName: fluxName } : {});
  const skip = (what: string) => ({ value: null, skipped: what });
  const fluxNote = flux ? '' : ` (Flux not run: ${fluxSkipped})`;
  const size = ours ? `${ours.objects} objects` : `${n} objects`;
  if (!ours) return [{ name: `GitOps loop, ${n} objects`, unit: 's', ...skip('FluxOps loop did not finish') }];
  const nc = ours.noChange.length ? median(ours.noChange) : NaN;
  return [
    { name: `loop: first apply of the site, commit -> applied (webhook), ${size}`, value: ours.firstApply, unit: 's', ...peer((x) => x.firstApply), goal: { kind: 'ratio', max: 1 }, detail: `FluxOps waits for health, Flux with wait: true; reconciler start -> small first commit applied ${ours.startSeconds.toFixed(1)} s${flux ? `, Flux ${flux.startSeconds.toFixed(1)} s` : ''}${fluxNote}; ${ours.breakdown ?? ''}` },
    { name: `loop: commit -> applied (polling every ${POLL}), one object changed in ${size}`, value: ours.polling, unit: 's', ...peer((x) => x.polling), goal: { kind: 'max', value: 15 }, detail: `one sample each: the wait for the next poll is up to ${POLL} for both tools` },
    { name: `loop: commit -> applied (webhook), one object changed in ${size}`, value: ours.webhook, unit: 's', ...peer((x) => x.webhook), goal: { kind: 'ratio', max: 1 }, detail: flux ? 'Flux: the GitRepository annotated with reconcile.fluxcd.io/requestedAt, as its Receiver does' : `no peer${fluxNote}` },
    {
      name: `loop: no-change reconcile (drift check), ${size}`,
      value: Number.isFinite(nc) ? nc : null,
      unit: 's',
      ...(flux && flux.noChange.length ? { baseline: median(flux.noChange), baselineName: fluxName } : {}),
      goal: { kind: 'ratio', max: 1 },
      ...(Number.isFinite(nc) ? {} : { skipped: 'no drift check ran in the window' }),
      detail: `median over a ${ours.windowSeconds} s window: FluxOps ${ours.noChange.length} drift checks (${ours.noChange.map((x) => x.toFixed(2)).join(', ')} s, from its logs)${flux ? (flux.noChange.length ? `; Flux ${flux.noChange.length} Kustomization reconciles (${flux.noChange.map((x) => x.toFixed(2)).join(', ')} s, "Reconciliation finished in")` : '; no Flux reconcile finished in the window (no baseline)') : ''}`,
    },
    { name: `loop: API writes in ${ours.windowSeconds} s without changes, ${size}`, value: ours.writes, unit: 'writes', ...peer((x) => x.writes), goal: { kind: 'max', value: 0 }, detail: 'writes (create/update/patch/delete, dry runs excluded) in the API server audit log by anything but the cluster itself' },
    { name: `loop: reconciler idle RSS, ${size} applied`, value: ours.idleMiB, unit: 'MiB', ...peer((x) => x.idleMiB), goal: { kind: 'max', value: 100 }, detail: `process tree: fluxops reconcile (Node, ts-node) and its pre-spawned synthesis child (${ours.idleBreakdown ?? '-'})${flux ? `; Flux: source-controller + kustomize-controller (${flux.idleBreakdown ?? '-'})` : ''}` },
    { name: `loop: reconciler peak RSS, ${size} first apply`, value: ours.peakMiB, unit: 'MiB', ...peer((x) => x.peakMiB), goal: { kind: 'max', value: 600 }, detail: 'process tree incl. synthesis child, pulumi CLI and Kubernetes provider, sampled every 250 ms' },
  ];
}

/** `gitops`: the reconciler loop vs Flux's controllers at 100 and 1000 objects (100 with --quick). */
export const gitopsModule: BenchModule = {
  name: 'gitops',
  description: 'fluxops reconcile vs Flux source+kustomize-controller: first apply, commit -> applied (webhook, polling), no-change cycle and writes, RSS, image push -> running',
  async run(ctx) {
    const sizes = ctx.quick ? [100] : [100, 1000];
    const toolchain = locateToolchain();
    const fluxVersion = toolchain.fluxVersions.FLUX_VERSION ?? '?';
    const fluxName = `Flux ${fluxVersion}`;
    // Looked up before each Flux phase: the opt-in build may still be finishing when a run starts.
    const fluxMissing = (): string | undefined =>
      !['source-controller', 'kustomize-controller'].every((b) => fs.existsSync(path.join(toolchain.binDir, b)))
        ? 'controllers not built (bash toolchain/build.sh bench)'
        : toolchain.hasFluxCrds()
          ? undefined
          : 'Flux CRDs not built (npm run toolchain)';
    let fluxSkipped = fluxMissing();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-bench-gitops-'));
    const hookPort = await freePort();
    // One secret for the Git push webhook and the registry's notifications (the registry is configured once).
    const secret = randomBytes(16).toString('hex');
    fs.writeFileSync(path.join(dir, 'webhook-secret'), secret);
    fs.writeFileSync(path.join(dir, 'registry-secret'), secret);
    const projectRoot = path.join(dir, 'git');
    fs.mkdirSync(projectRoot);
    const [cluster, remote, registry] = await Promise.all([
      startLocalCluster({ auditLog: true }),
      createGitRemote({ dir: path.join(projectRoot, 'fleet.git') }),
      startRegistry({ notifications: [{ name: 'fluxops', url: `http://127.0.0.1:${hookPort}/hooks/registry/distribution`, headers: { Authorization: `Bearer ${secret}` }, ignoredMediaTypes: ['application/octet-stream'] }] }),
    ]);
    let git: HttpGitServer | undefined;
    let kube: KubeClient | undefined;
    let work: GitWorkdir | undefined;
    let flux: FluxControllers | undefined;
    const rows: BenchRow[] = [];
    const plot: PlotPoint[] = [];
    const notes: string[] = [];
    try {
      git = await startHttpGitServer({ projectRoot });
      work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
      await work.commit('README', { 'README.md': '# benchmark config repository\n' });
      await work.push();
      kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
      let env: Env = { dir, toolchain, cluster, kube, git, remote, url: git.url('fleet.git'), work, log: ctx.log, quick: ctx.quick };
      await pushImage(registry.host, 'edge/gateway', '1.0.0', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
      for (const n of sizes) {
        let ours: LoopFigures | undefined;
        let theirs: LoopFigures | undefined;
        let fluxError = fluxSkipped;
        try {
          // Image automation in the first size only (one image push is one figure).
          ours = await runFluxops(env, n, n === sizes[0] ? registry : undefined, hookPort, secret);
        } catch (err) {
          ctx.log(`fluxops ${n} failed: ${err instanceof Error ? err.message : String(err)}`);
          rows.push({ name: `loop (FluxOps), ${n} objects`, value: null, unit: 's', skipped: `failed: ${firstLine(err)}` });
        }
        await cluster.kubectl(['delete', 'namespace', `fo-${n}`, '--wait=true', '--timeout=600s']).catch((err: unknown) => ctx.log(`deleting fo-${n}: ${firstLine(err)}`));
        fluxSkipped = fluxMissing();
        fluxError = fluxSkipped;
        if (!fluxSkipped) {
          try {
            if (!flux) {
              await cluster.kubectl(['apply', '--server-side', '-f', toolchain.fluxCrdsDir]);
              await cluster.kubectl(['wait', '--for=condition=established', 'crd', '--all', '--timeout=60s']);
              await cluster.kubectl(['create', 'namespace', 'flux-system']);
              // A new client: its discovery cache predates the Flux CRDs.
              kube.close();
              kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
              env = { ...env, kube };
              flux = await startFlux(env);
            }
            theirs = await runFlux(env, n, flux);
          } catch (err) {
            fluxError = `failed: ${firstLine(err)}`;
            ctx.log(`flux ${n} failed: ${err instanceof Error ? err.message : String(err)}`);
          }
          await cluster.kubectl(['delete', 'namespace', `fx-${n}`, '--wait=true', '--timeout=600s']).catch((err: unknown) => ctx.log(`deleting fx-${n}: ${firstLine(err)}`));
        }
        if (ours) rows.push(...rowsFor(n, ours, theirs, fluxName, fluxError));
        if (ours?.imagePush !== undefined) {
          rows.push({ name: 'loop: image push -> pods running the new digest', value: ours.imagePush, unit: 's', goal: { kind: 'max', value: 10 }, detail: 'registry notification -> scan -> policy with platform check -> lock commit pushed -> apply -> kwok pod Running; Flux peer not run (its image controllers are not buildable from the module proxy)' });
        }
        if (ours) plot.push({ series: 'FluxOps loop (commit -> applied)', objects: ours.objects, seconds: ours.firstApply });
        if (theirs) plot.push({ series: `${fluxName} (commit -> applied)`, objects: theirs.objects, seconds: theirs.firstApply });
      }
      notes.push(`Same cluster, same Git remote (git http-backend on 127.0.0.1), same fleet: Flux applies the plain YAML of \`fluxops synth\` of it, in its own namespace; the two tools run one after the other, never at once.`);
      notes.push(`Both poll every ${POLL} (FluxOps --interval/--drift-interval, Flux GitRepository and Kustomization interval). Flux controllers run out of cluster with --enable-leader-election=false and the same admin kubeconfig.`);
      if (fluxSkipped) notes.push(`Flux peer not run: ${fluxSkipped}.`);
      return { rows, plot, notes, versions: { kubernetes: cluster.version, ...(fluxSkipped ? {} : { flux: fluxVersion, 'source-controller': toolchain.fluxVersions.FLUX_SOURCE_CONTROLLER_VERSION ?? '?', 'kustomize-controller': toolchain.fluxVersions.FLUX_KUSTOMIZE_CONTROLLER_VERSION ?? '?' }) } };
    } finally {
      await flux?.stop();
      kube?.close();
      await git?.stop();
      await work?.dispose();
      await Promise.allSettled([cluster.stop(), remote.stop(), registry.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
