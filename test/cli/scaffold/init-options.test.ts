import * as path from 'node:path';

import { InitOptionError, fluxopsSpecProblem, resolveInitOptions, toDnsLabel, type FluxOpsDependency, type InitFlags } from '../../../cli/scaffold';

const PLACEHOLDER: FluxOpsDependency = { spec: 'git+https://git.example.com/your-org/fluxops.git#v0.1.0', source: 'placeholder', reason: 'its Git checkout has no origin remote' };
const defaults = { fluxops: () => PLACEHOLDER };
const resolve = (flags: InitFlags) => resolveInitOptions(flags, defaults);
const problems = (flags: InitFlags) => {
  try {
    resolve(flags);
  } catch (err) {
    if (err instanceof InitOptionError) return err.problems;
    throw err;
  }
  throw new Error('expected InitOptionError');
};

describe('resolveInitOptions: config repository', () => {
  it('fills in documented defaults; the fleet is named after the directory', () => {
    const o = resolve({ dir: '/tmp/Acme_Fleet Config' });
    expect(o).toMatchObject({
      kind: 'config-repo',
      dir: '/tmp/Acme_Fleet Config',
      packageName: 'acme-fleet-config',
      fleet: 'acme-fleet-config',
      sites: ['edge-1'],
      namespace: 'edge-apps',
      app: 'hello-edge',
      image: { name: 'ghcr.io/example/hello-edge', registryHost: 'ghcr.io' },
      gitUrl: 'https://github.com/example/acme-fleet-config.git',
      branch: 'main',
      fluxops: PLACEHOLDER,
      force: false,
    });
    // Every example value that does not work as is becomes a note saying where to change it.
    if (o.kind !== 'config-repo') throw new Error('kind');
    expect(o.notes.map((n) => [n.file, n.required])).toEqual([
      ['fleet.ts', true],
      ['fleet.ts', true],
      ['package.json', true],
    ]);
    expect(o.notes[2].message).toContain('its Git checkout has no origin remote');
  });

  it('takes the given values and asks for nothing when all are real', () => {
    const o = resolve({
      dir: 'x',
      fleet: 'acme',
      sites: ['factory-a', 'warehouse-b'],
      namespace: 'apps',
      image: 'registry.local:5000/edge/sensor-gateway',
      gitUrl: 'ssh://git@git.example.com/acme/fleet.git',
      branch: 'production',
      fluxops: 'github:acme/fluxops#v0.1.0',
      force: true,
    });
    expect(o).toMatchObject({
      dir: path.resolve('x'),
      fleet: 'acme',
      sites: ['factory-a', 'warehouse-b'],
      app: 'sensor-gateway',
      image: { registryHost: 'registry.local:5000' },
      fluxops: { spec: 'github:acme/fluxops#v0.1.0', source: 'flag' },
      force: true,
      notes: [],
    });
  });

  it('does not look for a FluxOps default (git) when --fluxops is given', () => {
    let called = 0;
    resolveInitOptions({ fluxops: 'file:../fluxops' }, { fluxops: () => (called++, PLACEHOLDER) });
    expect(called).toBe(0);
  });

  it.each<[string, InitFlags, string, unknown, RegExp]>([
    ['a site that is no DNS label', { sites: ['Bad_Name'] }, '--site', 'Bad_Name', /DNS-1123 label/],
    ['a site given twice', { sites: ['a', 'a'] }, '--site', 'a', /given twice/],
    ['a fleet name with a dot', { fleet: 'acme.fleet' }, '--fleet', 'acme.fleet', /DNS-1123 label/],
    ['an upper-case namespace', { namespace: 'Apps' }, '--namespace', 'Apps', /DNS-1123 label/],
    ['an image with a tag', { image: 'ghcr.io/acme/app:1.0.0' }, '--image', 'ghcr.io/acme/app:1.0.0', /must not contain a tag/],
    ['an image whose last component cannot name an app', { image: 'ghcr.io/acme/1app' }, '--image', 'ghcr.io/acme/1app', /add --app-name/],
    ['an app name with upper case', { appName: 'Gateway' }, '--app-name', 'Gateway', /DNS-1123 label/],
    ['a Git URL with a token', { gitUrl: 'https://token@github.com/acme/fleet.git' }, '--git-url', 'https://token@github.com/acme/fleet.git', /credentials/],
    ['a Git URL with shell characters', { gitUrl: 'https://github.com/acme/fleet.git;rm' }, '--git-url', 'https://github.com/acme/fleet.git;rm', /may only contain/],
    ['a scp-like Git URL', { gitUrl: 'git@github.com:acme/fleet.git' }, '--git-url', 'git@github.com:acme/fleet.git', /ssh:\/\/user@host\/path/],
    ['a branch with "..", ', { branch: 'a..b' }, '--branch', 'a..b', /must not contain/],
    ['a FluxOps spec from npm', { fluxops: 'fluxops@1.0.0' }, '--fluxops', 'fluxops@1.0.0', /must be a Git URL/],
  ])('refuses %s, naming the option and the value', (_what, flags, option, value, reason) => {
    const found = problems(flags);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ option, value });
    expect(found[0].reason).toMatch(reason);
  });

  it('reports every bad option at once, in a message that says nothing was written', () => {
    let err: unknown;
    try {
      resolve({ sites: ['ok', 'Bad_Name'], namespace: 'Apps', fleet: '-x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InitOptionError);
    expect((err as InitOptionError).code).toBe('init-invalid-option');
    expect((err as InitOptionError).problems.map((p) => p.option)).toEqual(['--fleet', '--site', '--namespace']);
    expect((err as Error).message).toMatch(/^3 invalid options; nothing was written:\n {2}- --fleet "-x": /);
    expect((err as Error).message).toContain('--site "Bad_Name": must be a DNS-1123 label');
  });
});

describe('resolveInitOptions: --app', () => {
  it('needs --image and takes the registry from it (docker.io for Docker Hub names)', () => {
    expect(resolve({ app: true, image: 'ghcr.io/acme/gateway' })).toMatchObject({ kind: 'app-repo', image: { name: 'ghcr.io/acme/gateway', registryHost: 'ghcr.io' } });
    expect(resolve({ app: true, image: 'acme/gateway' })).toMatchObject({ image: { registryHost: 'docker.io' } });
    expect(resolve({ app: true, image: 'localhost/gateway' })).toMatchObject({ image: { registryHost: 'localhost' } });
    expect(problems({ app: true })).toEqual([expect.objectContaining({ option: '--image', reason: expect.stringMatching(/is required with --app/) })]);
  });

  it('refuses the options of a config repository', () => {
    expect(problems({ app: true, image: 'ghcr.io/acme/gateway', sites: ['a'], fleet: 'f' }).map((p) => p.option)).toEqual(['--fleet', '--site']);
  });
});

describe('fluxopsSpecProblem', () => {
  it.each([
    ['git+https://github.com/acme/fluxops.git#v0.1.0', undefined],
    ['git+ssh://git@github.com/acme/fluxops.git#0123abc', undefined],
    ['git+file:///srv/git/fluxops.git#main', undefined],
    ['github:acme/fluxops#v0.1.0', undefined],
    ['file:../fluxops', undefined],
    ['https://example.com/fluxops-0.1.0.tgz', undefined],
    ['git+https://user:secret@github.com/acme/fluxops.git', /credentials/],
    ['git+https://token@github.com/acme/fluxops.git', /credentials/],
    ['http://example.com/fluxops.tgz', /tarball/],
    ['fluxops', /Git URL/],
    ['file:', /names nothing/],
    ['git+https://github.com/acme/fluxops.git#$(id)', /may only contain/],
  ])('%s', (spec, problem) => {
    const got = fluxopsSpecProblem(spec);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });
});

describe('toDnsLabel', () => {
  it.each([
    ['fleet-config', 'fleet-config'],
    ['My_Fleet  Config!', 'my-fleet-config'],
    ['--x--', 'x'],
    ['___', undefined],
    ['a'.repeat(80), 'a'.repeat(63)],
  ])('%s -> %s', (input, out) => expect(toDnsLabel(input)).toBe(out));
});
