import { parse } from 'yaml';

import { planAppRepo, planConfigRepo, resolveInitOptions, type AppRepoOptions, type ConfigRepoOptions } from '../../../cli/scaffold';

const versions = { typescript: '5.9.3', typesNode: '20.19.43' };
const fluxops = () => ({ spec: 'git+https://git.example.com/acme/fluxops.git#v0.1.0', source: 'flag' as const });
const config = (sites: string[]) =>
  resolveInitOptions({ dir: '/tmp/acme', sites, image: 'ghcr.io/acme/sensor-gateway', gitUrl: 'https://git.example.com/acme/fleet.git' }, { fluxops }) as ConfigRepoOptions;
const app = (image: string) => resolveInitOptions({ app: true, image }, { fluxops }) as AppRepoOptions;

describe('planConfigRepo', () => {
  it('is deterministic: the same options give the same files, byte for byte', () => {
    expect(planConfigRepo(config(['a', 'b']), versions)).toEqual(planConfigRepo(config(['a', 'b']), versions));
  });

  it('has one stack file and one Site per site, in the order given', () => {
    const files = planConfigRepo(config(['factory-a', 'warehouse-b']), versions);
    expect(files.map((f) => f.path)).toEqual([
      'package.json',
      'tsconfig.json',
      'fleet.ts',
      'fluxops.lock.yaml',
      'Pulumi.yaml',
      '.gitignore',
      'README.md',
      '.github/workflows/fluxops-diff.yaml',
      '.gitlab-ci.yml',
      'Pulumi.factory-a.yaml',
      'Pulumi.warehouse-b.yaml',
    ]);
    const fleet = files.find((f) => f.path === 'fleet.ts')!.contents;
    expect([...fleet.matchAll(/new Site\(fleet, '([^']+)'/g)].map((m) => m[1])).toEqual(['factory-a', 'warehouse-b']);
    expect(fleet).not.toMatch(/\n\n\n/);
    expect(fleet.endsWith('  });\n});\n')).toBe(true);
  });

  it('writes valid JSON and YAML (the GitHub and GitLab files too) with no placeholder left', () => {
    for (const f of planConfigRepo(config(['a', 'b']), versions)) {
      expect(f.contents).not.toContain('@@');
      if (f.path.endsWith('.json')) expect(() => JSON.parse(f.contents)).not.toThrow();
      if (/\.ya?ml$/.test(f.path)) expect(() => parse(f.contents)).not.toThrow();
    }
  });
});

describe('planAppRepo', () => {
  it('ghcr.io: logs in with the workflow token and asks for packages: write', () => {
    const [gh] = planAppRepo(app('ghcr.io/acme/gateway'));
    const wf = parse(gh.contents);
    expect(wf.permissions).toEqual({ contents: 'read', packages: 'write' });
    const login = wf.jobs.image.steps.find((s: { uses?: string }) => s.uses?.startsWith('docker/login-action@'));
    expect(login.with).toEqual({ registry: 'ghcr.io', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' });
  });

  it('another registry: repository secrets, and no package permission', () => {
    const [gh, gl] = planAppRepo(app('registry.example.com:5000/edge/gateway'));
    const wf = parse(gh.contents);
    expect(wf.permissions).toEqual({ contents: 'read', packages: 'none' });
    const login = wf.jobs.image.steps.find((s: { uses?: string }) => s.uses?.startsWith('docker/login-action@'));
    expect(login.with).toEqual({ registry: 'registry.example.com:5000', username: '${{ secrets.REGISTRY_USERNAME }}', password: '${{ secrets.REGISTRY_PASSWORD }}' });
    expect(parse(gl.contents)['release-image'].variables).toMatchObject({ IMAGE: 'registry.example.com:5000/edge/gateway', REGISTRY: 'registry.example.com:5000' });
  });
});
