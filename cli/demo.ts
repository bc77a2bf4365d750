import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';

import type { LocalCluster } from '../dev/cluster';
import type { GitRemote } from '../dev/git';
import type { LocalRegistry } from '../dev/registry';
import type { RunningReconciler } from '../reconciler/loop/run-reconciler';
import type { KubeClient as KubeClientType } from '../reconciler/cluster/kube-client';

const EXAMPLE = path.join(__dirname, '..', 'examples', 'edge-fleet');

/** Images the example fleet starts from (its policies' initial tags), pushed as amd64+arm64. */
const EXAMPLE_IMAGES: ReadonlyArray<{ repo: string; tag: string; policy: string }> = [
  { repo: 'edge/sensor-gateway', tag: '1.4.0', policy: 'sensor-gateway' },
  { repo: 'edge/eclipse-mosquitto', tag: '2.0.18', policy: 'mqtt-broker' },
  { repo: 'edge/dashboard', tag: 'main-3f2a9c1-1731400000', policy: 'dashboard' },
];

/** `fluxops demo`: the whole mission on the embedded local edge cluster. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run FluxOps end to end on the embedded local edge cluster, registry and Git remote: CI pushes an image, FluxOps picks it, commits it and rolls it out on arm64')
    .option('--site <name>', 'edge site of the example fleet to deploy', 'factory-a')
    .option('--keep-logs <file>', "write the reconciler's JSON log lines to this file")
    .action(async (o: { site: string; keepLogs?: string }) => {
      await runDemo(o.site, o.keepLogs);
    });
}

async function runDemo(site: string, keepLogs: string | undefined): Promise<void> {
  // Loaded here, not at the top: `fluxops --help` and other commands stay fast.
  const { default: pino } = await import('pino');
  const { startLocalCluster } = await import('../dev/cluster');
  const { cloneWorkdir, createGitRemote } = await import('../dev/git');
  const { freePort } = await import('../dev/net');
  const { pushImage, startRegistry } = await import('../dev/registry');
  const { KubeClient } = await import('../reconciler/cluster/kube-client');
  const { resolveReconcileConfig } = await import('../reconciler/loop/reconcile-config');
  const { startReconciler } = await import('../reconciler/loop/run-reconciler');
  const { gitSourceFactory } = await import('../reconciler/loop/source-factory');
  const { readSiteStatus } = await import('../reconciler/status/site-status');
  const { resolvePulumiSettings, setSiteSecret } = await import('../stacks');
  const say = (line: string) => console.log(line);
  const t0 = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-demo-'));
  let cluster: LocalCluster | undefined;
  let registry: LocalRegistry | undefined;
  let remote: GitRemote | undefined;
  let running: RunningReconciler | undefined;
  let kube: KubeClientType | undefined;
  const events: Array<Record<string, unknown>> = [];
  const logLines: string[] = [];
  const stopAll = async () => {
    await running?.stop().catch(() => undefined);
    kube?.close();
    await Promise.allSettled([cluster?.stop(), registry?.stop(), remote?.stop()]);
    if (keepLogs) fs.writeFileSync(keepLogs, logLines.join(''));
    fs.rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const until = async <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 240_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe().catch(() => undefined);
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what} (run with --keep-logs <file> to see the reconciler's log)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    say('1/7 starting the local edge cluster, an OCI registry and a Git remote on 127.0.0.1');
    const port = await freePort();
    const registrySecret = randomBytes(16).toString('hex');
    [cluster, registry, remote] = await Promise.all([
      startLocalCluster({ stateDir: path.join(work, 'cluster') }),
      // The registry tells FluxOps about every push, so a new image is picked up in seconds.
      startRegistry({ stateDir: path.join(work, 'registry'), notifications: [{ name: 'fluxops', url: `http://127.0.0.1:${port}/hooks/registry/distribution`, headers: { Authorization: `Bearer ${registrySecret}` }, ignoredMediaTypes: ['application/octet-stream'] }] }),
      createGitRemote({ dir: path.join(work, 'fleet-config.git') }),
    ]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    say(`    cluster ${cluster.version} at ${cluster.endpoint.server} (ready in ${cluster.timings.total?.toFixed(1)} s)`);
    say(`    nodes: ${cluster.nodes.map((n) => `${n.name}/${n.arch}`).join(', ')}`);
    say(`    registry ${registry.host}, git remote ${remote.url}`);

    say('2/7 CI pushes multi-arch images (linux/amd64 + linux/arm64) of the example apps');
    for (const img of EXAMPLE_IMAGES) {
      const pushed = await pushImage(registry.host, img.repo, img.tag, { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
      say(`    ${registry.host}/${img.repo}:${img.tag} ${pushed.digest.slice(0, 19)}...`);
    }

    say('3/7 the example fleet is committed to the config repository, with an empty image lock');
    const checkout = await cloneWorkdir(remote.url, { dir: path.join(work, 'checkout') });
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(EXAMPLE).filter((x) => x !== 'fluxops.lock.yaml')) files[f] = fs.readFileSync(path.join(EXAMPLE, f), 'utf8');
    files['fluxops.lock.yaml'] = 'schemaVersion: 1\npolicies: {}\n';
    const first = await checkout.commit('Add the edge fleet', files);
    await checkout.push();
    say(`    ${first.slice(0, 7)} Add the edge fleet (${Object.keys(files).join(', ')})`);

    say(`4/7 the FluxOps reconciler follows the repository for site ${site}: image automation records each image by digest, the site loop applies`);
    const settings = resolvePulumiSettings({
      stateDir: path.join(work, 'state'),
      backendUrl: `file://${path.join(work, 'state', 'pulumi', 'backend')}`,
      pulumiHome: path.join(work, 'state', 'pulumi', 'home'),
      passphrase: { kind: 'value', passphrase: randomBytes(24).toString('hex') },
      cli: 'toolchain',
    });
    // The MQTT password exists only as an encrypted Pulumi secret, never in Git or YAML.
    for (const [key, value] of [['username', 'gateway'], ['password', randomBytes(18).toString('base64url')]] as const) {
      await setSiteSecret({ settings, workDir: path.join(settings.stateDir, 'workspaces', site), site, secret: { namespace: 'edge-apps', name: 'mqtt-credentials', key }, value });
    }
    fs.writeFileSync(path.join(work, 'registry-secret'), registrySecret, { mode: 0o600 });
    const config = resolveReconcileConfig([
      {
        source: 'demo',
        values: {
          site,
          repository: { url: remote.url },
          interval: '2s',
          driftInterval: '10m',
          kubeconfig: cluster.kubeconfigPath,
          stateDir: settings.stateDir,
          listen: `127.0.0.1:${port}`,
          healthTimeout: '120s',
          fleetEnv: { FLEET_REGISTRY: registry.host, FLEET_GIT_URL: remote.url },
          images: { interval: '5m', webhook: { provider: 'distribution', secretFile: path.join(work, 'registry-secret') } },
        },
      },
    ]);
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    running = await startReconciler({ config, sourceFactory: gitSourceFactory, logger, settings, onEvent: (e) => events.push(e as unknown as Record<string, unknown>) });
    say(`    reconciler: /healthz /readyz /status /metrics on ${running.server?.url}`);
    const ready = await until('the site to be Ready with every image pinned by digest', async () => {
      const { status } = await readSiteStatus(kube!, site);
      const deployments = await kube!.list<{ apiVersion: string; kind: string; metadata: { name: string }; spec: { template: { spec: { containers: Array<{ image: string }> } } } }>('apps/v1', 'Deployment', { namespace: 'edge-apps' });
      const pinned = deployments.length === EXAMPLE_IMAGES.length && deployments.every((d) => d.spec.template.spec.containers[0].image.includes('@sha256:'));
      return pinned && status.conditions.find((c) => c.type === 'Ready')?.status === 'True' && status;
    });
    say(`    site ${site} Ready at ${ready.lastAppliedCommit?.slice(0, 7)}: ${Object.entries(ready.lastChangeSet ?? {}).filter(([, n]) => n > 0).map(([a, n]) => `${n} ${a}`).join(', ')}`);
    await checkout.pull();
    for (const c of (await checkout.log()).slice(0, 3).reverse()) say(`    ${c.sha.slice(0, 7)} ${c.author.name}: ${c.subject}`);

    say('5/7 CI pushes sensor-gateway 1.4.3 (multi-arch) and a newer 1.5.0 built for linux/amd64 only');
    const pushedAt = Date.now();
    const good = await pushImage(registry.host, 'edge/sensor-gateway', '1.4.3', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index', content: 'v1.4.3' });
    await pushImage(registry.host, 'edge/sensor-gateway', '1.5.0', { platforms: ['linux/amd64'], kind: 'index', content: 'v1.5.0' });
    say(`    ${registry.host}/edge/sensor-gateway:1.4.3 ${good.digest.slice(0, 19)}... (amd64 + arm64)`);
    say(`    ${registry.host}/edge/sensor-gateway:1.5.0 (amd64 only)`);

    say('6/7 FluxOps picks 1.4.3, commits the lock, and the reconciler rolls it out on the arm64 nodes');
    const wanted = `${registry.host}/edge/sensor-gateway:1.4.3@${good.digest}`;
    const pods = await until('the gateway pods to run 1.4.3 by digest', async () => {
      const list = await kube!.list<{ apiVersion: string; kind: string; metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string; containers: Array<{ image: string }> }; status?: { phase?: string } }>('v1', 'Pod', { namespace: 'edge-apps', labelSelector: 'app.kubernetes.io/name=sensor-gateway' });
      const live = list.filter((p) => !p.metadata.deletionTimestamp);
      return live.length > 0 && live.every((p) => p.spec.containers[0].image === wanted && p.status?.phase === 'Running') && live;
    });
    const elapsed = (Date.now() - pushedAt) / 1000;
    await checkout.pull();
    const [commit] = await checkout.log();
    say(`    ${commit.sha.slice(0, 7)} ${commit.author.name}: ${commit.subject}`);
    for (const p of pods) say(`    pod ${p.metadata.name} on ${p.spec.nodeName}: ${p.spec.containers[0].image.replace(/@sha256:([0-9a-f]{12})[0-9a-f]+$/, '@sha256:$1...')}`);
    const refused = events.find((e) => e.kind === 'image.refused' && e.tag === '1.5.0');
    say(`    refused sensor-gateway:1.5.0: ${refused ? String(refused.message) : '(no refusal recorded)'}`);

    say('7/7 summary');
    say(`    image push -> pods running the new digest on arm64: ${elapsed.toFixed(1)} s`);
    say(`    the amd64-only tag never reached the arm64 site; Git holds every change (${(await checkout.log()).length} commits)`);
    say(`    whole demo: ${((Date.now() - t0) / 1000).toFixed(0)} s. Everything started by the demo is stopped now.`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}
