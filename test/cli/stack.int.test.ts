import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { linkPulumiProject } from '../support/pulumi-project';

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');
const FLUXOPS = path.join(REPO, 'bin', 'fluxops');

const FLEET = `
import { EdgeApp, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'cli', namespace: 'cli-apps' }, (fleet) => {
  const web = new EdgeApp(fleet, 'web', { replicas: 2, containers: [{ image: { ref: 'registry.local/cli/web:1.0.0' }, ports: [{ name: 'http', port: 8080 }] }] });
  new Site(fleet, 'cli-site', { name: 'cli-site', apps: [web] });
});
`;

describe('fluxops up / preview / destroy (Automation API over the same program)', () => {
  let cluster: LocalCluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const fluxops = (...args: string[]) => run(FLUXOPS, args, { env, maxBuffer: 64 << 20 });

  beforeAll(async () => {
    cluster = await startLocalCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-cli-stack-'));
    // A project directory of its own (so the stack file lands here, not in the checkout).
    linkPulumiProject(path.join(dir, 'project'));
    fs.mkdirSync(path.join(dir, 'config'));
    fs.writeFileSync(path.join(dir, 'config', 'fleet.ts'), FLEET);
    env = {
      ...process.env,
      PULUMI_HOME: path.join(dir, 'home'),
      PULUMI_CONFIG_PASSPHRASE: 'cli passphrase',
      PULUMI_NODEJS_TRANSPILE_ONLY: 'true',
    };
    delete env.PULUMI_BACKEND_URL;
    delete env.KUBECONFIG;
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys, previews no changes, and destroys a site', async () => {
    const project = path.join(dir, 'project');
    const site = ['--site', 'cli-site', '--project-dir', project];
    const up = await fluxops('up', ...site, '-C', path.join(dir, 'config'), '--kubeconfig', cluster.kubeconfigPath);
    expect(up.stdout).toMatch(/fluxops: .*\d+ create/);
    expect(fs.existsSync(path.join(project, '.fluxops', 'pulumi-state'))).toBe(true);
    const dep = JSON.parse(await cluster.kubectl(['-n', 'cli-apps', 'get', 'deployment', 'web', '-o', 'json']));
    expect(dep.spec.replicas).toBe(2);

    const preview = await fluxops('preview', ...site, '--refresh');
    expect(preview.stdout).toMatch(/fluxops: \d+ same$/m);

    const destroy = await fluxops('destroy', ...site);
    expect(destroy.stdout).toMatch(/\d+ delete/);
    await expect(cluster.kubectl(['-n', 'cli-apps', 'get', 'deployment', 'web'])).rejects.toThrow(/NotFound/);
  }, 300_000);

  it('refuses to run without a passphrase for the local backend', async () => {
    const { PULUMI_CONFIG_PASSPHRASE: _unused, ...noPass } = env;
    await expect(run(FLUXOPS, ['preview', '--site', 'cli-site', '--project-dir', path.join(dir, 'project')], { env: noPass })).rejects.toMatchObject({
      stderr: expect.stringMatching(/PULUMI_CONFIG_PASSPHRASE/),
    });
  }, 60_000);
});
