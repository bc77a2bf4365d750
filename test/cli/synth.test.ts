import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');
const FLUXOPS = path.join(REPO, 'bin', 'fluxops');
const EXAMPLE = path.join(REPO, 'examples', 'edge-fleet');

describe('fluxops synth', () => {
  const env = { ...process.env, FLEET_REGISTRY: 'registry.local:5000' };

  it('writes byte-identical YAML on every run, CRDs and namespaces first', async () => {
    const a = await run(FLUXOPS, ['synth', '-C', EXAMPLE, '--site', 'factory-a'], { env });
    const b = await run(FLUXOPS, ['synth', '-C', EXAMPLE, '--site', 'factory-a'], { env });
    expect(a.stdout).toBe(b.stdout);
    const kinds = [...a.stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds[0]).toBe('Namespace');
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ConfigMap']));
  }, 60_000);

  it('writes one file per object with --out and adds the Flux objects with --flavor flux', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-synth-'));
    try {
      const { stderr } = await run(FLUXOPS, ['synth', '-C', EXAMPLE, '--site', 'warehouse-b', '--flavor', 'flux', '--out', out], { env });
      expect(stderr).toMatch(/objects written to/);
      expect(fs.existsSync(path.join(out, '.fluxops-synth.json'))).toBe(true);
      const files = fs.readdirSync(out).filter((f) => !f.startsWith('.')).sort();
      expect(files[0]).toMatch(/^\d{3,}-namespace-/);
      for (const kind of ['gitrepository', 'kustomization', 'imagerepository', 'imagepolicy', 'imageupdateautomation']) {
        expect(files.some((f) => f.includes(`-${kind}-`))).toBe(true);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('rejects a bad --flavor and an unknown site, naming them, and writes nothing', async () => {
    await expect(run(FLUXOPS, ['synth', '-C', EXAMPLE, '--flavor', 'helm'], { env })).rejects.toMatchObject({ stderr: expect.stringMatching(/--flavor: expected "plain" or "flux", got "helm"/) });
    await expect(run(FLUXOPS, ['synth', '-C', EXAMPLE, '--site', 'atlantis'], { env })).rejects.toMatchObject({ stderr: expect.stringMatching(/atlantis/), stdout: '' });
  }, 60_000);

  it('keeps what fleet code prints out of the YAML stream (it goes to stderr, labelled)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-synth-noisy-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'fleet.ts'),
        `import { EdgeApp, Site, defineFleet } from 'fluxops/constructs';
console.log('apiVersion: v1\\nkind: Secret\\nmetadata: {name: injected}');
export default defineFleet({ name: 'noisy' }, (fleet) => {
  new Site(fleet, 's', { apps: [new EdgeApp(fleet, 'web', { containers: [{ image: { ref: 'registry.local/n/web:1.0.0' } }] })] });
});
`,
      );
      const { stdout, stderr } = await run(FLUXOPS, ['synth', '-C', dir], { env });
      expect(stdout).not.toMatch(/injected|kind: Secret/);
      expect(stdout).toMatch(/^kind: Deployment$/m);
      expect(stderr).toMatch(/^fleet: apiVersion: v1$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('--strict refuses a lock that does not fit the fleet; without it the problem is a warning', async () => {
    const strictEnv = { ...env, FLEET_REGISTRY: '127.0.0.1:5999' };
    await expect(run(FLUXOPS, ['synth', '-C', EXAMPLE, '--site', 'factory-a', '--strict'], { env: strictEnv })).rejects.toMatchObject({
      stderr: expect.stringMatching(/policies\.sensor-gateway\.image "registry\.local:5000\/edge\/sensor-gateway": policy edge-fleet\/sensor-gateway-policy follows 127\.0\.0\.1:5999/),
      stdout: '',
    });
    const lenient = await run(FLUXOPS, ['synth', '-C', EXAMPLE, '--site', 'factory-a'], { env: strictEnv });
    expect(lenient.stderr).toMatch(/warning: .*policies\.sensor-gateway\.image/);
  }, 60_000);
});
