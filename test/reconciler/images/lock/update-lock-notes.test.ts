import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { Composer, Parser, Scalar, isScalar } from 'yaml';
import { ImageLock, ImageLockError, parseImageLock, serializeImageLock } from '../../../../constructs';
import { LockUpdate, lockNotesMessage, renderCommitMessage, updateLockText } from '../../../../reconciler/images/lock';
import { POLICIES, SITES, badTagArb, holdArb, intendedLock, lockArb, noteTagArb, reasonArb, renderLock, styleArb, timeArb } from './lock-text-arbitrary';

const SOURCE = 'clusters/fluxops.lock.yaml';
const EXAMPLE = fs.readFileSync(path.resolve(__dirname, '../../../../examples/edge-fleet/fluxops.lock.yaml'), 'utf8');
const HOLD = { tag: '1.4.2', reason: '1.5.0 leaks memory', since: '2026-11-26T10:00:00Z' };
const BAD = { tag: '1.5.0', reason: 'rollout failed: pod sensor-gateway-x: container app ImagePullBackOff', since: '2026-11-26T10:05:00Z' };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

/** Length of the common prefix and of the common suffix (not overlapping) of two texts. */
function commonEnds(a: string, b: string): { prefix: number; suffix: number } {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  return { prefix, suffix };
}

/** The new text is the old one with exactly one contiguous span inserted (returned). */
function insertedSpan(before: string, after: string): string {
  const { prefix, suffix } = commonEnds(before, after);
  expect(prefix + suffix).toBe(before.length);
  return after.slice(prefix, after.length - suffix);
}

/** The new text is the old one with exactly one contiguous span removed (returned). */
function removedSpan(before: string, after: string): string {
  const { prefix, suffix } = commonEnds(before, after);
  expect(prefix + suffix).toBe(after.length);
  return before.slice(prefix, before.length - suffix);
}

