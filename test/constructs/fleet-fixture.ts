import {
  EdgeApp,
  EdgeAppProps,
  Fleet,
  GitSource,
  GitBranchRef,
  ImageLock,
  ImagePolicy,
  ImageRepository,
  emptyImageLock,
  withLockEntry,
} from '../../constructs';

/** A digest that looks real, derived from a short seed. */
export function digestOf(seed: string): string {
  return `sha256:${seed.repeat(64).slice(0, 64)}`;
}

/** A fleet with one repository, one semver policy and one Git source. */
export interface SmallFleet {
  readonly fleet: Fleet;
  readonly source: GitSource<GitBranchRef>;
  readonly repo: ImageRepository;
  readonly policy: ImagePolicy;
}

/** Builds {@link SmallFleet}. */
export function smallFleet(): SmallFleet {
  const fleet = new Fleet({ name: 'test-fleet' });
  const source = new GitSource(fleet, 'config', {
    url: 'https://git.example.com/edge/config.git',
    ref: { kind: 'branch', name: 'main' },
  });
  const repo = new ImageRepository(fleet, 'gateway-repo', { name: 'gateway', image: 'registry.local:5000/edge/gateway' });
  const policy = new ImagePolicy(fleet, 'gateway-policy', {
    name: 'gateway',
    repository: repo,
    policy: { kind: 'semver', range: '^1.2.0' },
    initialTag: '1.2.0',
  });
  return { fleet, source, repo, policy };
}

/** Props of a typical web app following `policy`. */
export function webAppProps(policy: ImagePolicy, extra: Partial<EdgeAppProps> = {}): EdgeAppProps {
  return {
    containers: [
      {
        image: policy,
        ports: [{ name: 'http', port: 8080 }],
        readiness: { kind: 'http', path: '/healthz', port: 'http' },
      },
    ],
    ...extra,
  } as EdgeAppProps;
}

/** A lock with one fleet-wide entry for the `gateway` policy. */
export function gatewayLock(tag = '1.2.3', digest = digestOf('a')): ImageLock {
  return withLockEntry(emptyImageLock(), 'gateway', {
    image: 'registry.local:5000/edge/gateway',
    tag,
    digest,
    updatedAt: '2025-11-20T10:00:00Z',
  });
}

/** Creates the web app. */
export function webApp(f: SmallFleet, id = 'gateway', extra: Partial<EdgeAppProps> = {}): EdgeApp {
  return new EdgeApp(f.fleet, id, webAppProps(f.policy, extra));
}
