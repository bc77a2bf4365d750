import {
  ConstructValidationError,
  EdgeApp,
  EdgeAppProps,
  FleetValidationError,
  GitSource,
  ImagePolicy,
  ImagePolicyProps,
  ImageRepository,
  ImageUpdateAutomation,
  ImageUpdateAutomationProps,
  RawObjects,
  Site,
  synthesize,
} from '../../constructs';
import { SmallFleet, smallFleet, webApp, webAppProps } from './fleet-fixture';

/** Constructs created by a case's setup. */
interface Helpers {
  readonly a?: EdgeApp;
  readonly b?: EdgeApp;
  readonly other?: ImagePolicy;
  readonly pinned?: GitSource;
}

/** One invalid input: what to build, and the error it must produce. */
interface Case {
  readonly title: string;
  /** Construct id the failing constructor was given (must not be registered afterwards). */
  readonly id?: string;
  /** Valid constructs the failing one refers to, created before the failure is measured. */
  readonly setup?: (f: SmallFleet) => Helpers;
  readonly build: (f: SmallFleet, h: Helpers) => unknown;
  readonly path: string;
  readonly field: string;
  readonly value: unknown;
}

const policyProps = (f: SmallFleet, extra: Partial<ImagePolicyProps>): ImagePolicyProps => ({
  repository: f.repo,
  policy: { kind: 'semver', range: '^1.0.0' },
  initialTag: '1.0.0',
  ...extra,
});

const appProps = (f: SmallFleet, extra: Record<string, unknown>): EdgeAppProps => ({ ...webAppProps(f.policy), ...extra }) as EdgeAppProps;

