import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';

import type { LocalCluster } from '../dev/cluster';
import type { GitRemote } from '../dev/git';
import type { LocalRegistry } from '../dev/registry';
import type { KubeObject } from '../stacks';
import { ensureDir } from './fs';

const EXAMPLE = path.join(__dirname, '..', 'examples', 'edge-fleet');

/** Images the example fleet starts from (its policies' initial tags), pushed as amd64+arm64. */
const EXAMPLE_IMAGES: ReadonlyArray<{ repo: string; tag: string }> = [
  { repo: 'edge/sensor-gateway', tag: '1.4.0' },
  { repo: 'edge/eclipse-mosquitto', tag: '2.0.18' },
  { repo: 'edge/dashboard', tag: 'main-3f2a9c1-1731400000' },
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
  const { loadFleet, loadImageLock, synthesize } = await import('../constructs');
  const { startLocalCluster } = await import('../dev/cluster');
  const { cloneWorkdir, createGitRemote } = await import('../dev/git');
  const { pushImage, startRegistry } = await import('../dev/registry');
  const { locateToolchain } = await import('../dev/toolchain');
  const { openSiteWorkspace } = await import('../stacks');
  const say = (line: string) => console.log(line);
  const toolchain = locateToolchain();
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
    for (const img of EXAMPLE_IMAGES) {
      const pushed = await pushImage(registry.host, img.repo, img.tag, { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
      say(`    ${registry.host}/${img.repo}:${img.tag} ${pushed.digest.slice(0, 19)}...`);
    }

    say('3/5 the example fleet is committed to the config repository');
    const workdir = await cloneWorkdir(remote.url, { dir: path.join(work, 'checkout') });
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(EXAMPLE)) files[f] = fs.readFileSync(path.join(EXAMPLE, f), 'utf8');
    const sha = await workdir.commit('Add the edge fleet', files);
    await workdir.push();
    say(`    ${sha.slice(0, 7)} Add the edge fleet (${Object.keys(files).join(', ')})`);

    say(`4/5 synthesize site ${site} and deploy it with Pulumi (Automation API, server-side apply)`);
    process.env.FLUXOPS_REGISTRY = registry.host;
    const result = synthesize(loadFleet(workdir.dir), { site, lock: loadImageLock(workdir.dir) });
    for (const w of result.warnings) say(`    note: ${w.message}`);
    const stack = await openSiteWorkspace({
      site,
      objects: result.objects.map((obj) => obj.manifest as unknown as KubeObject),
      secrets: [{ namespace: 'edge-apps', name: 'mqtt-credentials', data: { username: 'gateway', password: randomBytes(18).toString('base64url') } }],
      kubeconfig: cluster.kubeconfigPath,
      backend: { url: `file://${ensureDir(path.join(work, 'pulumi-state'))}`, passphrase: randomBytes(24).toString('hex') },
      pulumiRoot: toolchain.root,
      workDir: ensureDir(path.join(work, 'pulumi')),
      env: { PULUMI_HOME: ensureDir(path.join(work, 'pulumi-home')), PATH: `${toolchain.binDir}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    const up = await stack.up({ onOutput: (out) => process.stdout.write(indent(out)) });
    say(`    ${JSON.stringify(up.summary.resourceChanges)}`);

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
