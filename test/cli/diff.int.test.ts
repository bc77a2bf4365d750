import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { auditMark, writesSince } from '../support/api-writes';

const run = promisify(execFile);
const FLUXOPS = path.join(__dirname, '..', '..', 'bin', 'fluxops');

const fleet = (o: { image: string; withDashboard: boolean }) => `
import { EdgeApp, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'diff', namespace: 'diff-apps' }, (fleet) => {
  const web = new EdgeApp(fleet, 'web', { containers: [{ image: { ref: '${o.image}' }, ports: [{ name: 'http', port: 8080 }] }] });
  const apps = [web];
  ${o.withDashboard ? "apps.push(new EdgeApp(fleet, 'dashboard', { containers: [{ image: { ref: 'registry.local/diff/dashboard:2.0.0' } }] }));" : ''}
  new Site(fleet, 'diff-site', { apps });
});
`;

describe('fluxops diff (live cluster, server-side dry run)', () => {
  let cluster: LocalCluster;
  let dir: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { encoding: 'utf8' }).trim();
  const fluxops = (...args: string[]) =>
    run(FLUXOPS, args, { env, cwd: repo, maxBuffer: 64 << 20 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    cluster = await startLocalCluster({ auditLog: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-diff-'));
    repo = path.join(dir, 'config');
    fs.mkdirSync(repo);
    env = { ...process.env, XDG_STATE_HOME: path.join(dir, 'state'), PULUMI_CONFIG_PASSPHRASE: 'diff passphrase', KUBECONFIG: cluster.kubeconfigPath };
    for (const k of ['PULUMI_BACKEND_URL', 'PULUMI_HOME', 'FLUXOPS_STATE_DIR']) delete env[k];
    git('init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'fleet.ts'), fleet({ image: 'registry.local/diff/web:1.0.0', withDashboard: true }));
    git('add', '-A');
    git('commit', '-q', '-m', 'fleet');
    const up = await fluxops('up');
    if (up.code !== 0) throw new Error(`up failed: ${up.stderr}`);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('no difference: exit 0, and the API server sees no write', async () => {
    const mark = auditMark(cluster.auditLogPath!);
    const r = await fluxops('diff');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^\d+ unchanged$/);
    expect(writesSince(cluster.auditLogPath!, mark)).toEqual([]);
  }, 120_000);

  it('a manual kubectl edit shows as exactly that field; exit 1', async () => {
    await cluster.kubectl(['-n', 'diff-apps', 'label', 'deployment/web', 'app.kubernetes.io/version=hacked', '--overwrite']);
    await cluster.kubectl(['-n', 'diff-apps', 'set', 'image', 'deployment/web', 'web=evil.example/web:hacked']);
    const r = await fluxops('diff', '--output', 'json');
    expect(r.code).toBe(1);
    const web = JSON.parse(r.stdout).objects.find((o: { id: string }) => o.id === 'Deployment/diff-apps/web');
    expect(web.action).toBe('update');
    expect(web.changes).toEqual([{ path: 'spec.template.spec.containers[0].image', op: 'replace', before: 'evil.example/web:hacked', after: 'registry.local/diff/web:1.0.0' }]);
    await fluxops('up');
  }, 300_000);

  it('--ref: a branch with a new image and a removed app, as markdown for a pull request; the working tree is untouched', async () => {
    git('checkout', '-q', '-b', 'feature');
    fs.writeFileSync(path.join(repo, 'fleet.ts'), fleet({ image: 'registry.local/diff/web:1.1.0', withDashboard: false }));
    git('commit', '-q', '-am', 'new web, no dashboard');
    git('checkout', '-q', 'main');
    const before = fs.readFileSync(path.join(repo, 'fleet.ts'), 'utf8');
    const r = await fluxops('diff', '--ref', 'feature', '--output', 'markdown');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^### FluxOps diff for site `diff-site` at `feature \([0-9a-f]{12}\)`/);
    expect(r.stdout).toContain('| `~` | `Deployment/diff-apps/web` | update |');
    expect(r.stdout).toContain('+ spec.template.spec.containers[0].image: "registry.local/diff/web:1.1.0"');
    expect(r.stdout).toContain('| `-` | `Deployment/diff-apps/dashboard` | prune: no longer in Git |');
    expect(fs.readFileSync(path.join(repo, 'fleet.ts'), 'utf8')).toBe(before);
    expect(git('worktree', 'list').split('\n')).toHaveLength(1);
  }, 300_000);

  it('an error (a ref that does not exist) exits 2', async () => {
    const r = await fluxops('diff', '--ref', 'no-such-branch');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot check out "no-such-branch": no such branch, tag or commit/);
  }, 120_000);
});