const cases: Case[] = [
  {
    title: 'bad semver range',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { policy: { kind: 'semver', range: 'latest-ish' } })),
    path: 'test-fleet/p',
    field: 'policy.range',
    value: 'latest-ish',
  },
  {
    title: 'range Flux (Masterminds semver) would refuse',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { policy: { kind: 'semver', range: '>=1.0.0 ||| <3' } })),
    path: 'test-fleet/p',
    field: 'policy.range',
    value: '>=1.0.0 ||| <3',
  },
  {
    title: 'regex Go RE2 cannot run (lookahead)',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { filterTags: { pattern: '^(?=v)v(?P<v>.*)$', extract: '$v' } })),
    path: 'test-fleet/p',
    field: 'filterTags.pattern',
    value: '^(?=v)v(?P<v>.*)$',
  },
  {
    title: 'regex that does not compile',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { filterTags: { pattern: '^main-(' } })),
    path: 'test-fleet/p',
    field: 'filterTags.pattern',
    value: '^main-(',
  },
  {
    title: 'extract names a group the pattern lacks',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { filterTags: { pattern: '^v(?P<version>.*)$', extract: '$ts' } })),
    path: 'test-fleet/p',
    field: 'filterTags.extract',
    value: '$ts',
  },
  {
    title: 'roll-back timeout that is not a duration',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { rollback: { timeout: '5 minutes' as '5m' } })),
    path: 'test-fleet/p',
    field: 'rollback.timeout',
    value: '5 minutes',
  },
  {
    title: 'initialTag outside the range',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { initialTag: '2.0.0' })),
    path: 'test-fleet/p',
    field: 'initialTag',
    value: '2.0.0',
  },
  {
    title: 'unknown platform',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { platforms: ['linux/arm64', 'linux/sparc' as 'linux/arm64'] })),
    path: 'test-fleet/p',
    field: 'platforms[1]',
    value: 'linux/sparc',
  },
  {
    title: 'hold without a reason',
    id: 'p',
    build: (f) => new ImagePolicy(f.fleet, 'p', policyProps(f, { hold: { tag: '1.0.0', reason: ' ' } })),
    path: 'test-fleet/p',
    field: 'hold.reason',
    value: ' ',
  },
  {
    title: 'duplicate policy name',
    id: 'again',
    build: (f) => new ImagePolicy(f.fleet, 'again', policyProps(f, { name: 'gateway' })),
    path: 'test-fleet/again',
    field: 'name',
    value: 'gateway',
  },
  {
    title: 'bad interval',
    id: 'r',
    build: (f) => new ImageRepository(f.fleet, 'r', { image: 'registry.local:5000/x', interval: '5 minutes' as '5m' }),
    path: 'test-fleet/r',
    field: 'interval',
    value: '5 minutes',
  },
  {
    title: 'image name with a tag',
    id: 'r',
    build: (f) => new ImageRepository(f.fleet, 'r', { image: 'registry.local:5000/x:1.0' }),
    path: 'test-fleet/r',
    field: 'image',
    value: 'registry.local:5000/x:1.0',
  },
  {
    title: 'too many exclusions',
    id: 'r',
    build: (f) => new ImageRepository(f.fleet, 'r', { image: 'registry.local:5000/x', exclusionList: Array.from({ length: 26 }, (_, i) => `^t${i}$`) }),
    path: 'test-fleet/r',
    field: 'exclusionList',
    value: Array.from({ length: 26 }, (_, i) => `^t${i}$`),
  },
  {
    title: 'scp-like Git URL',
    id: 'g',
    build: (f) => new GitSource(f.fleet, 'g', { url: 'git@github.com:org/repo.git', ref: { kind: 'branch', name: 'main' } }),
    path: 'test-fleet/g',
    field: 'url',
    value: 'git@github.com:org/repo.git',
  },
  {
    title: 'a token in a Git URL',
    id: 'g',
    build: (f) => new GitSource(f.fleet, 'g', { url: 'https://ghp_0123456789abcdef@github.com/org/repo.git', ref: { kind: 'branch', name: 'main' } }),
    path: 'test-fleet/g',
    field: 'url',
    value: 'https://ghp_0123456789abcdef@github.com/org/repo.git',
  },
  {
    title: 'user and password in a Git URL',
    id: 'g',
    build: (f) => new GitSource(f.fleet, 'g', { url: 'https://bot:s3cret@git.example.com/org/repo.git', ref: { kind: 'branch', name: 'main' } }),
    path: 'test-fleet/g',
    field: 'url',
    value: 'https://bot:s3cret@git.example.com/org/repo.git',
  },
  {
    title: 'a Secret with values in RawObjects',
    id: 'raw',
    build: (f) => new RawObjects(f.fleet, 'raw', { objects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'edge-apps' }, stringData: { password: 'hunter2' } }] }),
    path: 'test-fleet/raw',
    field: 'objects[0].stringData',
    value: '(values not shown)',
  },
  {
    title: 'a Secret with base64 data in RawObjects',
    id: 'raw',
    build: (f) => new RawObjects(f.fleet, 'raw', { objects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'edge-apps' }, data: { password: 'aHVudGVyMg==' } }] }),
    path: 'test-fleet/raw',
    field: 'objects[0].data',
    value: '(values not shown)',
  },
  {
    title: 'bad branch name',
    id: 'g',
    build: (f) => new GitSource(f.fleet, 'g', { url: 'https://git.example.com/r.git', ref: { kind: 'branch', name: 'feature..x' } }),
    path: 'test-fleet/g',
    field: 'ref.name',
    value: 'feature..x',
  },
  {
    title: 'short commit id',
    id: 'g',
    build: (f) => new GitSource(f.fleet, 'g', { url: 'https://git.example.com/r.git', ref: { kind: 'commit', sha: 'abc123' } }),
    path: 'test-fleet/g',
    field: 'ref.sha',
    value: 'abc123',
  },
  {
    title: 'app name that is not a DNS-1035 label',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', appProps(f, { name: 'Sensor_Gateway' })),
    path: 'test-fleet/app',
    field: 'name',
    value: 'Sensor_Gateway',
  },
  {
    title: 'duplicate app name in a namespace',
    id: 'second',
    setup: (f) => ({ a: webApp(f, 'first', { name: 'gateway' }) }),
    build: (f) => webApp(f, 'second', { name: 'gateway' }),
    path: 'test-fleet/second',
    field: 'name',
    value: 'gateway',
  },
  {
    title: 'port out of range',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', { containers: [{ image: f.policy, ports: [{ name: 'http', port: 70000 }] }] }),
    path: 'test-fleet/app',
    field: 'containers[0].ports[0].port',
    value: 70000,
  },
  {
    title: 'unknown architecture',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', appProps(f, { architectures: ['arm64', 'x86'] })),
    path: 'test-fleet/app',
    field: 'architectures[1]',
    value: 'x86',
  },
  {
    title: 'probe on a port the container does not declare',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', { containers: [{ image: f.policy, ports: [{ name: 'http', port: 80 }], liveness: { kind: 'tcp', port: 'metrics' } }] }),
    path: 'test-fleet/app',
    field: 'containers[0].liveness.port',
    value: 'metrics',
  },
  {
    title: 'mount of an undeclared volume',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', { containers: [{ image: f.policy, mounts: [{ volume: 'data', path: '/data' }] }] }),
    path: 'test-fleet/app',
    field: 'containers[0].mounts[0].volume',
    value: 'data',
  },
  {
    title: 'CPU request above the limit',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', { containers: [{ image: f.policy, resources: { cpu: { request: '800m', limit: '500m' } } }] }),
    path: 'test-fleet/app',
    field: 'containers[0].resources.cpu.request',
    value: '800m',
  },
  {
    title: 'bad environment variable name',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', { containers: [{ image: f.policy, env: { '1BAD': 'x' } }] }),
    path: 'test-fleet/app',
    field: 'containers[0].env.1BAD',
    value: '1BAD',
  },
  {
    title: 'nodePort on a ClusterIP service (bypassing the types)',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', appProps(f, { service: { ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }] } })),
    path: 'test-fleet/app',
    field: 'service.ports[0].nodePort',
    value: 30080,
  },
  {
    title: 'ingress on an app without ports',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', { containers: [{ image: f.policy }], ingress: { host: 'a.example.com' } }),
    path: 'test-fleet/app',
    field: 'ingress',
    value: { host: 'a.example.com' },
  },
  {
    title: 'invalid ingress host',
    id: 'app',
    build: (f) => new EdgeApp(f.fleet, 'app', appProps(f, { ingress: { host: 'Dashboard.Example.com' } })),
    path: 'test-fleet/app',
    field: 'ingress.host',
    value: 'Dashboard.Example.com',
  },
  {
    title: 'override of an app the site does not run',
    id: 's',
    setup: (f) => ({ a: webApp(f, 'a'), b: webApp(f, 'b') }),
    build: (f, h) => new Site(f.fleet, 's', { apps: [h.a as EdgeApp], overrides: [{ app: h.b as EdgeApp, replicas: 2 }] }),
    path: 'test-fleet/s',
    field: 'overrides[0].app',
    value: '<test-fleet/b>',
  },
  {
    title: 'hold on a policy no app on the site uses',
    id: 's',
    setup: (f) => ({ a: webApp(f, 'a'), other: new ImagePolicy(f.fleet, 'other', policyProps(f, {})) }),
    build: (f, h) => new Site(f.fleet, 's', { apps: [h.a as EdgeApp], holds: [{ policy: h.other as ImagePolicy, tag: '1.0.0', reason: 'test' }] }),
    path: 'test-fleet/s',
    field: 'holds[0].policy',
    value: '<test-fleet/other>',
  },
  {
    title: 'automation on a tag-pinned source without a checkout branch (bypassing the types)',
    id: 'auto',
    setup: (f) => ({ pinned: new GitSource(f.fleet, 'pinned', { url: 'https://git.example.com/r.git', ref: { kind: 'tag', name: 'v1.0.0' } }) }),
    build: (f, h) => {
      return new ImageUpdateAutomation(f.fleet, 'auto', {
        source: h.pinned,
        policies: [f.policy],
        author: { name: 'Bot', email: 'bot@example.com' },
      } as unknown as ImageUpdateAutomationProps);
    },
    path: 'test-fleet/auto',
    field: 'checkoutBranch',
    value: undefined,
  },
  {
    title: 'automation author without an e-mail address',
    id: 'auto',
    build: (f) => new ImageUpdateAutomation(f.fleet, 'auto', { source: f.source, policies: [f.policy], author: { name: 'Bot', email: 'bot' } }),
    path: 'test-fleet/auto',
    field: 'author.email',
    value: 'bot',
  },
  {
    title: 'raw object without a valid name',
    id: 'raw',
    build: (f) => new RawObjects(f.fleet, 'raw', { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad Name' } }] }),
    path: 'test-fleet/raw',
    field: 'objects[0].metadata.name',
    value: 'Bad Name',
  },
];

describe('invalid values throw ConstructValidationError naming path, field and value', () => {
  test.each(cases)('$title', ({ id, setup, build, path, field, value }) => {
    const f = smallFleet();
    const helpers = setup ? setup(f) : {};
    const before = f.fleet.node.findAll().length;
    let caught: unknown;
    try {
      build(f, helpers);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConstructValidationError);
    const err = caught as ConstructValidationError;
    expect(err.name).toBe('ConstructValidationError');
    expect(err.path).toBe(path);
    expect(err.field).toBe(field);
    if (typeof value === 'string' && value.startsWith('<')) {
      expect((err.value as { node: { path: string } }).node.path).toBe(value.slice(1, -1));
    } else {
      expect(err.value).toEqual(value);
    }
    expect(err.message).toContain(`${path}: invalid ${field} `);
    if (typeof value === 'string' || typeof value === 'number') expect(err.message).toContain(JSON.stringify(value));
    // A failed construction leaves no trace: the id is free and nothing else was added.
    if (id !== undefined) expect(f.fleet.node.tryFindChild(id)).toBeUndefined();
    expect(f.fleet.node.findAll().length).toBe(before);
  });
});

describe('mutation and fleet-wide checks', () => {
  test('Site.addApp with a bad app throws and leaves the site unchanged', () => {
    const f = smallFleet();
    const a = webApp(f, 'a');
    const site = new Site(f.fleet, 's', { apps: [a] });
    expect(() => site.addApp(a)).toThrow(ConstructValidationError);
    expect(() => site.addApp(webApp(f, 'b'), { replicas: -1 })).toThrow(/test-fleet\/s: invalid overrides\[0\]\.replicas -1/);
    expect(site.apps).toEqual([a]);
    expect(site.overrides).toEqual([]);
  });

  test('placement that no node can satisfy fails synthesis (node.addValidation)', () => {
    const f = smallFleet();
    const site = new Site(f.fleet, 'pi', { apps: [], nodes: [{ name: 'pi-1', architecture: 'arm64' }] });
    site.addApp(webApp(f, 'x86-only', { architectures: ['amd64'] }));
    expect(site.node.validate()).toHaveLength(1);
    let caught: unknown;
    try {
      synthesize(f.fleet, { site: 'pi' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FleetValidationError);
    const err = caught as FleetValidationError;
    expect(err.errors).toHaveLength(1);
    expect(err.errors[0]).toMatchObject({ path: 'test-fleet/pi', field: 'apps[0]' });
    expect(err.message).toContain('x86-only needs amd64 but the site\'s nodes are arm64');
  });

  test('foreign node.addValidation messages are reported too', () => {
    const f = smallFleet();
    const app = webApp(f);
    app.node.addValidation({ validate: () => ['team policy: gateway needs an owner label'] });
    expect(() => synthesize(f.fleet)).toThrow(/test-fleet\/gateway: team policy: gateway needs an owner label/);
  });

  test('two objects with the same identity collide', () => {
    const f = smallFleet();
    webApp(f);
    new RawObjects(f.fleet, 'extra', {
      objects: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gateway', namespace: 'edge-apps' }, spec: {} }],
    });
    expect(() => synthesize(f.fleet)).toThrow(/invalid metadata\.name "Service edge-apps\/gateway": collides with the object rendered from test-fleet\/(gateway|extra)/);
  });

  test('options: unknown site, ambiguous site, flux without a usable source', () => {
    const f = smallFleet();
    const app = webApp(f);
    new Site(f.fleet, 'a', { apps: [app] });
    new Site(f.fleet, 'b', { apps: [app] });
    expect(() => synthesize(f.fleet, { site: 'c' })).toThrow(/test-fleet: invalid options\.site "c": is not a site of this fleet \(sites: a, b\)/);
    expect(() => synthesize(f.fleet)).toThrow(/the fleet has 2 sites \(a, b\); choose one/);
    new GitSource(f.fleet, 'second', { url: 'https://git.example.com/other.git', ref: { kind: 'branch', name: 'main' } });
    expect(() => synthesize(f.fleet, { site: 'a', flavor: 'flux' })).toThrow(/test-fleet\/a: invalid source \(undefined\): the flux flavor needs a GitSource/);
  });

  test('file:// sources work for the FluxOps reconciler but not for Flux', () => {
    const f = smallFleet();
    const local = new GitSource(f.fleet, 'local', { url: 'file:///srv/git/fleet.git', ref: { kind: 'branch', name: 'main' } });
    new Site(f.fleet, 'a', { apps: [webApp(f)], source: local });
    expect(() => synthesize(f.fleet, { flavor: 'plain' })).not.toThrow();
    expect(() => synthesize(f.fleet, { flavor: 'flux' })).toThrow(/test-fleet\/local: invalid url "file:\/\/\/srv\/git\/fleet.git"/);
  });

  test('constructs outside a Fleet are rejected', () => {
    const { Construct } = jest.requireActual<typeof import('constructs')>('constructs');
    const root = new Construct(undefined as unknown as InstanceType<typeof Construct>, 'not-a-fleet');
    expect(() => new ImageRepository(root, 'r', { image: 'registry.local:5000/x' })).toThrow(/must be created inside a Fleet/);
  });
});

describe('EdgeApp autoscaling', () => {
  const { EdgeApp: App, Fleet: F } = jest.requireActual<typeof import('../../constructs')>('../../constructs');
  const container = { image: { ref: 'registry.local/a/b:1.0.0' } } as const;

  it('omits spec.replicas and emits an HPA when the app autoscales', () => {
    const { synthesize } = jest.requireActual<typeof import('../../constructs')>('../../constructs');
    const fleet = new F({ name: 'f', namespace: 'ns' });
    new App(fleet, 'web', { containers: [container], autoscaling: { minReplicas: 2, maxReplicas: 5 } });
    const objects = synthesize(fleet).objects;
    const dep = objects.find((o) => o.kind === 'Deployment')!.manifest as any;
    expect(dep.spec.replicas).toBeUndefined();
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.manifest as any;
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'web' } });
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(80);
  });

  it.each([
    [{ minReplicas: 0, maxReplicas: 2 }, 'autoscaling.minReplicas', '0'],
    [{ minReplicas: 3, maxReplicas: 2 }, 'autoscaling.maxReplicas', '2'],
    [{ maxReplicas: 2, cpuUtilization: 150 }, 'autoscaling.cpuUtilization', '150'],
  ])('rejects %j naming %s', (autoscaling, field, value) => {
    const fleet = new F({ name: 'f', namespace: 'ns' });
    expect(() => new App(fleet, 'web', { containers: [container], autoscaling })).toThrow(new RegExp(`f/web: invalid ${field.replace('.', '\\.')} ${value}`));
    expect(fleet.apps).toHaveLength(0);
  });

  it('rejects replicas together with autoscaling at compile time and at run time', () => {
    const fleet = new F({ name: 'f', namespace: 'ns' });
    // @ts-expect-error the autoscaler owns the replica count
    expect(() => new App(fleet, 'web', { containers: [container], replicas: 2, autoscaling: { maxReplicas: 3 } })).toThrow(/invalid replicas 2: cannot be set together with autoscaling/);
  });
});