describe('updateLockText: holds and bad tags', () => {
  test('holding and releasing on the example lock: only the hold lines appear, and release gives the original bytes back', () => {
    const held = updateLockText(EXAMPLE, [{ action: 'set-hold', policy: 'sensor-gateway', hold: HOLD }], { source: SOURCE });
    expect(insertedSpan(EXAMPLE, held.text)).toBe(['holds:', '  sensor-gateway:', '    tag: 1.4.2', '    reason: 1.5.0 leaks memory', '    since: "2026-11-26T10:00:00Z"', ''].join('\n'));
    expect(held.changes).toEqual([]);
    expect(held.badTags).toEqual([]);
    expect(held.holds).toEqual([{ action: 'created', policy: 'sensor-gateway', to: HOLD, fields: ['tag', 'reason', 'since'] }]);
    expect(held.lock.holds).toEqual({ 'sensor-gateway': HOLD });

    const released = updateLockText(held.text, [{ action: 'remove-hold', policy: 'sensor-gateway' }], { source: SOURCE });
    expect(released.text).toBe(EXAMPLE);
    expect(released.holds).toEqual([{ action: 'removed', policy: 'sensor-gateway', from: HOLD, fields: ['tag', 'reason', 'since'] }]);
    expect(released.lock.holds).toBeUndefined();
  });

  test('re-holding at the same tag for the same reason keeps `since`; another reason or tag updates the hold in place', () => {
    const held = updateLockText(EXAMPLE, [{ action: 'set-hold', policy: 'sensor-gateway', hold: HOLD }], { source: SOURCE }).text;
    const again = updateLockText(held, [{ action: 'set-hold', policy: 'sensor-gateway', hold: { ...HOLD, since: '2027-01-01T00:00:00Z' } }], { source: SOURCE });
    expect(again).toMatchObject({ text: held, changed: false, holds: [] });
    const refreshed = updateLockText(held, [{ action: 'set-hold', policy: 'sensor-gateway', hold: { ...HOLD, since: '2027-01-01T00:00:00Z' } }], { source: SOURCE, refreshTimestamps: true });
    expect(refreshed.holds).toEqual([expect.objectContaining({ action: 'updated', fields: ['since'] })]);
    const moved = updateLockText(held, [{ action: 'set-hold', policy: 'sensor-gateway', hold: { tag: '1.4.1', reason: 'bisecting: 1.4.2 also leaks', since: '2026-11-27T00:00:00Z' } }], { source: SOURCE });
    expect(moved.text).toBe(held.replace('tag: 1.4.2\n    reason: 1.5.0 leaks memory\n    since: "2026-11-26T10:00:00Z"', 'tag: 1.4.1\n    reason: "bisecting: 1.4.2 also leaks"\n    since: "2026-11-27T00:00:00Z"'));
    expect(moved.holds).toEqual([expect.objectContaining({ action: 'updated', from: HOLD, fields: ['tag', 'reason', 'since'] })]);
  });

  test('marking a tag bad twice keeps the first record; unmarking removes only its item', () => {
    const marked = updateLockText(EXAMPLE, [{ action: 'add-bad-tag', policy: 'sensor-gateway', badTag: BAD }], { source: SOURCE });
    expect(marked.badTags).toEqual([{ action: 'added', policy: 'sensor-gateway', tag: '1.5.0', badTag: BAD }]);
    const twice = updateLockText(marked.text, [{ action: 'add-bad-tag', policy: 'sensor-gateway', badTag: { ...BAD, reason: 'again', since: '2027-01-01T00:00:00Z' } }], { source: SOURCE });
    expect(twice).toMatchObject({ text: marked.text, changed: false, badTags: [] });
    const second = updateLockText(marked.text, [{ action: 'add-bad-tag', policy: 'sensor-gateway', badTag: { ...BAD, tag: '1.5.1', since: '2026-11-27T00:00:00Z' } }], { source: SOURCE });
    expect(insertedSpan(marked.text, second.text)).toBe(
      ['    - tag: 1.5.1', '      reason: "rollout failed: pod sensor-gateway-x: container app ImagePullBackOff"', '      since: "2026-11-27T00:00:00Z"', ''].join('\n'),
    );
    const unmarked = updateLockText(second.text, [{ action: 'remove-bad-tag', policy: 'sensor-gateway', tag: '1.5.0' }], { source: SOURCE });
    removedSpan(second.text, unmarked.text);
    expect(unmarked.text).toBe(second.text.replace(['    - tag: 1.5.0', '      reason: "rollout failed: pod sensor-gateway-x: container app ImagePullBackOff"', '      since: "2026-11-26T10:05:00Z"', ''].join('\n'), ''));
    expect(unmarked.badTags).toEqual([{ action: 'removed', policy: 'sensor-gateway', tag: '1.5.0', badTag: BAD }]);
    const none = updateLockText(unmarked.text, [{ action: 'remove-bad-tag', policy: 'sensor-gateway', tag: '1.5.1' }], { source: SOURCE });
    expect(none.text).toBe(EXAMPLE);
  });

  test('new sections go in the fixed order (policies, sites, holds, siteHolds, badTags), wherever the file stands', () => {
    const onlyBad = 'schemaVersion: 1\nbadTags:\n  gw:\n    - {tag: "2.0", reason: x, since: "2026-01-01T00:00:00Z"}\n';
    const r = updateLockText(onlyBad, [{ action: 'set-hold', policy: 'gw', site: 's1', hold: HOLD }, { action: 'set-hold', policy: 'gw', hold: HOLD }], { source: SOURCE });
    const keys = Object.keys(new Composer().compose(new Parser().parse(r.text)).next().value!.toJS() as object);
    expect(keys).toEqual(['schemaVersion', 'holds', 'siteHolds', 'badTags']);
    // The file writes bad tags as flow maps and quotes tags, so new holds do too.
    expect(r.text).toContain('holds:\n  gw: {tag: "1.4.2", reason: 1.5.0 leaks memory, since: "2026-11-26T10:00:00Z"}\n');
  });

  test('a fresh lock with holds and bad tags is written by serializeImageLock', () => {
    const updates: LockUpdate[] = [
      { action: 'add-bad-tag', policy: 'gw', badTag: BAD },
      { action: 'set-hold', policy: 'gw', hold: HOLD },
    ];
    const r = updateLockText(undefined, updates, { source: SOURCE });
    expect(r.text).toBe(serializeImageLock(r.lock));
    expect(parseImageLock(r.text, SOURCE)).toEqual({ schemaVersion: 1, policies: {}, sites: {}, holds: { gw: HOLD }, badTags: { gw: [BAD] } });
  });

  test('the commit message names each change and its reason', () => {
    const r = updateLockText(EXAMPLE, [{ action: 'set-hold', policy: 'sensor-gateway', hold: HOLD }, { action: 'add-bad-tag', policy: 'sensor-gateway', badTag: BAD }], { source: SOURCE });
    expect(lockNotesMessage(r)).toBe(
      [
        'images: 2 hold and bad-tag changes',
        '',
        '- hold sensor-gateway at 1.4.2: 1.5.0 leaks memory',
        '- mark sensor-gateway 1.5.0 bad: rollout failed: pod sensor-gateway-x: container app ImagePullBackOff',
        '',
      ].join('\n'),
    );
    const release = updateLockText(r.text, [{ action: 'remove-hold', policy: 'sensor-gateway' }], { source: SOURCE });
    expect(lockNotesMessage(release)).toBe('images: release sensor-gateway\n\n- release sensor-gateway (was held at 1.4.2: 1.5.0 leaks memory)\n');
    const settings = { automationName: 'fleet-images', namespace: 'flux-system', messageTemplate: 'unused {{ range .Changed.Changes }}x{{ end }}', skipCi: true };
    expect(renderCommitMessage(settings, { holds: release.holds })).toBe('images: release sensor-gateway\n\n- release sensor-gateway (was held at 1.4.2: 1.5.0 leaks memory)\n\n[skip ci]\n');
    expect(renderCommitMessage(settings, { holds: [], badTags: [] })).toBeUndefined();
  });
});

