import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { SynthPool, SynthesisError, synthesizeIsolated } from '../../../reconciler/synth';

const EMPTY_LOCK = 'schemaVersion: 1\npolicies: {}\n';

/** A config repository as a real git checkout, so the commit appears in results and errors. */
function configRepo(files: Record<string, string>): { dir: string; commit(files: Record<string, string>, message: string): string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-isolated-'));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  const commit = (f: Record<string, string>, message: string): string => {
    for (const [name, text] of Object.entries(f)) fs.writeFileSync(path.join(dir, name), text);
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  commit(files, 'initial');
  return { dir, commit };
}

/** A fleet with one app whose image (and optional extra statements) are given. */
function fleet(image: string, extra = ''): string {
  return `
import { EdgeApp, Site, defineFleet } from 'fluxops/constructs';
${extra}
export default defineFleet({ name: 'iso', namespace: 'iso-apps' }, (fleet) => {
  const app = new EdgeApp(fleet, 'web', { containers: [{ image: { ref: ${JSON.stringify(image)} } }] });
  new Site(fleet, 'lab', { apps: [app] });
});
`;
}

async function failure(p: Promise<unknown>): Promise<SynthesisError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SynthesisError);
    return err as SynthesisError;
  }
  throw new Error('expected the synthesis to fail');
}

