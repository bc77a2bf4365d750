import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { pulumiProcessEnv, resolvePulumiSettings } from '../../stacks/pulumi-env';
import { locateToolchain } from '../../dev/toolchain';
import { waitFor } from '../../dev/net';
import { linkPulumiProject } from '../support/pulumi-project';

const execFileAsync = promisify(execFile);

/** Knobs of the small config repository the tests deploy with the real `pulumi` CLI. */
interface FleetKnobs {
  gatewayReplicas: number;
  gatewayImage: string;
  withDashboard: boolean;
  /** A raw object the API server rejects (an invalid port name), to test failed previews. */
  withInvalidObject?: boolean;
}

function fleetSource(k: FleetKnobs): string {
  return `
import { EdgeApp, RawObjects, Site, defineFleet } from 'fluxops/constructs';

export default defineFleet({ name: 'lab', namespace: 'lab-apps' }, (fleet) => {
  const gateway = new EdgeApp(fleet, 'gateway', {
    replicas: ${k.gatewayReplicas},
    containers: [{
      image: { ref: ${JSON.stringify(k.gatewayImage)} },
      ports: [{ name: 'http', port: 8080 }],
      env: { MQTT_PASSWORD: { secret: 'lab-credentials', key: 'password' } },
    }],
  });
  // Scaled by an autoscaler: the stack must never fight it over spec.replicas.
  const worker = new EdgeApp(fleet, 'worker', { autoscaling: { minReplicas: 1, maxReplicas: 4 }, containers: [{ image: { ref: 'registry.local/lab/worker:1.0.0' } }] });
  const apps = [gateway, worker];
  ${k.withDashboard ? `apps.push(new EdgeApp(fleet, 'dashboard', { containers: [{ image: { ref: 'registry.local/lab/dashboard:2.0.0' }, ports: [{ name: 'http', port: 3000 }] }] }));` : ''}
  ${k.withInvalidObject ? `new RawObjects(fleet, 'bad', { objects: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: 'lab-apps' }, spec: { ports: [{ name: 'Not_A_Valid_Name', port: 80 }] } }] });` : ''}
  new Site(fleet, 'lab-site', { name: 'lab-site', apps });
});
`;
}

