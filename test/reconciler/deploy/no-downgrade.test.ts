import type { ImageUse } from '../../../constructs';
import { DowngradeRefusedError, comparePolicyTags, findDowngrades, refuseDowngrades, tagOf } from '../../../reconciler/deploy/no-downgrade';
import type { KubeObject } from '../../../reconciler/cluster/kube-client';
import type { PolicyData } from '../../../reconciler/synth/protocol';

const semverPolicy: PolicyData = {
  name: 'gateway',
  repository: 'registry.local/edge/gateway',
  rule: { kind: 'semver', range: '^1.4.0' },
  initialTag: '1.4.0',
  platforms: ['linux/arm64'],
  noDowngrade: true,
  digestPinning: true,
  holds: {},
  insecure: false,
};

describe('no downgrade', () => {
  it.each([
    [{ rule: { kind: 'semver', range: '^1.0.0' } }, '1.4.10', '1.4.9', 1],
    [{ rule: { kind: 'semver', range: '^1.0.0' } }, '1.4.0', '1.4.2', -1],
    [{ rule: { kind: 'semver', range: '^1.0.0' } }, '1.5.0-rc.10', '1.5.0-rc.9', 1],
    [{ rule: { kind: 'numerical', order: 'asc' }, filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' } }, 'main-aaa-1732000000', 'main-bbb-1731400000', 1],
    [{ rule: { kind: 'numerical', order: 'desc' } }, '5', '7', 1],
    [{ rule: { kind: 'alphabetical', order: 'asc' } }, 'b', 'a', 1],
    [{ rule: { kind: 'alphabetical', order: 'desc' } }, 'b', 'a', -1],
    [{ rule: { kind: 'semver', range: '^1.0.0' } }, 'latest', '1.0.0', undefined],
  ] as const)('orders tags by the policy (%j: %s vs %s)', (policy, a, b, expected) => {
    const order = comparePolicyTags(policy as Pick<PolicyData, 'rule' | 'filterTags'>, a, b);
    expect(order === undefined ? undefined : Math.sign(order)).toBe(expected);
  });

  it('reads tags from references with ports and digests', () => {
    expect(tagOf('registry.local:5000/edge/gw:1.4.2@sha256:abc')).toBe('1.4.2');
    expect(tagOf('registry.local:5000/edge/gw@sha256:abc')).toBeUndefined();
    expect(tagOf('gw')).toBeUndefined();
  });

  const use = (tag: string, origin: ImageUse['origin'] = 'lock'): ImageUse => ({
    object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'edge', name: 'gateway' },
    container: 'app',
    path: ['spec', 'template', 'spec', 'containers', 0, 'image'],
    policy: 'gateway',
    image: 'registry.local/edge/gateway',
    tag,
    reference: `registry.local/edge/gateway:${tag}`,
    origin,
  });
  const live = (tag: string) => async (): Promise<KubeObject> => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'gateway', namespace: 'edge' },
    spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'x:9' }, { name: 'app', image: `registry.local/edge/gateway:${tag}@sha256:${'0'.repeat(64)}` }] } } },
  });

  it('refuses a lock that moves a site to an older tag than it runs', async () => {
    const found = await findDowngrades([use('1.4.0', 'initial-tag')], [semverPolicy], 'factory-a', live('1.4.2'));
    expect(found).toEqual([expect.objectContaining({ object: 'Deployment/edge/gateway', container: 'app', liveTag: '1.4.2', newTag: '1.4.0' })]);
    expect(() => refuseDowngrades(found)).toThrow(DowngradeRefusedError);
    expect(() => refuseDowngrades(found)).toThrow(/policy gateway would go from 1\.4\.2 \(running\) to 1\.4\.0 \(its initialTag: is the lock entry missing\?\)/);
  });

  it('allows it for a hold or a policy that allows downgrades, and says why', async () => {
    const held = { ...semverPolicy, holds: { 'factory-a': { tag: '1.4.0', reason: 'regression in 1.4.2' } } };
    const [h] = await findDowngrades([use('1.4.0', 'hold')], [held], 'factory-a', live('1.4.2'));
    expect(h.allowedBecause).toMatch(/held at 1\.4\.0: regression in 1\.4\.2/);
    const [p] = await findDowngrades([use('1.4.0')], [{ ...semverPolicy, noDowngrade: false }], 'factory-a', live('1.4.2'));
    expect(p.allowedBecause).toMatch(/allows downgrades/);
    expect(() => refuseDowngrades([h, p])).not.toThrow();
  });

  it('allows a deliberate downgrade to a tag held in the lock (fleet-wide `*` or the site), and only to that tag', async () => {
    const lockHold = { tag: '1.4.0', reason: '1.4.2 leaks memory', source: 'lock' as const, since: '2026-11-26T10:00:00Z' };
    const fleetWide = { ...semverPolicy, holds: { '*': lockHold } };
    const [h] = await findDowngrades([use('1.4.0', 'hold')], [fleetWide], 'factory-a', live('1.4.2'));
    expect(h.allowedBecause).toBe('held at 1.4.0 (lock hold): 1.4.2 leaks memory');
    const [site] = await findDowngrades([use('1.4.0', 'hold')], [{ ...semverPolicy, holds: { 'factory-a': lockHold } }], 'factory-a', live('1.4.2'));
    expect(site.allowedBecause).toMatch(/lock hold/);
    // Another site is not held; and a lock entry (not the hold) going below what runs is still refused.
    const [other] = await findDowngrades([use('1.4.0', 'lock')], [{ ...semverPolicy, holds: { 'factory-a': lockHold } }], 'factory-b', live('1.4.2'));
    expect(other.allowedBecause).toBeUndefined();
    const [elsewhere] = await findDowngrades([use('1.3.9', 'hold')], [fleetWide], 'factory-a', live('1.4.2'));
    expect(elsewhere.allowedBecause).toBeUndefined();
    expect(() => refuseDowngrades([elsewhere])).toThrow(/hold the tag with a reason \(fluxops images hold\), mark the running tag bad/);
  });

  it('allows leaving a running tag the lock marks bad (a rollback), and says why', async () => {
    const bad = { ...semverPolicy, badTags: [{ tag: '1.4.2', reason: 'rollout failed: crash loop', since: '2026-11-26T10:05:00Z' }] };
    const [d] = await findDowngrades([use('1.4.1', 'lock')], [bad], 'factory-a', live('1.4.2'));
    expect(d).toMatchObject({ liveTag: '1.4.2', newTag: '1.4.1', allowedBecause: 'the running tag 1.4.2 is marked bad: rollout failed: crash loop' });
    const [stillRefused] = await findDowngrades([use('1.4.0', 'lock')], [bad], 'factory-a', live('1.4.1'));
    expect(stillRefused.allowedBecause).toBeUndefined();
  });

  it('upgrades, equal tags and objects not yet deployed pass', async () => {
    expect(await findDowngrades([use('1.4.3')], [semverPolicy], 'a', live('1.4.2'))).toEqual([]);
    expect(await findDowngrades([use('1.4.2')], [semverPolicy], 'a', live('1.4.2'))).toEqual([]);
    expect(await findDowngrades([use('1.4.0')], [semverPolicy], 'a', async () => undefined)).toEqual([]);
  });
});
