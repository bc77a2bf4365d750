import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { pulumiProcessEnv, resolvePulumiSettings } from '../../stacks/pulumi-env';
import { locateToolchain } from '../../dev/toolchain';

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');

// A small program using @pulumi/kubernetes: a namespace, a config map and an arm64 Deployment.
const PROGRAM = `
const pulumi = require('@pulumi/pulumi');
const k8s = require('@pulumi/kubernetes');
const cfg = new pulumi.Config();
const ns = new k8s.core.v1.Namespace('demo', { metadata: { name: 'pulumi-smoke' } });
const secret = new k8s.core.v1.Secret('token', {
  metadata: { name: 'token', namespace: ns.metadata.name },
  stringData: { token: cfg.requireSecret('token') },
});
new k8s.apps.v1.Deployment('web', {
  metadata: { name: 'web', namespace: ns.metadata.name },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        nodeSelector: { 'kubernetes.io/arch': 'arm64' },
        containers: [{ name: 'web', image: 'registry.local/web:1.0.0' }],
      },
    },
  },
});
exports.secretName = secret.metadata.name;
`;

describe('the built Pulumi toolchain against the local cluster', () => {
  const toolchain = locateToolchain();
  let cluster: LocalCluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const pulumi = (args: string[]) =>
    run(toolchain.bin('pulumi'), [...args, '--non-interactive', '--color=never'], { cwd: path.join(dir, 'project'), env, maxBuffer: 32 << 20 });

  beforeAll(async () => {
    cluster = await startLocalCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-pulumi-'));
    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'Pulumi.yaml'), 'name: smoke\nruntime: nodejs\n');
    fs.writeFileSync(path.join(project, 'index.js'), PROGRAM);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'smoke', main: 'index.js' }));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(project, 'node_modules'));
    env = { ...pulumiProcessEnv(resolvePulumiSettings({ stateDir: dir, passphrase: { kind: 'value', passphrase: 'correct horse battery staple' }, cli: 'toolchain', env: {} })), KUBECONFIG: cluster.kubeconfigPath };
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports the pinned CLI version', async () => {
    const { stdout } = await run(toolchain.bin('pulumi'), ['version'], { env });
    expect(stdout.trim()).toBe(toolchain.versions.PULUMI_VERSION);
  });

  it('runs up and destroy with a file backend and passphrase secrets, without downloading plugins', async () => {
    await pulumi(['stack', 'init', 'dev']);
    await pulumi(['config', 'set', '--secret', 'token', 's3cr3t-value']);
    const stackFile = fs.readFileSync(path.join(dir, 'project', 'Pulumi.dev.yaml'), 'utf8');
    expect(stackFile).not.toContain('s3cr3t-value');
    expect(stackFile).toMatch(/secure: /);

    const up = await pulumi(['up', '--yes', '--skip-preview']);
    expect(up.stdout).toMatch(/4 created/);

    await cluster.kubectl(['-n', 'pulumi-smoke', 'rollout', 'status', 'deployment/web', '--timeout=120s']);
    const pods = JSON.parse(await cluster.kubectl(['-n', 'pulumi-smoke', 'get', 'pods', '-o', 'json'])).items as any[];
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.spec.nodeName).toMatch(/^edge-arm64-/);
    const secret = JSON.parse(await cluster.kubectl(['-n', 'pulumi-smoke', 'get', 'secret', 'token', '-o', 'json']));
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe('s3cr3t-value');

    // The state file holds the secret only encrypted.
    const state = (await pulumi(['stack', 'export'])).stdout;
    expect(state).not.toContain('s3cr3t-value');

    const plugins = (await pulumi(['plugin', 'ls'])).stdout;
    expect(plugins).not.toMatch(/kubernetes\s+resource\s+4/); // nothing was installed into PULUMI_HOME

    const destroy = await pulumi(['destroy', '--yes', '--skip-preview']);
    expect(destroy.stdout).toMatch(/4 deleted/);
    await expect(cluster.kubectl(['get', 'namespace', 'pulumi-smoke', '-o', 'name'])).rejects.toThrow();
  }, 300_000);
});
