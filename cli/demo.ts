import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';

import type { LocalCluster } from '../dev/cluster';
import type { GitRemote } from '../dev/git';
import type { LocalRegistry } from '../dev/registry';

const EXAMPLE = path.join(__dirname, '..', 'examples', 'edge-fleet');

/** Images the example fleet starts from (its policies' initial tags), pushed as amd64+arm64. */
const EXAMPLE_IMAGES: ReadonlyArray<{ repo: string; tag: string; policy: string }> = [
  { repo: 'edge/sensor-gateway', tag: '1.4.0', policy: 'sensor-gateway' },
  { repo: 'edge/eclipse-mosquitto', tag: '2.0.18', policy: 'mqtt-broker' },
  { repo: 'edge/dashboard', tag: 'main-3f2a9c1-1731400000', policy: 'dashboard' },
];

/** `fluxops demo`: the whole loop on the embedded local edge cluster. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run FluxOps end to end on the embedded local edge cluster, registry and Git remote')
    .option('--site <name>', 'edge site of the example fleet to deploy', 'factory-a')
    .action(async (o: { site: string }) => {
      await runDemo(o.site);
    });
}

async function runDemo(site: string): Promise<void> {
  // Loaded here, not at the top: `fluxops --help` and other commands stay fast.
  const { IMAGE_LOCK_FILE, serializeImageLock, withLockEntry, emptyImageLock } = await import('../constructs');
  const { startLocalCluster } = await import('../dev/cluster');
  const { cloneWorkdir, createGitRemote } = await import('../dev/git');
  const { pushImage, startRegistry } = await import('../dev/registry');
  const { deploySite } = await import('../reconciler/deploy/deploy-site');
  const { resolvePulumiSettings, setSiteSecret, siteWorkDir, renderChangeSetText } = await import('../stacks');
  const say = (line: string) => console.log(line);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-demo-'));
  let cluster: LocalCluster | undefined;
  let registry: LocalRegistry | undefined;
  let remote: GitRemote | undefined;
  const stopAll = async () => {
    await Promise.allSettled([cluster?.stop(), registry?.stop(), remote?.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say('1/5 starting the local edge cluster, OCI registry and Git remote on 127.0.0.1');
    [cluster, registry, remote] = await Promise.all([
      startLocalCluster({ stateDir: path.join(work, 'cluster') }),
      startRegistry({ stateDir: path.join(work, 'registry') }),
      createGitRemote({ dir: path.join(work, 'fleet-config.git') }),
    ]);
    say(`    cluster ${cluster.version} at ${cluster.endpoint.server} (ready in ${cluster.timings.total?.toFixed(1)} s)`);
    say(`    nodes: ${cluster.nodes.map((n) => `${n.name}/${n.arch}`).join(', ')}`);
    say(`    registry ${registry.host}, git remote ${remote.url}`);

    say('2/5 CI pushes multi-arch images (linux/amd64 + linux/arm64)');
    let lock = emptyImageLock();
    for (const img of EXAMPLE_IMAGES) {
      const pushed = await pushImage(registry.host, img.repo, img.tag, { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
      say(`    ${registry.host}/${img.repo}:${img.tag} ${pushed.digest.slice(0, 19)}...`);
      lock = withLockEntry(lock, img.policy, {
        image: `${registry.host}/${img.repo}`,
        tag: img.tag,
        digest: pushed.digest,
        updatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        platforms: [...pushed.platforms].sort(),
      });
    }

    say('3/5 the example fleet and its image lock are committed to the config repository');
    const workdir = await cloneWorkdir(remote.url, { dir: path.join(work, 'checkout') });
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(EXAMPLE)) files[f] = fs.readFileSync(path.join(EXAMPLE, f), 'utf8');
    files[IMAGE_LOCK_FILE] = serializeImageLock(lock);
    const sha = await workdir.commit('Add the edge fleet', files);
    await workdir.push();
    say(`    ${sha.slice(0, 7)} Add the edge fleet (${Object.keys(files).join(', ')})`);

    say(`4/5 synthesize site ${site} (isolated process, strict lock) and deploy it with Pulumi (Automation API, server-side apply)`);
    const settings = resolvePulumiSettings({
      stateDir: path.join(work, 'state'),
      backendUrl: `file://${path.join(work, 'state', 'pulumi', 'backend')}`,
      pulumiHome: path.join(work, 'state', 'pulumi', 'home'),
      passphrase: { kind: 'value', passphrase: randomBytes(24).toString('hex') },
      cli: 'toolchain',
    });
    const fleetEnv = { FLEET_REGISTRY: registry.host, FLEET_GIT_URL: remote.url };
    // The MQTT password exists only as an encrypted Pulumi secret, never in Git or YAML.
    const workDir = siteWorkDir(settings, workdir.dir);
    for (const [key, value] of [['username', 'gateway'], ['password', randomBytes(18).toString('base64url')]] as const) {
      await setSiteSecret({ settings, workDir, site, secret: { namespace: 'edge-apps', name: 'mqtt-credentials', key }, value });
    }
    const result = await deploySite({ operation: 'up', configDir: workdir.dir, site, repo: remote.url, commit: sha, kubeconfig: cluster.kubeconfigPath, settings, fleetEnv });
    for (const w of result.siteSynth.warnings) say(`    note: ${w.message}`);
    say(indent(renderChangeSetText(result.changeSet)));

    say('5/5 the apps run on the arm64 nodes');
    say(indent(await cluster.kubectl(['get', 'pods', '-n', 'edge-apps', '-o', 'wide'])));
    say('Done. Everything started by the demo is stopped now.');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '    ');
}