describe('updateLockText: bad holds and bad tags change nothing and name file and field', () => {
  test.each([
    ['a multi-line reason', [{ action: 'set-hold', policy: 'gw', hold: { ...HOLD, reason: 'two\nlines' } }], 'holds.gw.reason', 'single line'],
    ['an empty reason', [{ action: 'set-hold', policy: 'gw', hold: { ...HOLD, reason: '  ' } }], 'holds.gw.reason', 'non-empty'],
    ['a bad held tag', [{ action: 'set-hold', policy: 'gw', site: 'factory-a', hold: { ...HOLD, tag: 'no spaces allowed' } }], 'siteHolds.factory-a.gw.tag', 'not a valid image tag'],
    ['a local time', [{ action: 'add-bad-tag', policy: 'gw', badTag: { ...BAD, since: '2026-11-26T10:05:00+01:00' } }], 'badTags.gw.0.since', 'UTC'],
    ['a bad policy key', [{ action: 'add-bad-tag', policy: 'Gateway_1', badTag: BAD }], 'badTags.Gateway_1', 'is not a valid key'],
    ['a site on a bad tag', [{ action: 'add-bad-tag', policy: 'gw', site: 'factory-a', badTag: BAD }], 'updates[0].site', 'fleet-wide'],
    ['a missing hold', [{ action: 'set-hold', policy: 'gw' }], 'updates[0].hold', 'must be a hold'],
    ['an unknown hold field', [{ action: 'set-hold', policy: 'gw', hold: { ...HOLD, until: 'later' } }], 'holds.gw.until', 'not a known field'],
    ['an unknown action', [{ action: 'freeze', policy: 'gw' }], 'updates[0].action', '"set-hold"'],
  ])('%s', (_what, updates, field, reason) => {
    const err = thrown(() => updateLockText(EXAMPLE, updates as unknown as LockUpdate[], { source: SOURCE }));
    expect(err).toBeInstanceOf(ImageLockError);
    expect((err as ImageLockError).field).toBe(field);
    expect((err as ImageLockError).message).toContain(`${SOURCE}: ${field}: `);
    expect((err as ImageLockError).message).toContain(reason);
  });
});