function deploymentImage(result: Awaited<ReturnType<typeof synthesizeIsolated>>): string {
  const d = result.site().objects.find((o) => o.kind === 'Deployment')!;
  return (d.manifest as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers[0].image;
}

describe('isolated synthesis (child process per commit)', () => {
  const dirs: string[] = [];
  const repo = (files: Record<string, string>) => {
    const r = configRepo(files);
    dirs.push(r.dir);
    return r;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a second load after a new commit sees the new code (no module cache), and names the commit', async () => {
    const r = repo({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0'), 'fluxops.lock.yaml': EMPTY_LOCK });
    const first = await synthesizeIsolated({ configDir: r.dir });
    expect(deploymentImage(first)).toBe('registry.local/iso/web:1.0.0');
    // A helper module changes too: a cached require would keep the old value.
    const c2 = r.commit({ 'version.ts': "export const VERSION = '2.0.0';\n", 'fleet.ts': fleet('registry.local/iso/web:${VERSION}', "import { VERSION } from './version';").replace('"registry.local/iso/web:${VERSION}"', '`registry.local/iso/web:${VERSION}`') }, 'v2');
    const second = await synthesizeIsolated({ configDir: r.dir });
    expect(deploymentImage(second)).toBe('registry.local/iso/web:2.0.0');
    expect(second.source.commit).toBe(c2);
    const c3 = r.commit({ 'version.ts': "export const VERSION = '3.0.0';\n" }, 'v3');
    const third = await synthesizeIsolated({ configDir: r.dir });
    expect(deploymentImage(third)).toBe('registry.local/iso/web:3.0.0');
    expect(third.source.commit).toBe(c3);
  }, 120_000);

  it('a pool of pre-spawned children: each serves one commit, with fresh modules, faster than a cold start', async () => {
    const r = repo({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0'), 'fluxops.lock.yaml': EMPTY_LOCK });
    const pool = new SynthPool();
    try {
      pool.refill();
      await new Promise((res) => setTimeout(res, 8000)); // let the warm child load FluxOps
      const warm = await synthesizeIsolated({ configDir: r.dir, pool });
      expect(deploymentImage(warm)).toBe('registry.local/iso/web:1.0.0');
      r.commit({ 'fleet.ts': fleet('registry.local/iso/web:2.0.0') }, 'v2');
      await new Promise((res) => setTimeout(res, 8000));
      const second = await synthesizeIsolated({ configDir: r.dir, pool });
      expect(deploymentImage(second)).toBe('registry.local/iso/web:2.0.0');
      const cold = await synthesizeIsolated({ configDir: r.dir });
      expect(cold.site().yaml).toBe(second.site().yaml);
      // Not a timed assertion: the figures are reported (see the synthesis benchmark).
      console.log(`synthesis: warm child ${second.durationMs} ms, cold child ${cold.durationMs} ms`);
    } finally {
      pool.close();
    }
  }, 120_000);

  it('fleet code sees no deploy credentials: allow-listed environment, throwaway HOME', async () => {
    const r = repo({
      'fleet.ts': `
import * as os from 'node:os';
import { EdgeApp, Site, RawObjects, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'iso', namespace: 'iso-apps' }, (fleet) => {
  new RawObjects(fleet, 'env', { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'env', namespace: 'iso-apps' },
    data: { keys: Object.keys(process.env).sort().join(','), home: os.homedir(), region: process.env.FLEET_REGION ?? '' } }] });
  const app = new EdgeApp(fleet, 'web', { containers: [{ image: { ref: 'registry.local/iso/web:1.0.0' } }] });
  new Site(fleet, 'lab', { apps: [app] });
});`,
      'fluxops.lock.yaml': EMPTY_LOCK,
    });
    const parentEnv = {
      ...process.env,
      PULUMI_CONFIG_PASSPHRASE: 'very secret',
      KUBECONFIG: '/root/.kube/config',
      AWS_SECRET_ACCESS_KEY: 'also secret',
      FLUXOPS_WEBHOOK_SECRET: 'secret too',
      FLEET_REGION: 'eu-central',
    };
    const result = await synthesizeIsolated({ configDir: r.dir, env: parentEnv });
    const cm = result.site().objects.find((o) => o.kind === 'ConfigMap' && o.name === 'env')!.manifest as { data: Record<string, string> };
    const keys = cm.data.keys.split(',');
    for (const leaked of ['PULUMI_CONFIG_PASSPHRASE', 'KUBECONFIG', 'AWS_SECRET_ACCESS_KEY', 'FLUXOPS_WEBHOOK_SECRET', 'NODE_OPTIONS']) expect(keys).not.toContain(leaked);
    expect(keys).toContain('FLEET_REGION');
    expect(cm.data.region).toBe('eu-central');
    expect(cm.data.home).not.toBe(os.homedir());
    expect(fs.existsSync(cm.data.home)).toBe(false); // removed after the run
  }, 60_000);

  it('what the fleet prints never mixes with the manifests; it is captured apart', async () => {
    const r = repo({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0', "process.stdout.write('--- junk: {not yaml\\n'); console.log('apiVersion: v1\\nkind: Secret'); console.error('debug line');"), 'fluxops.lock.yaml': EMPTY_LOCK });
    const result = await synthesizeIsolated({ configDir: r.dir });
    expect(result.site().yaml).not.toMatch(/junk|kind: Secret/);
    expect(result.site().objects.map((o) => o.kind)).toEqual(['Namespace', 'Deployment']);
    expect(result.fleetOutput).toContain('--- junk: {not yaml');
    expect(result.fleetOutput).toContain('debug line');
  }, 60_000);

  it('a fleet that throws: typed error naming repository, commit and the line', async () => {
    const r = repo({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0').replace("new Site(fleet, 'lab', { apps: [app] });", "new Site(fleet, 'lab', { apps: [app] });\n  throw new RangeError('sites file is corrupt');"), 'fluxops.lock.yaml': EMPTY_LOCK });
    const commit = execFileSync('git', ['-C', r.dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const err = await failure(synthesizeIsolated({ configDir: r.dir, repo: 'https://git.example.com/edge/iso.git' }));
    expect(err.kind).toBe('fleet-threw');
    expect(err.message).toContain(`config repository https://git.example.com/edge/iso.git at ${commit.slice(0, 12)}`);
    expect(err.message).toMatch(/RangeError: sites file is corrupt/);
    expect(err.message).toMatch(/fleet\.ts:\d+:\d+/);
    expect(err.source.commit).toBe(commit);
  }, 60_000);

  it('a fleet that loops forever is stopped at the time limit', async () => {
    const r = repo({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0', 'for (;;) { /* never returns */ }'), 'fluxops.lock.yaml': EMPTY_LOCK });
    const started = Date.now();
    const err = await failure(synthesizeIsolated({ configDir: r.dir, timeoutMs: 4000 }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/did not finish within 4 s/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('a fleet that allocates without bound is stopped at the memory limit', async () => {
    const r = repo({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0', 'const hog: string[][] = []; for (;;) hog.push(new Array(1e5).fill("x".repeat(8)));'), 'fluxops.lock.yaml': EMPTY_LOCK });
    const err = await failure(synthesizeIsolated({ configDir: r.dir, heapMb: 96, rssMb: 400, timeoutMs: 60_000 }));
    expect(err.kind).toBe('out-of-memory');
  }, 90_000);

  it('a fleet that exits the process is an error, not an empty site', async () => {
    const r = repo({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0', 'process.exit(0);'), 'fluxops.lock.yaml': EMPTY_LOCK });
    const err = await failure(synthesizeIsolated({ configDir: r.dir }));
    expect(err.kind).toBe('exited');
    expect(err.message).toMatch(/process\.exit/);
  }, 60_000);

  it('a syntax error and bad props name the file, the construct path, the field and the value', async () => {
    const r = repo({ 'fleet.ts': 'export default {{;\n', 'fluxops.lock.yaml': EMPTY_LOCK });
    const load = await failure(synthesizeIsolated({ configDir: r.dir }));
    expect(load.kind).toBe('load-failed');
    expect(load.message).toMatch(/fleet\.ts/);

    r.commit({ 'fleet.ts': fleet('registry.local/iso/web:1.0.0').replace("containers: [{ image:", "containers: [{ ports: [{ name: 'http', port: 80800 }], image:") }, 'bad port');
    const props = await failure(synthesizeIsolated({ configDir: r.dir }));
    expect(props.kind).toBe('invalid-fleet');
    expect(props.problems).toEqual([expect.objectContaining({ path: 'iso/web', field: 'containers[0].ports[0].port', value: 80800 })]);
  }, 60_000);

  describe('strict lock', () => {
    const policyFleet = (registry: string) => `
import { EdgeApp, ImagePolicy, ImageRepository, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'iso', namespace: 'iso-apps' }, (fleet) => {
  const repo = new ImageRepository(fleet, 'web-repo', { name: 'web', image: '${registry}/iso/web' });
  const policy = new ImagePolicy(fleet, 'web-policy', { name: 'web', repository: repo, policy: { kind: 'semver', range: '^1.4.0' }, initialTag: '1.4.0' });
  const app = new EdgeApp(fleet, 'web', { containers: [{ image: policy }] });
  new Site(fleet, 'lab', { apps: [app] });
});`;
    const digest = `sha256:${'ab'.repeat(32)}`;
    const lock = (image: string, tag: string, platforms = ['linux/arm64']) =>
      `schemaVersion: 1\npolicies:\n  web:\n    image: ${image}\n    tag: "${tag}"\n    digest: ${digest}\n    updatedAt: "2026-11-20T10:00:00Z"\n    platforms: [${platforms.join(', ')}]\n`;

    it('deploys the locked tag by digest when the lock fits', async () => {
      const r = repo({ 'fleet.ts': policyFleet('registry.local:5000'), 'fluxops.lock.yaml': lock('registry.local:5000/iso/web', '1.4.2') });
      const result = await synthesizeIsolated({ configDir: r.dir });
      expect(deploymentImage(result)).toBe(`registry.local:5000/iso/web:1.4.2@${digest}`);
      expect(result.site().images).toEqual([expect.objectContaining({ policy: 'web', tag: '1.4.2', digest, origin: 'lock' })]);
    }, 60_000);

    it.each([
      ['points at another registry', lock('old-registry.example.com/iso/web', '1.4.2'), 'lock-image-mismatch', 'policies.web.image', /follows registry\.local:5000\/iso\/web/],
      ['is outside the range', lock('registry.local:5000/iso/web', '2.0.0'), 'lock-tag-out-of-policy', 'policies.web.tag', /semver range \^1\.4\.0/],
      ['is amd64-only', lock('registry.local:5000/iso/web', '1.4.2', ['linux/amd64']), 'lock-platforms-missing', 'policies.web.platforms', /requires linux\/arm64/],
    ])('refuses an entry that %s, naming policy, field and value', async (_what, lockText, code, field, reason) => {
      const r = repo({ 'fleet.ts': policyFleet('registry.local:5000'), 'fluxops.lock.yaml': lockText });
      const err = await failure(synthesizeIsolated({ configDir: r.dir }));
      expect(err.kind).toBe('invalid-lock');
      expect(err.problems).toEqual([expect.objectContaining({ code, field })]);
      expect(err.problems[0].message).toMatch(reason);
      // synth without --strict renders with a warning instead
      const lenient = await synthesizeIsolated({ configDir: r.dir, lockMode: 'lenient' });
      expect(lenient.site().warnings.map((w) => w.message).join('\n')).toMatch(reason);
    }, 60_000);

    it('a missing lock file is an error for deploys and a warning for synth', async () => {
      const r = repo({ 'fleet.ts': policyFleet('registry.local:5000') });
      const err = await failure(synthesizeIsolated({ configDir: r.dir }));
      expect(err.kind).toBe('invalid-lock');
      expect(err.problems[0]).toMatchObject({ code: 'lock-missing', field: 'fluxops.lock.yaml' });
      const lenient = await synthesizeIsolated({ configDir: r.dir, lockMode: 'lenient' });
      expect(lenient.site().warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['lock-missing', 'lock-entry-missing']));
      expect(deploymentImage(lenient)).toBe('registry.local:5000/iso/web:1.4.0');
    }, 60_000);

    it('a malformed lock names the line for deploys', async () => {
      const r = repo({ 'fleet.ts': policyFleet('registry.local:5000'), 'fluxops.lock.yaml': 'schemaVersion: 1\npolicies: [\n' });
      const err = await failure(synthesizeIsolated({ configDir: r.dir }));
      expect(err.kind).toBe('invalid-lock');
      expect(err.message).toMatch(/fluxops\.lock\.yaml:\d+:\d+: invalid YAML/);
    }, 60_000);
  });
});
