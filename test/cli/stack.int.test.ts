import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { waitFor } from '../../dev/net';
import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { locateToolchain } from '../../dev/toolchain';
import { pulumiProcessEnv, resolvePulumiSettings } from '../../stacks/pulumi-env';

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');
const FLUXOPS = path.join(REPO, 'bin', 'fluxops');
const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;

const FLEET = `
import { EdgeApp, ImagePolicy, ImageRepository, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'cli', namespace: 'cli-apps' }, (fleet) => {
  const repo = new ImageRepository(fleet, 'web-repo', { name: 'web', image: 'registry.local/cli/web' });
  const policy = new ImagePolicy(fleet, 'web-policy', { name: 'web', repository: repo, policy: { kind: 'semver', range: '^1.0.0' }, initialTag: '1.0.0' });
  const web = new EdgeApp(fleet, 'web', { replicas: 2, containers: [{ image: policy, ports: [{ name: 'http', port: 8080 }] }] });
  new Site(fleet, 'cli-site', { apps: [web] HOLDS });
});
`;

function lock(tag: string, digestChar: string): string {
  return `schemaVersion: 1\npolicies:\n  web:\n    image: registry.local/cli/web\n    tag: "${tag}"\n    digest: ${DIGEST(digestChar)}\n    updatedAt: "2026-11-20T10:00:00Z"\n    platforms: [linux/arm64]\n`;
}

