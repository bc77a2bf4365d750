import { createTagPolicy, selectImage, type SelectImageInput, type TagPlatformLookup, type TagPlatforms } from '../../../../reconciler/images/policy';

/** A lookup over a fixed table, counting calls (the real registry is covered by the integration tests). */
function table(entries: Record<string, TagPlatforms>): TagPlatformLookup & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    platformsOf: async (tag) => {
      calls.push(tag);
      return entries[tag];
    },
  };
}

const d = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const multi = (n: number): TagPlatforms => ({ digest: d(n), platforms: ['linux/amd64', 'linux/arm64'] });
const amd64 = (n: number): TagPlatforms => ({ digest: d(n), platforms: ['linux/amd64'] });
const semverPolicy = createTagPolicy({ rule: { kind: 'semver', range: '>=1.0.0' } });

const select = (over: Partial<SelectImageInput> & Pick<SelectImageInput, 'tags' | 'lookup'>) => selectImage({ policy: semverPolicy, ...over });

describe('selectImage', () => {
  test('the newest tag that really has linux/arm64 wins; amd64-only builds never qualify', async () => {
    const lookup = table({ '1.3.0': amd64(3), '1.2.0': multi(2), '1.1.0': multi(1) });
    const r = await select({ tags: ['1.1.0', '1.2.0', '1.3.0', 'latest'], lookup });
    expect(r).toMatchObject({ outcome: 'selected', selected: { tag: '1.2.0', digest: d(2), platforms: ['linux/amd64', 'linux/arm64'] }, changed: true, notExamined: 1, lookups: 2 });
    expect(r.rejected).toEqual([
      { tag: 'latest', code: 'not-a-version', message: expect.stringContaining('not a semver version') },
      { tag: '1.3.0', code: 'missing-platform', message: 'lacks linux/arm64; the image provides linux/amd64', platforms: ['linux/amd64'] },
    ]);
    expect(lookup.calls).toEqual(['1.3.0', '1.2.0']);
  });

  test('variants and aliases: arm64/v8 serves linux/arm64; several required platforms must all be there', async () => {
    const lookup = table({ '2.0.0': { digest: d(2), platforms: ['linux/arm64/v8', 'linux/arm/v7'] }, '1.0.0': multi(1) });
    expect((await select({ tags: ['1.0.0', '2.0.0'], lookup })).selected?.tag).toBe('2.0.0');
    const both = await select({ tags: ['1.0.0', '2.0.0'], lookup, requiredPlatforms: ['linux/arm64', 'linux/amd64'] });
    expect(both.selected?.tag).toBe('1.0.0');
    expect(both.rejected).toContainEqual(expect.objectContaining({ tag: '2.0.0', code: 'missing-platform', message: expect.stringContaining('lacks linux/amd64') }));
  });

  test('10 000 tags: the manifest of only the candidates down to the first qualifying one is fetched', async () => {
    const tags = Array.from({ length: 10_000 }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    const entries: Record<string, TagPlatforms> = {};
    tags.forEach((t, i) => (entries[t] = i >= 9_997 ? amd64(i) : multi(i)));
    const lookup = table(entries);
    const r = await select({ tags, lookup });
    expect(r.selected?.tag).toBe('1.99.96');
    expect(lookup.calls).toEqual(['1.99.99', '1.99.98', '1.99.97', '1.99.96']);
    expect(r.notExamined).toBe(9_996);
  });

  test('digest pinning: a re-pushed locked tag is reported as data, with the digest the registry serves now', async () => {
    const lookup = table({ '1.2.0': multi(22) });
    const r = await select({ tags: ['1.2.0'], lookup, locked: { tag: '1.2.0', digest: d(2) } });
    expect(r.locked).toEqual({ tag: '1.2.0', state: 'repushed', lockedDigest: d(2), registryDigest: d(22) });
    expect(r).toMatchObject({ selected: { tag: '1.2.0', digest: d(22) }, changed: true, lookups: 1 });
    const same = await select({ tags: ['1.2.0'], lookup, locked: { tag: '1.2.0', digest: d(22) } });
    expect(same).toMatchObject({ locked: { state: 'current' }, changed: false });
    const gone = await select({ tags: ['1.3.0'], lookup: table({ '1.3.0': multi(3) }), locked: { tag: '1.2.0', digest: d(2) } });
    expect(gone).toMatchObject({ locked: { tag: '1.2.0', state: 'missing', lockedDigest: d(2) }, selected: { tag: '1.3.0' } });
  });

  test('no downgrade: tags below the locked one are refused and reported; allowDowngrade lifts it', async () => {
    const lookup = table({ '1.3.0': amd64(3), '1.2.0': multi(2), '1.1.0': multi(1) });
    const locked = { tag: '1.3.0', digest: d(3) };
    const r = await select({ tags: ['1.1.0', '1.2.0', '1.3.0'], lookup, locked });
    expect(r).toMatchObject({ outcome: 'none', changed: false });
    expect(r.selected).toBeUndefined();
    expect(r.rejected.map((x) => [x.tag, x.code])).toEqual([
      ['1.3.0', 'missing-platform'],
      ['1.2.0', 'older-than-locked'],
      ['1.1.0', 'older-than-locked'],
    ]);
    expect(lookup.calls).toEqual(['1.3.0']); // older tags are refused without a lookup
    const allowed = await select({ tags: ['1.1.0', '1.2.0', '1.3.0'], lookup, locked, allowDowngrade: true });
    expect(allowed.selected?.tag).toBe('1.2.0');
  });

  test('no downgrade also holds when the locked tag left the range or the registry', async () => {
    const lookup = table({ '1.2.0': multi(2) });
    const policy = createTagPolicy({ rule: { kind: 'semver', range: '^1.0.0' } });
    const r = await selectImage({ policy, tags: ['1.2.0'], lookup, locked: { tag: '2.0.0', digest: d(20) } });
    expect(r.selected).toBeUndefined();
    expect(r.rejected).toEqual([expect.objectContaining({ tag: '1.2.0', code: 'older-than-locked' })]);
  });

  test('a hold pins its tag (even an older one) and reports every other candidate with the reason', async () => {
    const lookup = table({ '1.3.0': multi(3), '1.1.0': multi(1) });
    const hold = { tag: '1.1.0', reason: 'INC-42 memory leak in 1.2' };
    const r = await select({ tags: ['1.1.0', '1.2.0', '1.3.0'], lookup, hold, locked: { tag: '1.3.0', digest: d(3) } });
    expect(r).toMatchObject({ outcome: 'held', hold, selected: { tag: '1.1.0', digest: d(1) }, changed: true });
    expect(r.rejected).toEqual([
      { tag: '1.3.0', code: 'held', message: 'held at 1.1.0: INC-42 memory leak in 1.2' },
      { tag: '1.2.0', code: 'held', message: 'held at 1.1.0: INC-42 memory leak in 1.2' },
    ]);
    const amdOnly = await select({ tags: ['1.1.0'], lookup: table({ '1.1.0': amd64(1) }), hold });
    expect(amdOnly).toMatchObject({ outcome: 'none', rejected: [expect.objectContaining({ tag: '1.1.0', code: 'missing-platform' })] });
    const missing = await select({ tags: ['1.3.0'], lookup, hold });
    expect(missing).toMatchObject({ outcome: 'none', rejected: expect.arrayContaining([expect.objectContaining({ tag: '1.1.0', code: 'tag-vanished' })]) });
  });

  test('bad tags never come back and do not block newer tags', async () => {
    const lookup = table({ '1.3.0': multi(3), '1.2.0': multi(2), '1.4.0': multi(4) });
    const locked = { tag: '1.2.0', digest: d(2) };
    const stay = await select({ tags: ['1.2.0', '1.3.0'], lookup, locked, badTags: ['1.3.0'] });
    expect(stay).toMatchObject({ selected: { tag: '1.2.0' }, changed: false });
    expect(stay.rejected).toEqual([{ tag: '1.3.0', code: 'bad-tag', message: expect.stringContaining('marked bad') }]);
    const newer = await select({ tags: ['1.2.0', '1.3.0', '1.4.0'], lookup, locked, badTags: ['1.3.0'] });
    expect(newer.selected?.tag).toBe('1.4.0');
  });

  test('marking the locked tag bad rolls back to the newest good tag', async () => {
    const lookup = table({ '1.3.0': multi(3), '1.2.0': multi(2) });
    const r = await select({ tags: ['1.2.0', '1.3.0'], lookup, locked: { tag: '1.3.0', digest: d(3) }, badTags: ['1.3.0'] });
    expect(r.selected?.tag).toBe('1.2.0');
  });

  test('a tag deleted between listing and lookup is skipped; a registry fault aborts the selection', async () => {
    const r = await select({ tags: ['1.2.0', '1.3.0'], lookup: table({ '1.2.0': multi(2) }) });
    expect(r.selected?.tag).toBe('1.2.0');
    expect(r.rejected).toEqual([expect.objectContaining({ tag: '1.3.0', code: 'tag-vanished' })]);
    const failing: TagPlatformLookup = {
      platformsOf: async (tag) => {
        if (tag === '1.3.0') throw new Error('registry unavailable');
        return multi(2);
      },
    };
    await expect(select({ tags: ['1.2.0', '1.3.0'], lookup: failing })).rejects.toThrow('registry unavailable');
  });

  test('nothing qualifies: outcome none, every tag accounted for', async () => {
    const r = await select({ tags: ['latest', '0.9.0'], lookup: table({}) });
    expect(r).toMatchObject({ outcome: 'none', changed: false, lookups: 0 });
    expect(r.rejected.map((x) => x.code)).toEqual(['not-a-version', 'out-of-range']);
  });
});
