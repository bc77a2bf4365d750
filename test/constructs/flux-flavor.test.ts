import { parseAllDocuments } from 'yaml';
import {
  FLUX_API,
  GitSource,
  ImagePolicy,
  ImageRepository,
  ImageUpdateAutomation,
  Site,
  SynthResult,
  synthesize,
  toFluxSemverRange,
} from '../../constructs';
import { SmallFleet, digestOf, gatewayLock, smallFleet, webApp } from './fleet-fixture';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function spec(result: SynthResult, kind: string, name: string): Json {
  const obj = result.objects.find((o) => o.kind === kind && o.name === name);
  if (!obj) throw new Error(`no ${kind}/${name}`);
  return obj.manifest as Json;
}

function fluxFleet(): SmallFleet & { site: Site } {
  const f = smallFleet();
  const repo = new ImageRepository(f.fleet, 'ui-repo', {
    name: 'ui',
    image: 'registry.local:5000/edge/ui',
    interval: '2m',
    secretRef: { name: 'registry-auth' },
    exclusionList: ['^.*\\.sig$', '^dev-'],
    insecure: true,
  });
  const ui = new ImagePolicy(f.fleet, 'ui-policy', {
    name: 'ui',
    repository: repo,
    policy: { kind: 'numerical', order: 'asc' },
    filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
    initialTag: 'main-abc123-1700000000',
    digestPinning: false,
  });
  new ImageUpdateAutomation(f.fleet, 'images', {
    source: f.source,
    policies: [f.policy, ui],
    author: { name: 'FluxOps Bot', email: 'bot@example.com' },
    pushBranch: 'image-updates',
    skipCi: true,
  });
  const gateway = webApp(f, 'gateway');
  const uiApp = webApp(f, 'ui', { containers: [{ image: ui, ports: [{ name: 'http', port: 3000 }] }] });
  const site = new Site(f.fleet, 'plant', { apps: [gateway, uiApp] });
  return { ...f, site };
}

