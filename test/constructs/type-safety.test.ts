/**
 * Compile-time guarantees. ts-jest type-checks this file, so every `@ts-expect-error` below
 * must mark a real type error or the suite fails to compile ("unused @ts-expect-error").
 * The bodies never run: they only need to type-check.
 */
import {
  EdgeApp,
  EdgeAppProps,
  Fleet,
  GitSource,
  ImagePolicy,
  ImagePolicyRule,
  ImageRepository,
  ImageUpdateAutomation,
  ProbeSpec,
  ServiceSpec,
} from '../../constructs';

function impossibleCombinations(fleet: Fleet, repo: ImageRepository, policy: ImagePolicy): void {
  // Policy kinds are a discriminated union: each kind has exactly its own fields.
  // @ts-expect-error semver policies have a range, not an order
  const a: ImagePolicyRule = { kind: 'semver', order: 'asc' };
  // @ts-expect-error alphabetical needs an order
  const b: ImagePolicyRule = { kind: 'alphabetical' };
  // @ts-expect-error numerical order is asc or desc
  const c: ImagePolicyRule = { kind: 'numerical', order: 'newest' };
  // @ts-expect-error prerelease handling is explicit: 'include' or 'exclude'
  const d: ImagePolicyRule = { kind: 'semver', range: '^1.0.0', prereleases: true };

  // An Ingress needs a Service.
  // @ts-expect-error service: false rules out an ingress
  const e: EdgeAppProps = { containers: [{ image: policy }], service: false, ingress: { host: 'a.example.com' } };

  // @ts-expect-error nodePort only exists on NodePort/LoadBalancer services
  const f: ServiceSpec = { type: 'ClusterIP', ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }] };

  // @ts-expect-error an app has at least one container
  const g: EdgeAppProps = { containers: [] };

  // @ts-expect-error images are referenced through policies (or { ref }), never bare strings
  const h: EdgeAppProps = { containers: [{ image: 'nginx:latest' }] };

  // @ts-expect-error intervals are Go durations
  new ImageRepository(fleet, 'r', { image: 'registry.local:5000/x', interval: '5 minutes' });

  // @ts-expect-error architectures are the known ones
  const i: EdgeAppProps = { containers: [{ image: policy }], architectures: ['x86'] };

  // @ts-expect-error platforms are os/arch
  new ImagePolicy(fleet, 'p', { repository: repo, policy: { kind: 'semver', range: '^1.0.0' }, initialTag: '1.0.0', platforms: ['arm64'] });

  // @ts-expect-error an env value comes from a ConfigMap or a Secret, not both
  const j: EdgeAppProps = { containers: [{ image: policy, env: { A: { configMap: 'a', secret: 'b', key: 'k' } } }] };

  // @ts-expect-error a branch ref has a name, not a range
  new GitSource(fleet, 'g', { url: 'https://git.example.com/r.git', ref: { kind: 'branch', range: '1.x' } });

  // @ts-expect-error exec probes need a command
  const k: ProbeSpec = { kind: 'exec', command: [] };

  // Automation on a source pinned to a tag must name the branch to commit to.
  const pinned = new GitSource(fleet, 'pinned', { url: 'https://git.example.com/r.git', ref: { kind: 'tag', name: 'v1.0.0' } });
  // @ts-expect-error checkoutBranch is required for a tag-pinned source
  new ImageUpdateAutomation(fleet, 'auto', { source: pinned, policies: [policy], author: { name: 'Bot', email: 'bot@example.com' } });

  // @ts-expect-error automation covers at least one policy
  new ImageUpdateAutomation(fleet, 'auto2', { source: pinned, checkoutBranch: 'main', policies: [], author: { name: 'Bot', email: 'bot@example.com' } });

  void [a, b, c, d, e, f, g, h, i, j, k];
}

function possibleCombinations(fleet: Fleet, repo: ImageRepository, policy: ImagePolicy): void {
  const onBranch = new GitSource(fleet, 'main', { url: 'https://git.example.com/r.git', ref: { kind: 'branch', name: 'main' } });
  const pinned = new GitSource(fleet, 'pinned', { url: 'https://git.example.com/r.git', ref: { kind: 'tag', name: 'v1.0.0' } });
  new ImageUpdateAutomation(fleet, 'a1', { source: onBranch, policies: [policy], author: { name: 'Bot', email: 'bot@example.com' } });
  new ImageUpdateAutomation(fleet, 'a2', { source: pinned, checkoutBranch: 'main', pushBranch: 'image-updates', policies: [policy], author: { name: 'Bot', email: 'bot@example.com' }, skipCi: true });
  new ImagePolicy(fleet, 'p', {
    repository: repo,
    policy: { kind: 'semver', range: '>=1.0.0', prereleases: 'include' },
    filterTags: { pattern: '^v(?P<v>.*)$', extract: '$v' },
    initialTag: 'v1.0.0',
    platforms: ['linux/arm64', 'linux/arm/v7'],
    hold: { tag: 'v1.0.0', reason: 'release freeze' },
  });
  new ImageRepository(fleet, 'r', { image: 'registry.local:5000/x', interval: '1h30m' });
  new EdgeApp(fleet, 'app', {
    containers: [{ image: { policy }, ports: [{ name: 'http', port: 80 }] }, { name: 'sidecar', image: { ref: 'busybox:1.36' } }],
    service: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }] },
    ingress: { host: 'app.example.com' },
    architectures: ['arm64', 'arm'],
  });
  new EdgeApp(fleet, 'worker', { containers: [{ image: policy }], service: false });
}

test('the impossible does not compile, the possible does (checked by ts-jest)', () => {
  expect(typeof impossibleCombinations).toBe('function');
  expect(typeof possibleCombinations).toBe('function');
});