describe('updateLockText: hold and bad-tag properties', () => {
  const heldKeys = (lock: ImageLock) => [
    ...Object.keys(lock.holds ?? {}).map((policy) => ({ policy, site: undefined as string | undefined })),
    ...Object.entries(lock.siteHolds ?? {}).flatMap(([site, hs]) => Object.keys(hs).map((policy) => ({ policy, site }))),
  ];

  test('holding an unheld policy, then releasing it, gives the original bytes back (any style)', () => {
    fc.assert(
      fc.property(lockArb, styleArb, fc.constantFrom(...POLICIES), fc.option(fc.constantFrom(...SITES), { nil: undefined }), holdArb, (lock, style, policy, site, hold) => {
        const current = site === undefined ? lock.holds?.[policy] : lock.siteHolds?.[site]?.[policy];
        fc.pre(current === undefined);
        const text = renderLock(lock, style);
        const held = updateLockText(text, [{ action: 'set-hold', policy, ...(site ? { site } : {}), hold }], { source: SOURCE });
        // Block files: the hold is inserted, nothing else moves.
        if (!style.entryFlow) insertedSpan(text, held.text);
        expect(parseImageLock(held.text, SOURCE)).toEqual(intendedLock(lock, [{ action: 'set-hold', policy, ...(site ? { site } : {}), hold }]));
        const released = updateLockText(held.text, [{ action: 'remove-hold', policy, ...(site ? { site } : {}) }], { source: SOURCE });
        expect(released.text).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  test('marking a tag bad, then unmarking it, gives the original bytes back; in block files each is one contiguous span', () => {
    fc.assert(
      fc.property(lockArb, styleArb, fc.constantFrom(...POLICIES), badTagArb, (lock, style, policy, bad) => {
        fc.pre(!(lock.badTags?.[policy] ?? []).some((b) => b.tag === bad.tag));
        const text = renderLock(lock, style);
        const marked = updateLockText(text, [{ action: 'add-bad-tag', policy, badTag: bad }], { source: SOURCE });
        expect(parseImageLock(marked.text, SOURCE)).toEqual(intendedLock(lock, [{ action: 'add-bad-tag', policy, badTag: bad }]));
        if (!style.entryFlow) insertedSpan(text, marked.text);
        const unmarked = updateLockText(marked.text, [{ action: 'remove-bad-tag', policy, tag: bad.tag }], { source: SOURCE });
        if (!style.entryFlow) removedSpan(marked.text, unmarked.text);
        expect(unmarked.text).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  test('releasing a hold or unmarking a tag removes exactly its lines (block files)', () => {
    fc.assert(
      fc.property(lockArb, styleArb.filter((s) => !s.entryFlow), fc.nat(), (lock, style, pick) => {
        const text = renderLock(lock, style);
        const holds = heldKeys(lock);
        const bads = Object.entries(lock.badTags ?? {}).flatMap(([policy, list]) => list.map((b) => ({ policy, tag: b.tag })));
        fc.pre(holds.length + bads.length > 0);
        const i = pick % (holds.length + bads.length);
        const update: LockUpdate = i < holds.length ? { action: 'remove-hold', policy: holds[i].policy, ...(holds[i].site ? { site: holds[i].site } : {}) } : { action: 'remove-bad-tag', ...bads[i - holds.length] };
        const r = updateLockText(text, [update], { source: SOURCE });
        removedSpan(text, r.text);
        expect(parseImageLock(r.text, SOURCE)).toEqual(intendedLock(lock, [update]));
      }),
      { numRuns: 200 },
    );
  });

  test('changing one field of a hold changes only the bytes of that scalar', () => {
    const editArb = fc.record({ field: fc.constantFrom('tag' as const, 'reason' as const, 'since' as const), tag: noteTagArb, reason: reasonArb, time: timeArb, pick: fc.nat() });
    fc.assert(
      fc.property(lockArb, styleArb, editArb, (lock, style, edit) => {
        const targets = heldKeys(lock);
        fc.pre(targets.length > 0);
        const { policy, site } = targets[edit.pick % targets.length];
        const current = site === undefined ? lock.holds![policy] : lock.siteHolds![site][policy];
        const value = edit.field === 'tag' ? edit.tag : edit.field === 'reason' ? edit.reason : edit.time;
        fc.pre(value !== current[edit.field]);
        const text = renderLock(lock, style);
        const update: LockUpdate = { action: 'set-hold', policy, ...(site ? { site } : {}), hold: { ...current, [edit.field]: value } };
        const r = updateLockText(text, [update], { source: SOURCE, refreshTimestamps: true });
        const doc = [...new Composer({ keepSourceTokens: true }).compose(new Parser().parse(text))][0];
        const node = doc.getIn(site === undefined ? ['holds', policy, edit.field] : ['siteHolds', site, policy, edit.field], true) as Scalar;
        expect(isScalar(node)).toBe(true);
        const [start, end] = node.range as [number, number, number];
        const { prefix, suffix } = commonEnds(text, r.text);
        expect(prefix).toBeGreaterThanOrEqual(start);
        expect(text.length - suffix).toBeLessThanOrEqual(end);
        expect(parseImageLock(r.text, SOURCE)).toEqual(intendedLock(lock, [update], true));
      }),
      { numRuns: 200 },
    );
  });
});