describe('Pulumi site stack: `pulumi up` from a laptop (real CLI, real cluster)', () => {
  const toolchain = locateToolchain();
  let cluster: LocalCluster;
  let dir: string;
  let configDir: string;
  let project: string;
  let env: NodeJS.ProcessEnv;

  const pulumi = async (args: string[]) => {
    try {
      return await execFileAsync(
        toolchain.bin('pulumi'),
        [...args, ...(args[0] === 'stack' ? [] : ['--stack', 'lab-site']), '--non-interactive', '--color=never'],
        { cwd: project, env, maxBuffer: 64 << 20 },
      );
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw Object.assign(new Error(`pulumi ${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`), { stdout: e.stdout, stderr: e.stderr });
    }
  };
  const writeFleet = (k: FleetKnobs) => fs.writeFileSync(path.join(configDir, 'fleet.ts'), fleetSource(k));
  const kubectlJson = async (...args: string[]) => JSON.parse(await cluster.kubectl([...args, '-o', 'json']));

  beforeAll(async () => {
    cluster = await startLocalCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-stack-'));
    project = linkPulumiProject(path.join(dir, 'project'));
    configDir = path.join(dir, 'config');
    fs.mkdirSync(configDir);
    writeFleet({ gatewayReplicas: 2, gatewayImage: 'registry.local/lab/gateway:1.0.0', withDashboard: true });
    env = { ...pulumiProcessEnv(resolvePulumiSettings({ stateDir: dir, passphrase: { kind: 'value', passphrase: 'lab passphrase' }, cli: 'toolchain', env: {} })), PULUMI_NODEJS_TRANSPILE_ONLY: 'true' };
    delete env.KUBECONFIG; // the stack's own kubeconfig setting must be what is used
    await pulumi(['stack', 'init', 'lab-site']);
    await pulumi(['stack', 'select', 'lab-site']);
    await pulumi(['config', 'set', 'fluxops:configDir', configDir]);
    await pulumi(['config', 'set', 'fluxops:kubeconfig', cluster.kubeconfigPath]);
    await pulumi(['config', 'set', '--secret', '--path', 'fluxops:secrets.lab-apps/lab-credentials.password', 'hunter2-but-longer']);
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps secrets encrypted in the stack file; up creates the site on arm64 nodes', async () => {
    const stackFile = fs.readFileSync(path.join(project, 'Pulumi.lab-site.yaml'), 'utf8');
    expect(stackFile).toMatch(/secure: /);
    expect(stackFile).not.toContain('hunter2');
    const up = await pulumi(['up', '--yes', '--skip-preview']);
    expect(up.stdout).not.toContain('hunter2');
    const deps = await kubectlJson('-n', 'lab-apps', 'get', 'deployments');
    expect(deps.items.map((d: any) => d.metadata.name).sort()).toEqual(['dashboard', 'gateway', 'worker']);
    await cluster.kubectl(['-n', 'lab-apps', 'rollout', 'status', 'deployment/worker', '--timeout=120s']);
    const pods = await kubectlJson('-n', 'lab-apps', 'get', 'pods');
    expect(pods.items.length).toBe(4);
    for (const p of pods.items) {
      expect(p.status.phase).toBe('Running');
      expect(p.spec.nodeName).toMatch(/^edge-arm64-/);
    }
    const secret = await kubectlJson('-n', 'lab-apps', 'get', 'secret', 'lab-credentials');
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2-but-longer');
    const state = (await pulumi(['stack', 'export', '--stack', 'lab-site'])).stdout;
    expect(state).not.toContain('hunter2');
  }, 300_000);

  it('a no-change preview shows no changes even though controllers wrote status and replicas', async () => {
    // What the HorizontalPodAutoscaler does through the scale subresource.
    await cluster.kubectl(['-n', 'lab-apps', 'scale', 'deployment/worker', '--replicas=3']);
    const preview = await pulumi(['preview', '--diff', '--refresh']);
    expect(preview.stdout).not.toMatch(/to update|to create|to delete|to replace/);
    await pulumi(['up', '--yes', '--skip-preview', '--refresh']);
    expect((await kubectlJson('-n', 'lab-apps', 'get', 'deployment', 'worker')).spec.replicas).toBe(3);
  }, 300_000);

  it('preview shows exactly a changed replica count and image; up applies them', async () => {
    writeFleet({ gatewayReplicas: 3, gatewayImage: 'registry.local/lab/gateway:1.1.0', withDashboard: true });
    const preview = await pulumi(['preview', '--diff']);
    // The Deployment, and the inventory ConfigMap that records each object's manifest hash.
    expect(preview.stdout).toMatch(/2 to update/);
    expect([...preview.stdout.matchAll(/^\s*~ (kubernetes:[\w/:]+): \(update\)\n\s*\[id=([^\]]+)\]/gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      'kubernetes:apps/v1:Deployment lab-apps/gateway',
      'kubernetes:core/v1:ConfigMap fluxops-system/inventory-lab-site',
    ]);
    expect(preview.stdout).toMatch(/~\s*replicas\s*:\s*2 => 3/);
    expect(preview.stdout).toMatch(/~\s*image\s*:\s*"registry\.local\/lab\/gateway:1\.0\.0" => "registry\.local\/lab\/gateway:1\.1\.0"/);
    // Exactly two leaf changes, nothing added or removed.
    const leafChanges = preview.stdout.split('\n').filter((l) => /=>/.test(l) || /^\s+[+-]\s+[\w"]+\s*:/.test(l));
    expect(leafChanges).toHaveLength(2);

    await pulumi(['up', '--yes', '--skip-preview']);
    const dep = await kubectlJson('-n', 'lab-apps', 'get', 'deployment', 'gateway');
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.local/lab/gateway:1.1.0');
    await cluster.kubectl(['-n', 'lab-apps', 'rollout', 'status', 'deployment/gateway', '--timeout=120s']);
  }, 300_000);

  it('prunes an app removed from the constructs', async () => {
    writeFleet({ gatewayReplicas: 3, gatewayImage: 'registry.local/lab/gateway:1.1.0', withDashboard: false });
    const up = await pulumi(['up', '--yes', '--skip-preview']);
    expect(up.stdout).toMatch(/deleted/);
    // Deletion is asynchronous (the garbage collector removes the ReplicaSets and Pods first).
    const gone = async (...args: string[]) =>
      waitFor(async () => cluster.kubectl(args).then(() => false, (e: Error) => /NotFound/.test(e.message)), { timeoutMs: 60_000, what: `${args.join(' ')} to be gone` });
    await gone('-n', 'lab-apps', 'get', 'deployment', 'dashboard');
    await gone('-n', 'lab-apps', 'get', 'service', 'dashboard');
    expect((await kubectlJson('-n', 'lab-apps', 'get', 'deployment', 'gateway')).spec.replicas).toBe(3);
  }, 300_000);

  it('detects a manual kubectl edit with preview --refresh and corrects it with up --refresh', async () => {
    await cluster.kubectl(['-n', 'lab-apps', 'set', 'image', 'deployment/gateway', 'gateway=evil.example/gateway:hacked']);
    const preview = await pulumi(['preview', '--refresh', '--diff']);
    expect(preview.stdout).toMatch(/1 to update/);
    expect(preview.stdout).toContain('evil.example/gateway:hacked');
    await pulumi(['up', '--refresh', '--yes', '--skip-preview']);
    const dep = await kubectlJson('-n', 'lab-apps', 'get', 'deployment', 'gateway');
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.local/lab/gateway:1.1.0');
  }, 300_000);

  it('fails preview on a manifest the API server rejects, naming it, and applies nothing', async () => {
    writeFleet({ gatewayReplicas: 1, gatewayImage: 'registry.local/lab/gateway:9.9.9', withDashboard: false, withInvalidObject: true });
    await expect(pulumi(['preview', '--diff'])).rejects.toThrow(/lab-apps\/bad[\s\S]*Not_A_Valid_Name/);
    const dep = await kubectlJson('-n', 'lab-apps', 'get', 'deployment', 'gateway');
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.local/lab/gateway:1.1.0');
    await expect(cluster.kubectl(['-n', 'lab-apps', 'get', 'service', 'bad'])).rejects.toThrow(/NotFound/);
    writeFleet({ gatewayReplicas: 3, gatewayImage: 'registry.local/lab/gateway:1.1.0', withDashboard: false });
  }, 300_000);

  it('destroy removes what the stack owns and leaves other objects alone (namespaces are kept)', async () => {
    await cluster.kubectl(['-n', 'lab-apps', 'create', 'configmap', 'not-ours', '--from-literal=a=b']);
    await cluster.kubectl(['create', 'namespace', 'bystander']);
    await cluster.kubectl(['-n', 'bystander', 'create', 'deployment', 'other', '--image=registry.local/other:1']);
    await pulumi(['destroy', '--yes', '--skip-preview']);
    // Deletion is asynchronous in Kubernetes (the garbage collector removes a Deployment's
    // ReplicaSets and Pods first): destroy returns once every delete is accepted, so wait for it.
    const gone = async (...args: string[]) =>
      waitFor(async () => cluster.kubectl(args).then(() => false, (e: Error) => /NotFound/.test(e.message)), { timeoutMs: 60_000, what: `${args.join(' ')} to be gone` });
    await gone('-n', 'lab-apps', 'get', 'deployment', 'gateway');
    await gone('-n', 'lab-apps', 'get', 'secret', 'lab-credentials');
    expect((await kubectlJson('-n', 'bystander', 'get', 'deployment', 'other')).metadata.name).toBe('other');
    expect((await kubectlJson('-n', 'lab-apps', 'get', 'configmap', 'not-ours')).data).toEqual({ a: 'b' });
  }, 300_000);
});
