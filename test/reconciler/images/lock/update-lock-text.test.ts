import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { Composer, Parser, Scalar, isScalar } from 'yaml';
import {
  ImageLockEntry,
  ImageLockError,
  parseImageLock,
  serializeImageLock,
  withLockEntry,
} from '../../../../constructs';
import { LockEditError, LockUpdate, updateLockText } from '../../../../reconciler/images/lock';
import { POLICIES, SITES, digestArb, entryArb, intendedLock, lockArb, renderLock, styleArb, tagArb, timeArb, updateArb } from './lock-text-arbitrary';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/lock-rewrite/lock');
const SOURCE = 'clusters/fluxops.lock.yaml';
const d = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (tag: string, extra: Partial<ImageLockEntry> = {}): ImageLockEntry => ({
  image: 'registry.local:5000/edge/gateway',
  tag,
  digest: d('a'),
  updatedAt: '2025-12-01T09:00:00Z',
  ...extra,
});

const intended = intendedLock;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('updateLockText: golden before/after files', () => {
  const cases = fs.readdirSync(FIXTURES).sort();

  test('the fixture table is complete', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  test.each(cases)('%s', (name) => {
    const dir = path.join(FIXTURES, name);
    const beforePath = path.join(dir, 'before.yaml');
    const before = fs.existsSync(beforePath) ? fs.readFileSync(beforePath, 'utf8') : undefined;
    const after = fs.readFileSync(path.join(dir, 'after.yaml'), 'utf8');
    const updates = JSON.parse(fs.readFileSync(path.join(dir, 'updates.json'), 'utf8')) as LockUpdate[];

    const result = updateLockText(before, updates, { source: SOURCE });

    expect(result.text).toBe(after);
    expect(result.changed).toBe(result.text !== (before ?? ''));
    expect(result.changed).toBe(result.changes.length + result.holds.length + result.badTags.length > 0);
    const start = before === undefined || before.trim() === '' ? { schemaVersion: 1 as const, policies: {}, sites: {} } : parseImageLock(before, SOURCE);
    expect(parseImageLock(result.text, SOURCE)).toEqual(intended(start, updates));
    expect(result.lock).toEqual(intended(start, updates));
    // Rewriting the result with the same updates changes nothing more.
    expect(updateLockText(result.text, updates, { source: SOURCE }).text).toBe(result.text);
  });

  test('line endings, BOM and the missing final newline survive', () => {
    const before = fs.readFileSync(path.join(FIXTURES, 'crlf-bom-no-final-newline/before.yaml'), 'utf8');
    const after = fs.readFileSync(path.join(FIXTURES, 'crlf-bom-no-final-newline/after.yaml'), 'utf8');
    expect(after.startsWith('\uFEFF')).toBe(true);
    expect(after.endsWith('\n')).toBe(false);
    expect(after.replace(/\r\n/g, '').includes('\n')).toBe(false);
    expect(after.split('\r\n').length).toBeGreaterThan(before.split('\r\n').length);
  });

  test('the change set of the example bump names policy, old and new entry, and the fields', () => {
    const dir = path.join(FIXTURES, 'example-tag-bump');
    const result = updateLockText(fs.readFileSync(path.join(dir, 'before.yaml'), 'utf8'), JSON.parse(fs.readFileSync(path.join(dir, 'updates.json'), 'utf8')), { source: SOURCE });
    expect(result.changes).toEqual([
      {
        action: 'updated',
        policy: 'sensor-gateway',
        from: expect.objectContaining({ tag: '1.4.2', digest: 'sha256:6503fe951d7bda17f90f1afc49446e188da33817d672a66e54e4897d7e30dad6' }),
        to: expect.objectContaining({ tag: '1.4.3', digest: d('1') }),
        fields: ['tag', 'digest', 'updatedAt'],
      },
    ]);
  });
});

describe('updateLockText: behaviour', () => {
  const base = serializeImageLock(withLockEntry(withLockEntry({ schemaVersion: 1, policies: {}, sites: {} }, 'gw', entry('1.0.0')), 'mqtt', entry('2.0.0'), 'wb'));

  test('an update that changes nothing returns the identical input and no changes', () => {
    const same = updateLockText(base, [{ action: 'set', policy: 'gw', entry: entry('1.0.0') }, { action: 'remove', policy: 'nope', site: 'wb' }], { source: SOURCE });
    expect(same.text).toBe(base);
    expect(same.changed).toBe(false);
    expect(same.changes).toEqual([]);
  });

  test('re-selecting the same image with a newer updatedAt is a no-op unless timestamps are refreshed', () => {
    const later = { action: 'set' as const, policy: 'gw', entry: entry('1.0.0', { updatedAt: '2026-01-01T00:00:00Z' }) };
    expect(updateLockText(base, [later], { source: SOURCE }).changes).toEqual([]);
    const refreshed = updateLockText(base, [later], { source: SOURCE, refreshTimestamps: true });
    expect(refreshed.changes).toEqual([expect.objectContaining({ action: 'updated', policy: 'gw', fields: ['updatedAt'] })]);
    expect(refreshed.text).toBe(base.replace('updatedAt: "2025-12-01T09:00:00Z"', 'updatedAt: "2026-01-01T00:00:00Z"'));
  });

  test('the last update for a key wins, and the change set compares with the original entry', () => {
    const r = updateLockText(base, [{ action: 'set', policy: 'gw', entry: entry('9.9.9') }, { action: 'set', policy: 'gw', entry: entry('1.0.1') }], { source: SOURCE });
    expect(r.changes).toEqual([expect.objectContaining({ action: 'updated', from: entry('1.0.0'), to: entry('1.0.1'), fields: ['tag'] })]);
  });

  test('created and removed entries carry only `to` or only `from`', () => {
    const r = updateLockText(base, [{ action: 'set', policy: 'cam', site: 'wb', entry: entry('0.1') }, { action: 'remove', policy: 'gw' }], { source: SOURCE });
    expect(r.changes).toEqual([
      { action: 'removed', policy: 'gw', from: entry('1.0.0'), fields: ['image', 'tag', 'digest', 'updatedAt'] },
      { action: 'created', policy: 'cam', site: 'wb', to: entry('0.1'), fields: ['image', 'tag', 'digest', 'updatedAt'] },
    ]);
  });

  test('a tag that would read as a number is quoted (1.10 stays 1.10, not 1.1)', () => {
    const r = updateLockText(base, [{ action: 'set', policy: 'gw', entry: entry('1.10') }], { source: SOURCE });
    expect(r.text).toContain('tag: "1.10"');
    expect(parseImageLock(r.text, SOURCE).policies.gw.tag).toBe('1.10');
  });

  test('an empty or missing file gets a fresh lock from serializeImageLock', () => {
    const updates: LockUpdate[] = [{ action: 'set', policy: 'gw', entry: entry('1.0.0') }];
    const fresh = serializeImageLock(withLockEntry({ schemaVersion: 1, policies: {}, sites: {} }, 'gw', entry('1.0.0')));
    expect(updateLockText(undefined, updates, { source: SOURCE }).text).toBe(fresh);
    expect(updateLockText('', updates, { source: SOURCE }).text).toBe(fresh);
    expect(updateLockText('\uFEFF \n', updates, { source: SOURCE }).text).toBe(fresh);
    expect(updateLockText(undefined, [{ action: 'remove', policy: 'gw' }], { source: SOURCE })).toEqual({ text: '', changed: false, changes: [], holds: [], badTags: [], lock: { schemaVersion: 1, policies: {}, sites: {} } });
  });
});

describe('updateLockText: bad input changes nothing and names file and field', () => {
  const valid = fs.readFileSync(path.join(FIXTURES, 'example-tag-bump/before.yaml'), 'utf8');
  const bump: LockUpdate[] = [{ action: 'set', policy: 'gw', entry: entry('1.0.0') }];

  test.each([
    ['invalid YAML', 'schemaVersion: 1\npolicies: {gw: [\n', undefined, 3],
    ['duplicate keys', 'schemaVersion: 1\npolicies: {}\npolicies: {}\n', undefined, 3],
    ['a tag of the wrong type', valid.replace('tag: 1.4.2', 'tag: 1.10'), 'policies.sensor-gateway.tag', undefined],
    ['an unknown field', valid.replace('    tag: 1.4.2\n', '    tag: 1.4.2\n    pinned: true\n'), 'policies.sensor-gateway.pinned', undefined],
  ])('input with %s', (_what, text, field, line) => {
    const err = thrown(() => updateLockText(text, bump, { source: SOURCE }));
    expect(err).toBeInstanceOf(ImageLockError);
    const e = err as ImageLockError;
    expect(e.code).toBe('invalid-lock');
    expect(e.source).toBe(SOURCE);
    expect(e.message.startsWith(SOURCE)).toBe(true);
    if (field) expect(e.field).toBe(field);
    if (line) expect(e.line).toBe(line);
  });

  test.each([
    ['a bad digest', [{ action: 'set', policy: 'gw', entry: entry('1.0.0', { digest: 'sha256:nope' }) }], 'policies.gw.digest'],
    ['a bad tag', [{ action: 'set', policy: 'gw', site: 'wb', entry: entry('bad tag!') }], 'sites.wb.gw.tag'],
    ['a bad policy name', [{ action: 'set', policy: 'Gateway_1', entry: entry('1.0.0') }], 'policies.Gateway_1'],
    ['a bad site name', [{ action: 'set', policy: 'gw', site: 'Site A', entry: entry('1.0.0') }], 'sites.Site A'],
    ['an unknown entry field', [{ action: 'set', policy: 'gw', entry: { ...entry('1.0.0'), pinned: true } }], 'policies.gw.pinned'],
    ['a timestamp that is not UTC', [{ action: 'set', policy: 'gw', entry: entry('1.0.0', { updatedAt: 'yesterday' }) }], 'policies.gw.updatedAt'],
    ['an unknown action', [{ action: 'upsert', policy: 'gw', entry: entry('1.0.0') }], 'updates[0].action'],
  ])('an update with %s', (_what, updates, field) => {
    const err = thrown(() => updateLockText(valid, updates as LockUpdate[], { source: SOURCE }));
    expect(err).toBeInstanceOf(ImageLockError);
    expect((err as ImageLockError).field).toBe(field);
    expect((err as ImageLockError).message).toContain(`${SOURCE}: ${field}: `);
  });

  test('a lock with YAML aliases is rejected with the line of the alias', () => {
    const text = `schemaVersion: 1\npolicies:\n  a: &shared\n    image: r/x\n    tag: "1.0"\n    digest: ${d('a')}\n    updatedAt: "2025-11-01T00:00:00Z"\n  b: *shared\n`;
    const err = thrown(() => updateLockText(text, [{ action: 'set', policy: 'a', entry: { ...entry('2.0'), image: 'r/x' } }], { source: SOURCE }));
    expect(err).toBeInstanceOf(ImageLockError);
    expect((err as ImageLockError).line).toBe(8);
    expect((err as ImageLockError).message).toContain('aliases');
  });

  test('an anchored entry (aliases being impossible) is edited in place, anchor kept', () => {
    const text = `schemaVersion: 1\npolicies:\n  a: &shared\n    image: r/x\n    tag: &t "1.0"\n    digest: ${d('a')}\n    updatedAt: "2025-11-01T00:00:00Z"\n`;
    const r = updateLockText(text, [{ action: 'set', policy: 'a', entry: { ...entry('2.0'), image: 'r/x' } }], { source: SOURCE });
    expect(r.text).toBe(text.replace('&t "1.0"', '&t "2.0"').replace('2025-11-01T00:00:00Z', '2025-12-01T09:00:00Z'));
  });

  test('an edit that would not give the intended lock is refused with LockEditError', () => {
    // A key that is not at the start of its line cannot be removed line by line.
    const text = `schemaVersion: 1\npolicies:\n  ? a\n  : {image: r/x, tag: "1.0", digest: ${d('a')}, updatedAt: "2025-11-01T00:00:00Z"}\n  b: {image: r/x, tag: "1.0", digest: ${d('a')}, updatedAt: "2025-11-01T00:00:00Z"}\n`;
    const err = thrown(() => updateLockText(text, [{ action: 'remove', policy: 'a' }], { source: SOURCE }));
    expect(err).toBeInstanceOf(LockEditError);
    expect((err as LockEditError).code).toBe('lock-not-editable');
    expect((err as LockEditError).source).toBe(SOURCE);
  });
});

describe('updateLockText: properties', () => {
  const source = SOURCE;

  test('a no-op update gives identical bytes', () => {
    fc.assert(
      fc.property(lockArb, styleArb, fc.context(), (lock, style, ctx) => {
        const text = renderLock(lock, style);
        ctx.log(text);
        const parsed = parseImageLock(text, source);
        expect(parsed).toEqual(lock);
        const noops: LockUpdate[] = [
          ...Object.entries(lock.policies).map(([policy, e]) => ({ action: 'set' as const, policy, entry: e })),
          ...Object.entries(lock.sites).flatMap(([site, es]) => Object.entries(es).map(([policy, e]) => ({ action: 'set' as const, policy, site, entry: e }))),
          { action: 'remove', policy: 'not-there' },
          { action: 'remove', policy: 'not-there', site: 'nowhere' },
          // Holds and bad tags: re-setting what is there (a newer `since` is no change), releasing and unmarking what is not.
          ...Object.entries(lock.holds ?? {}).map(([policy, h]) => ({ action: 'set-hold' as const, policy, hold: { ...h, since: '2030-01-01T00:00:00Z' } })),
          ...Object.entries(lock.siteHolds ?? {}).flatMap(([site, hs]) => Object.entries(hs).map(([policy, h]) => ({ action: 'set-hold' as const, policy, site, hold: h }))),
          ...Object.entries(lock.badTags ?? {}).flatMap(([policy, list]) => list.map((b) => ({ action: 'add-bad-tag' as const, policy, badTag: { ...b, reason: 'another reason' } }))),
          { action: 'remove-hold', policy: 'not-there' },
          { action: 'remove-hold', policy: 'not-there', site: 'nowhere' },
          { action: 'remove-bad-tag', policy: 'not-there', tag: '1.0' },
        ];
        const r = updateLockText(text, noops, { source });
        expect(r.text).toBe(text);
        expect(r.changes).toEqual([]);
        expect(r.holds).toEqual([]);
        expect(r.badTags).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  test('changing one scalar changes only the bytes of that scalar', () => {
    const editArb = fc.record({ field: fc.constantFrom('tag' as const, 'digest' as const, 'updatedAt' as const), tag: tagArb, digest: digestArb, time: timeArb, pick: fc.nat() });
    fc.assert(
      fc.property(lockArb, styleArb, editArb, (lock, style, edit) => {
        const targets = [
          ...Object.keys(lock.policies).map((policy) => ({ policy, site: undefined as string | undefined })),
          ...Object.entries(lock.sites).flatMap(([site, es]) => Object.keys(es).map((policy) => ({ policy, site }))),
        ];
        fc.pre(targets.length > 0);
        const { policy, site } = targets[edit.pick % targets.length];
        const current = site === undefined ? lock.policies[policy] : lock.sites[site][policy];
        const value = edit.field === 'tag' ? edit.tag : edit.field === 'digest' ? edit.digest : edit.time;
        fc.pre(value !== current[edit.field]);
        const text = renderLock(lock, style);
        const r = updateLockText(text, [{ action: 'set', policy, ...(site ? { site } : {}), entry: { ...current, [edit.field]: value } }], { source, refreshTimestamps: true });

        // The span of the original scalar, found with the yaml library directly.
        const doc = [...new Composer({ keepSourceTokens: true }).compose(new Parser().parse(text))][0];
        const node = doc.getIn(site === undefined ? ['policies', policy, edit.field] : ['sites', site, policy, edit.field], true) as Scalar;
        expect(isScalar(node)).toBe(true);
        const [start, end] = node.range as [number, number, number];
        let prefix = 0;
        while (prefix < text.length && prefix < r.text.length && text[prefix] === r.text[prefix]) prefix++;
        let suffix = 0;
        while (suffix < text.length - prefix && suffix < r.text.length - prefix && text[text.length - 1 - suffix] === r.text[r.text.length - 1 - suffix]) suffix++;
        expect(prefix).toBeGreaterThanOrEqual(start);
        expect(text.length - suffix).toBeLessThanOrEqual(end);
        expect(parseImageLock(r.text, source)).toEqual(intended(lock, [{ action: 'set', policy, ...(site ? { site } : {}), entry: { ...current, [edit.field]: value } }], true));
      }),
      { numRuns: 200 },
    );
  });

  test('parse(result) equals the intended lock for any updates on any styled lock', () => {
    fc.assert(
      fc.property(lockArb, styleArb, fc.array(updateArb, { maxLength: 6 }), fc.context(), (lock, style, updates, ctx) => {
        const text = renderLock(lock, style);
        ctx.log(JSON.stringify(text));
        const r = updateLockText(text, updates, { source });
        ctx.log(JSON.stringify(r.text));
        const want = intended(lock, updates);
        expect(parseImageLock(r.text, source)).toEqual(want);
        expect(r.lock).toEqual(want);
        expect(r.changed).toBe(r.text !== text);
        // Style survives: line endings, BOM, final newline (unless the text was rewritten whole).
        if (text.includes('\r\n') && r.changed) expect(r.text.replace(/\r\n/g, '').includes('\n')).toBe(false);
        if (style.bom) expect(r.text.startsWith('\uFEFF')).toBe(true);
        // Idempotent: applying the same updates again changes nothing.
        expect(updateLockText(r.text, updates, { source }).text).toBe(r.text);
      }),
      { numRuns: 300 },
    );
  });

  test('entries land in sorted position', () => {
    fc.assert(
      fc.property(lockArb, styleArb, fc.constantFrom(...POLICIES), fc.option(fc.constantFrom(...SITES), { nil: undefined }), entryArb, (lock, style, policy, site, e) => {
        const text = renderLock(lock, style);
        const r = updateLockText(text, [{ action: 'set', policy, ...(site ? { site } : {}), entry: e }], { source });
        const doc = [...new Composer().compose(new Parser().parse(r.text))][0].toJS() as { policies?: Record<string, unknown>; sites?: Record<string, Record<string, unknown>> };
        const keys = Object.keys((site === undefined ? doc.policies : doc.sites?.[site]) ?? {});
        expect(keys).toEqual([...keys].sort());
        expect(Object.keys(doc.sites ?? {})).toEqual(Object.keys(doc.sites ?? {}).sort());
      }),
      { numRuns: 150 },
    );
  });
});