describe('flux flavor', () => {
  test('emits the Flux kinds next to the app manifests; plain emits none', () => {
    const f = fluxFleet();
    const flux = synthesize(f.fleet, { flavor: 'flux', lock: gatewayLock() });
    const plain = synthesize(f.fleet, { flavor: 'plain', lock: gatewayLock() });
    const kinds = (r: SynthResult) => r.objects.map((o) => `${o.apiVersion} ${o.kind}/${o.name}`);
    expect(kinds(flux)).toEqual([
      'v1 Namespace/edge-apps',
      'v1 Service/gateway',
      'v1 Service/ui',
      'apps/v1 Deployment/gateway',
      'apps/v1 Deployment/ui',
      'source.toolkit.fluxcd.io/v1 GitRepository/config',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization/plant',
      'image.toolkit.fluxcd.io/v1 ImageRepository/gateway',
      'image.toolkit.fluxcd.io/v1 ImageRepository/ui',
      'image.toolkit.fluxcd.io/v1 ImagePolicy/gateway',
      'image.toolkit.fluxcd.io/v1 ImagePolicy/ui',
      'image.toolkit.fluxcd.io/v1 ImageUpdateAutomation/images',
    ]);
    expect(kinds(plain)).toEqual(kinds(flux).slice(0, 5));
    expect(flux.objects.filter((o) => o.apiVersion.includes('fluxcd.io')).every((o) => o.namespace === 'flux-system')).toBe(true);
    expect(flux.objects.some((o) => o.kind === 'Namespace' && o.name === 'flux-system')).toBe(false);
    expect(flux.yaml).toMatchSnapshot();
  });

  test('GitRepository: url, ref, interval, secretRef', () => {
    const f = smallFleet();
    new GitSource(f.fleet, 'pinned', {
      url: 'ssh://git@git.example.com/edge/config.git',
      ref: { kind: 'commit', sha: 'a'.repeat(40), branch: 'release' },
      interval: '5m',
      secretRef: { name: 'git-ssh' },
    });
    const result = synthesize(f.fleet, { flavor: 'flux' });
    expect(spec(result, 'GitRepository', 'pinned')).toEqual({
      apiVersion: FLUX_API.gitRepository.apiVersion,
      kind: 'GitRepository',
      metadata: {
        name: 'pinned',
        namespace: 'flux-system',
        labels: { 'app.kubernetes.io/managed-by': 'fluxops', 'app.kubernetes.io/part-of': 'test-fleet' },
      },
      spec: {
        interval: '5m',
        url: 'ssh://git@git.example.com/edge/config.git',
        ref: { commit: 'a'.repeat(40), branch: 'release' },
        secretRef: { name: 'git-ssh' },
      },
    });
    expect(spec(result, 'GitRepository', 'config').spec).toEqual({
      interval: '1m',
      url: 'https://git.example.com/edge/config.git',
      ref: { branch: 'main' },
    });
  });

  test.each([
    [{ kind: 'tag', name: 'v1.2.3' } as const, { tag: 'v1.2.3' }],
    [{ kind: 'semver', range: '>=1.0.0 <2.0.0' } as const, { semver: '>=1.0.0 <2.0.0' }],
  ])('GitRepository ref %j', (ref, expected) => {
    const f = smallFleet();
    new GitSource(f.fleet, 'other', { url: 'https://git.example.com/o.git', ref });
    expect(spec(synthesize(f.fleet, { flavor: 'flux' }), 'GitRepository', 'other').spec.ref).toEqual(expected);
  });

  test('Kustomization applies the site directory from the source, with prune', () => {
    const f = fluxFleet();
    expect(spec(synthesize(f.fleet, { flavor: 'flux' }), 'Kustomization', 'plant').spec).toEqual({
      interval: '10m',
      path: './clusters/plant',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'config' },
      timeout: '5m',
      wait: true,
    });
  });

  test('ImageRepository: image, interval, secretRef, exclusionList, insecure', () => {
    const result = synthesize(fluxFleet().fleet, { flavor: 'flux' });
    expect(spec(result, 'ImageRepository', 'ui').spec).toEqual({
      image: 'registry.local:5000/edge/ui',
      interval: '2m',
      secretRef: { name: 'registry-auth' },
      exclusionList: ['^.*\\.sig$', '^dev-'],
      insecure: true,
    });
    expect(spec(result, 'ImageRepository', 'gateway').spec).toEqual({ image: 'registry.local:5000/edge/gateway', interval: '5m' });
  });

  test('ImagePolicy: policy choice, filterTags, imageRepositoryRef, digest reflection, automation label', () => {
    const result = synthesize(fluxFleet().fleet, { flavor: 'flux' });
    const gateway = spec(result, 'ImagePolicy', 'gateway');
    expect(gateway.spec).toEqual({
      imageRepositoryRef: { name: 'gateway' },
      policy: { semver: { range: '^1.2.0' } },
      digestReflectionPolicy: 'Always',
      interval: '5m',
    });
    expect(gateway.metadata.labels['automation.fluxops.dev/images']).toBe('true');
    expect(gateway.metadata.annotations).toEqual({ 'fluxops.dev/no-downgrade': 'true', 'fluxops.dev/platforms': 'linux/arm64' });
    expect(spec(result, 'ImagePolicy', 'ui').spec).toEqual({
      imageRepositoryRef: { name: 'ui' },
      policy: { numerical: { order: 'asc' } },
      filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
    });
  });

  test('ImagePolicy: alphabetical order and prerelease handling', () => {
    const f = smallFleet();
    new ImagePolicy(f.fleet, 'alpha', { repository: f.repo, policy: { kind: 'alphabetical', order: 'desc' }, initialTag: 'a' });
    new ImagePolicy(f.fleet, 'rc', {
      repository: f.repo,
      policy: { kind: 'semver', range: '^2.0.0', prereleases: 'include' },
      initialTag: '2.1.0-rc.1',
    });
    const result = synthesize(f.fleet, { flavor: 'flux' });
    expect(spec(result, 'ImagePolicy', 'alpha').spec.policy).toEqual({ alphabetical: { order: 'desc' } });
    expect(spec(result, 'ImagePolicy', 'rc').spec.policy).toEqual({ semver: { range: '^2.0.0 >=0.0.0-0' } });
  });

  test('a hold becomes an exact-match tag filter with the reason annotated', () => {
    const f = fluxFleet();
    const held = new Site(f.fleet, 'held', { apps: [f.site.apps[0]], holds: [{ policy: f.policy, tag: '1.2.3', reason: 'soak test' }] });
    const policy = spec(synthesize(f.fleet, { flavor: 'flux', site: held }), 'ImagePolicy', 'gateway');
    expect(policy.spec.policy).toEqual({ alphabetical: { order: 'asc' } });
    expect(policy.spec.filterTags).toEqual({ pattern: '^1\\.2\\.3$' });
    expect(policy.metadata.annotations).toMatchObject({ 'fluxops.dev/hold-tag': '1.2.3', 'fluxops.dev/hold-reason': 'soak test' });
  });

  test('ImageUpdateAutomation: git checkout/commit/push, update path and policy selector', () => {
    const result = synthesize(fluxFleet().fleet, { flavor: 'flux' });
    const automation = spec(result, 'ImageUpdateAutomation', 'images');
    expect(automation.spec).toEqual({
      interval: '10m',
      sourceRef: { kind: 'GitRepository', name: 'config' },
      git: {
        checkout: { ref: { branch: 'main' } },
        commit: {
          author: { name: 'FluxOps Bot', email: 'bot@example.com' },
          messageTemplate: expect.stringMatching(/^chore\(images\): update images for \{\{ \.AutomationObject\.Name \}\}\n[\s\S]*\n\n\[skip ci\]\n$/),
        },
        push: { branch: 'image-updates' },
      },
      policySelector: { matchLabels: { 'automation.fluxops.dev/images': 'true' } },
      update: { path: './clusters/plant', strategy: 'Setters' },
    });
  });

  test('policy-backed image fields carry Flux setter comments', () => {
    const f = fluxFleet();
    const result = synthesize(f.fleet, { flavor: 'flux', lock: gatewayLock('1.2.5', digestOf('f')) });
    const deployment = result.objects.find((o) => o.kind === 'Deployment' && o.name === 'gateway');
    expect(deployment?.yaml).toContain(
      `- image: registry.local:5000/edge/gateway:1.2.5@${digestOf('f')} # {"$imagepolicy": "flux-system:gateway"}`,
    );
    // Comments do not change the data.
    const docs = parseAllDocuments(result.yaml).map((d) => d.toJS());
    expect(docs).toEqual(result.objects.map((o) => o.manifest));
    expect(synthesize(f.fleet, { flavor: 'plain', lock: gatewayLock() }).yaml).not.toContain('$imagepolicy');
  });

  test('prerelease range translation for Flux', () => {
    expect(toFluxSemverRange({ kind: 'semver', range: '^1.2.0' })).toBe('^1.2.0');
    expect(toFluxSemverRange({ kind: 'semver', range: '~2.0.18', prereleases: 'include' })).toBe('~2.0.18 >=0.0.0-0');
    expect(toFluxSemverRange({ kind: 'semver', range: '>=1.0.0 <2.0.0 || 3.x', prereleases: 'include' })).toBe('>=1.0.0 <2.0.0 >=0.0.0-0 || 3.x >=0.0.0-0');
  });
});