describe('fluxops up / preview / destroy (Automation API, isolated synthesis, change sets)', () => {
  let cluster: LocalCluster;
  let dir: string;
  let config: string;
  let state: string;
  let env: NodeJS.ProcessEnv;
  const fluxops = (args: string[], cwd = config) => run(FLUXOPS, args, { env, cwd, maxBuffer: 64 << 20 });
  const writeFleet = (holds = '') => fs.writeFileSync(path.join(config, 'fleet.ts'), FLEET.replace(' HOLDS', holds));
  const image = async () => JSON.parse(await cluster.kubectl(['-n', 'cli-apps', 'get', 'deployment', 'web', '-o', 'json'])).spec.template.spec.containers[0].image as string;

  beforeAll(async () => {
    cluster = await startLocalCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-cli-stack-'));
    config = path.join(dir, 'config');
    state = path.join(dir, 'xdg-state');
    fs.mkdirSync(config);
    writeFleet();
    fs.writeFileSync(path.join(config, 'fluxops.lock.yaml'), lock('1.4.2', 'a'));
    env = { ...process.env, XDG_STATE_HOME: state, PULUMI_CONFIG_PASSPHRASE: 'cli passphrase', KUBECONFIG: cluster.kubeconfigPath };
    for (const k of ['PULUMI_BACKEND_URL', 'PULUMI_HOME', 'FLUXOPS_STATE_DIR', 'PULUMI_CONFIG_PASSPHRASE_FILE']) delete env[k];
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys the config repository of the current directory, with state under XDG_STATE_HOME, and reports a change set', async () => {
    const up = await fluxops(['up', '--output', 'json']);
    const result = JSON.parse(up.stdout);
    expect(result.site).toBe('cli-site');
    expect(result.changeSet.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'Deployment/cli-apps/web', action: 'created' }),
        expect.objectContaining({ id: 'Service/cli-apps/web', action: 'created' }),
        expect.objectContaining({ id: 'Namespace/cli-apps', action: 'created' }),
      ]),
    );
    expect(result.summary.created).toBeGreaterThanOrEqual(3);
    expect(await image()).toBe(`registry.local/cli/web:1.4.2@${DIGEST('a')}`);
    // State lives in the user's state directory, never in the config repository or the install.
    expect(fs.existsSync(path.join(state, 'fluxops', 'pulumi', 'backend', '.pulumi'))).toBe(true);
    expect(fs.readdirSync(config).sort()).toEqual(['fleet.ts', 'fluxops.lock.yaml']);
    expect(fs.existsSync(path.join(REPO, '.fluxops', 'pulumi-state'))).toBe(false);

    const preview = await fluxops(['preview']);
    expect(preview.stdout.trim().split('\n').pop()).toMatch(/^preview: \d+ unchanged$/);
  }, 300_000);

  it('refuses to move the site to an older tag, names it, and changes nothing', async () => {
    fs.writeFileSync(path.join(config, 'fluxops.lock.yaml'), lock('1.3.9', 'b'));
    await expect(fluxops(['up'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/refusing to downgrade 1 container; nothing was applied:\n  - Deployment\/cli-apps\/web container web: policy web would go from 1\.4\.2 \(running\) to 1\.3\.9/),
    });
    expect(await image()).toBe(`registry.local/cli/web:1.4.2@${DIGEST('a')}`);
  }, 300_000);

  it('a hold with a reason makes the same downgrade deliberate', async () => {
    writeFleet(", holds: [{ policy, tag: '1.3.9', reason: 'rollback: 1.4.2 leaks memory' }]");
    const up = await fluxops(['up']);
    expect(up.stderr).toMatch(/1\.4\.2 -> 1\.3\.9 allowed \(held at 1\.3\.9: rollback: 1\.4\.2 leaks memory\)/);
    expect(up.stdout).toMatch(/Deployment\/cli-apps\/web configured/);
    expect(await image()).toBe(`registry.local/cli/web:1.3.9@${DIGEST('b')}`);
  }, 300_000);

  it('a secret set without its key is a clear error naming the key, and nothing is applied', async () => {
    const toolchain = locateToolchain();
    const settings = resolvePulumiSettings({ stateDir: path.join(state, 'fluxops'), passphrase: { kind: 'value', passphrase: 'cli passphrase' }, cli: 'toolchain', env: {} });
    const workspace = path.join(state, 'fluxops', 'workspaces', 'fluxops');
    // What a user types when the key is forgotten: --path fluxops:secrets.<ns>/<name> <value>
    await run(toolchain.bin('pulumi'), ['config', 'set', '--secret', '--path', 'fluxops:secrets.cli-apps/db', 'hunter2', '--stack', 'cli-site', '--non-interactive'], {
      cwd: workspace,
      env: pulumiProcessEnv(settings),
    });
    const err = (await fluxops(['up']).then(() => ({ code: 0, stderr: '', stdout: '' }), (e) => e)) as { code: number; stderr: string; stdout: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/fluxops:secrets\.cli-apps\/db: must be a map of key -> value, but is a single string \(was the key forgotten\?\)/);
    expect(err.stderr + err.stdout).not.toContain('hunter2');
    await expect(cluster.kubectl(['-n', 'cli-apps', 'get', 'secret', 'db'])).rejects.toThrow(/NotFound/);
    await run(toolchain.bin('pulumi'), ['config', 'rm', '--path', 'fluxops:secrets', '--stack', 'cli-site', '--non-interactive'], { cwd: workspace, env: pulumiProcessEnv(settings) });
  }, 300_000);

  it('destroys what the stack owns', async () => {
    const destroy = await fluxops(['destroy', '--output', 'json']);
    expect(JSON.parse(destroy.stdout).changeSet.entries).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'Deployment/cli-apps/web', action: 'deleted' })]));
    // Deletion is asynchronous (the garbage collector removes ReplicaSets and Pods first).
    await waitFor(async () => cluster.kubectl(['-n', 'cli-apps', 'get', 'deployment', 'web']).then(() => false, (e: Error) => /NotFound/.test(e.message)), { timeoutMs: 60_000, what: 'deployment web to be gone' });
  }, 300_000);

  it('refuses to deploy without a passphrase for the local backend (preview, a read-only diff, needs none)', async () => {
    const { PULUMI_CONFIG_PASSPHRASE: _unused, ...noPass } = env;
    await expect(run(FLUXOPS, ['up'], { env: noPass, cwd: config })).rejects.toMatchObject({
      stderr: expect.stringMatching(/PULUMI_CONFIG_PASSPHRASE_FILE \(preferred\) or PULUMI_CONFIG_PASSPHRASE/),
    });
  }, 60_000);
});
