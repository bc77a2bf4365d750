import { ImageLock, emptyImageLock, withBadTag, withLockEntry, withLockHold } from '../../../constructs/lock';
import { createTagPolicy, selectImage, type TagPlatformLookup, type TagPlatforms } from '../../../reconciler/images/policy';
import { policyState } from '../../../reconciler/images/policy-state';

const d = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const IMAGE = 'registry.local:5000/edge/gateway';
const entry = (tag: string, n: number) => ({ image: IMAGE, tag, digest: d(n), updatedAt: '2026-11-20T10:00:00Z', platforms: ['linux/arm64'] });
const HOLD = { tag: '1.4.2', reason: '1.5.0 leaks memory', since: '2026-11-26T10:00:00Z' };
const bad = (tag: string) => ({ tag, reason: 'rollout failed: crash loop', since: '2026-11-26T10:05:00Z' });

/** A lookup over a fixed table (the registry itself is covered by select-image.int.test.ts). */
function table(entries: Record<string, TagPlatforms>): TagPlatformLookup & { calls: string[] } {
  const calls: string[] = [];
  return { calls, platformsOf: async (tag) => (calls.push(tag), entries[tag]) };
}
const arm = (n: number): TagPlatforms => ({ digest: d(n), platforms: ['linux/arm64'] });
const policy = createTagPolicy({ rule: { kind: 'semver', range: '^1.4.0' } });

/** What the image loop does for one policy: read the lock's state, select. */
async function select(lock: ImageLock, tags: readonly string[], lookup: TagPlatformLookup, site?: string) {
  const state = policyState(lock, { name: 'gateway', repository: IMAGE }, site);
  return selectImage({ policy, tags, lookup, ...state });
}

describe('policyState', () => {
  test('reads the entry (site first), the hold and the bad tags for selectImage', () => {
    let lock = withLockEntry(emptyImageLock(), 'gateway', entry('1.5.0', 5));
    lock = withLockEntry(lock, 'gateway', entry('1.4.2', 2), 'factory-a');
    lock = withBadTag(withBadTag(lock, 'gateway', bad('1.5.0')), 'gateway', bad('1.5.1'));
    lock = withLockHold(lock, 'gateway', HOLD, 'factory-b');
    expect(policyState(lock, 'gateway')).toEqual({ locked: { tag: '1.5.0', digest: d(5), scope: 'fleet' }, badTags: ['1.5.0', '1.5.1'] });
    expect(policyState(lock, 'gateway', 'factory-a')).toEqual({ locked: { tag: '1.4.2', digest: d(2), scope: 'site' }, badTags: ['1.5.0', '1.5.1'] });
    expect(policyState(lock, 'gateway', 'factory-b').hold).toEqual({ ...HOLD, source: 'lock', scope: 'site' });
    expect(policyState(emptyImageLock(), 'gateway')).toEqual({ badTags: [] });
  });

  test('an entry recorded for another image is no starting point (as in synthesis)', () => {
    const lock = withLockEntry(emptyImageLock(), 'gateway', { ...entry('1.5.0', 5), image: 'registry.local:5000/old/gateway' });
    expect(policyState(lock, { name: 'gateway', repository: IMAGE }).locked).toBeUndefined();
    expect(policyState(lock, 'gateway').locked).toMatchObject({ tag: '1.5.0' });
  });

  test('holds in code (PolicyData.holds from synthesis) win over holds in the lock; lock holds come from the lock given', () => {
    const lock = withLockHold(withLockHold(emptyImageLock(), 'gateway', HOLD), 'gateway', { ...HOLD, tag: '1.4.1' }, 'factory-a');
    const fromSynth = {
      name: 'gateway',
      holds: {
        '*': { tag: '1.4.0', reason: 'stale lock hold seen by synthesis', source: 'lock' as const },
        'factory-c': { tag: '1.4.3', reason: 'site soak', source: 'construct' as const },
      },
    };
    expect(policyState(lock, fromSynth, 'factory-c').hold).toEqual({ tag: '1.4.3', reason: 'site soak', source: 'construct', scope: 'site' });
    expect(policyState(lock, fromSynth, 'factory-a').hold).toMatchObject({ tag: '1.4.1', source: 'lock', scope: 'site' });
    expect(policyState(lock, fromSynth).hold).toMatchObject({ tag: '1.4.2', source: 'lock', scope: 'fleet' });
    // An older child sends holds without a source: they came from code.
    expect(policyState(lock, { name: 'gateway', holds: { '*': { tag: '1.4.0', reason: 'code' } } }).hold).toMatchObject({ tag: '1.4.0', source: 'construct' });
  });
});

describe('policyState + selectImage: a bad tag is skipped until a newer tag appears', () => {
  const base = withLockEntry(emptyImageLock(), 'gateway', entry('1.4.2', 2));
  const registry = { '1.4.2': arm(2), '1.5.0': arm(5), '1.5.1': arm(6), '1.6.0': arm(7) };

  test('the bad tag is never chosen, the locked tag stays', async () => {
    const r = await select(withBadTag(base, 'gateway', bad('1.5.0')), ['1.4.2', '1.5.0'], table(registry));
    expect(r).toMatchObject({ outcome: 'selected', selected: { tag: '1.4.2' }, changed: false });
    expect(r.rejected).toContainEqual(expect.objectContaining({ tag: '1.5.0', code: 'bad-tag' }));
  });

  test('a newer tag than the bad one is chosen as soon as it appears', async () => {
    const lookup = table(registry);
    const r = await select(withBadTag(base, 'gateway', bad('1.5.0')), ['1.4.2', '1.5.0', '1.5.1'], lookup);
    expect(r).toMatchObject({ outcome: 'selected', selected: { tag: '1.5.1', digest: d(6) }, changed: true });
    // The bad tag's manifest is never even fetched.
    expect(lookup.calls).not.toContain('1.5.0');
  });

  test('marking the locked tag bad goes back to the newest good tag; a newer one still wins later', async () => {
    const onBad = withBadTag(withLockEntry(emptyImageLock(), 'gateway', entry('1.5.0', 5)), 'gateway', bad('1.5.0'));
    expect((await select(onBad, ['1.4.2', '1.5.0'], table(registry))).selected?.tag).toBe('1.4.2');
    expect((await select(onBad, ['1.4.2', '1.5.0', '1.6.0'], table(registry))).selected?.tag).toBe('1.6.0');
  });

  test('a lock hold pins selection to the held tag (checked against the registry like any tag)', async () => {
    const held = withLockHold(withLockEntry(emptyImageLock(), 'gateway', entry('1.5.0', 5)), 'gateway', HOLD);
    const r = await select(held, ['1.4.2', '1.5.0', '1.6.0'], table(registry));
    expect(r).toMatchObject({ outcome: 'held', selected: { tag: '1.4.2', digest: d(2) }, hold: { tag: '1.4.2', reason: HOLD.reason } });
    // A site hold applies to that site only.
    const siteHeld = withLockHold(base, 'gateway', { ...HOLD, tag: '1.5.0' }, 'factory-a');
    expect((await select(siteHeld, ['1.4.2', '1.5.0', '1.6.0'], table(registry), 'factory-a')).selected?.tag).toBe('1.5.0');
    expect((await select(siteHeld, ['1.4.2', '1.5.0', '1.6.0'], table(registry), 'factory-b')).selected?.tag).toBe('1.6.0');
  });
});
