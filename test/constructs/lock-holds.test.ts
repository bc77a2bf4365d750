import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  EdgeApp,
  ImageLock,
  ImageLockError,
  ImagePolicy,
  Manifest,
  Site,
  SynthResult,
  checkImageLock,
  effectiveHold,
  emptyImageLock,
  findLockHold,
  parseImageLock,
  serializeImageLock,
  synthesize,
  withBadTag,
  withLockEntry,
  withLockHold,
  withoutBadTag,
  withoutLockHold,
} from '../../constructs';
import { digestOf, gatewayLock, smallFleet, webApp } from './fleet-fixture';

const BAD_DIR = path.resolve(__dirname, '../fixtures/bad/lock');
const HOLD = { tag: '1.2.3', reason: '1.2.9 leaks memory', since: '2026-11-26T10:00:00Z' };
const BAD = { tag: '1.2.9', reason: 'rollout failed: crash loop', since: '2026-11-26T10:05:00Z' };
const entry = (tag: string, seed = 'a') => ({ image: 'registry.local:5000/edge/gateway', tag, digest: digestOf(seed), updatedAt: '2025-11-20T10:00:00Z', platforms: ['linux/arm64'] });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const deployment = (r: SynthResult): Json => r.objects.find((o) => o.kind === 'Deployment')?.manifest as Json;
const image = (r: SynthResult): string => deployment(r).spec.template.spec.containers[0].image;
const fluxPolicy = (r: SynthResult): Json => r.objects.find((o) => o.kind === 'ImagePolicy')?.manifest as Manifest as Json;

describe('lock schema: holds and bad tags', () => {
  const fixtures = fs.readdirSync(BAD_DIR).filter((f) => f.endsWith('.yaml')).sort();

  test('the bad fixture table is complete', () => expect(fixtures.length).toBeGreaterThanOrEqual(15));

  // Each file says on its first line which field must be named and how: `# expect: <field>: <reason>`.
  test.each(fixtures)('%s: the error names the file and the field', (name) => {
    const file = path.join(BAD_DIR, name);
    const text = fs.readFileSync(file, 'utf8');
    const m = /^# expect: (.+?): (.+)$/m.exec(text.split('\n')[0]);
    expect(m).not.toBeNull();
    const [, field, reason] = m as RegExpExecArray;
    let err: unknown;
    try {
      parseImageLock(text, file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageLockError);
    const e = err as ImageLockError;
    expect(e.code).toBe('invalid-lock');
    expect(e.source).toBe(file);
    expect(e.field).toBe(field);
    expect(e.message).toContain(`${file}: ${field}: `);
    expect(e.reason).toContain(reason);
  });

  test('both sections are optional: a lock without them is read as before, and keeps not having them', () => {
    const lock = parseImageLock('schemaVersion: 1\npolicies: {}\n', 'x');
    expect(lock).toEqual({ schemaVersion: 1, policies: {}, sites: {} });
    expect(Object.keys(lock)).toEqual(['schemaVersion', 'policies', 'sites']);
  });

  test('the serializer writes holds, site holds and bad tags sorted, after the entries; parse gives the lock back', () => {
    let lock: ImageLock = withLockEntry(emptyImageLock(), 'gateway', entry('1.2.9'));
    lock = withLockHold(lock, 'zeta', { ...HOLD, reason: 'z' });
    lock = withLockHold(lock, 'gateway', HOLD);
    lock = withLockHold(lock, 'gateway', { ...HOLD, tag: '1.2.2' }, 'factory-b');
    lock = withLockHold(lock, 'gateway', { ...HOLD, tag: '1.2.1' }, 'factory-a');
    lock = withBadTag(lock, 'gateway', { ...BAD, tag: '1.2.10', since: '2026-11-27T00:00:00Z' });
    lock = withBadTag(lock, 'gateway', BAD);
    const text = serializeImageLock(lock);
    expect(text.indexOf('policies:')).toBeLessThan(text.indexOf('\nholds:'));
    expect(text.indexOf('\nholds:')).toBeLessThan(text.indexOf('\nsiteHolds:'));
    expect(text.indexOf('\nsiteHolds:')).toBeLessThan(text.indexOf('\nbadTags:'));
    expect(text.indexOf('factory-a:')).toBeLessThan(text.indexOf('factory-b:'));
    // Bad tags by since: 1.2.9 (marked first) before 1.2.10, whatever order the model holds them in.
    expect(text.indexOf('tag: 1.2.9')).toBeLessThan(text.indexOf('tag: 1.2.10'));
    expect(text).toContain('reason: "rollout failed: crash loop"');
    expect(parseImageLock(text, 'x')).toEqual(lock);
    expect(serializeImageLock(parseImageLock(text, 'x'))).toBe(text);
  });

  test('model helpers: sections disappear with their last member, a bad tag keeps its first record', () => {
    const held = withLockHold(emptyImageLock(), 'gateway', HOLD, 'factory-a');
    expect(findLockHold(held, 'gateway', 'factory-a')).toEqual({ hold: HOLD, scope: 'site' });
    expect(findLockHold(held, 'gateway', 'factory-b')).toBeUndefined();
    expect(findLockHold(withLockHold(held, 'gateway', { ...HOLD, tag: '1.0.0' }), 'gateway', 'factory-b')).toEqual({ hold: { ...HOLD, tag: '1.0.0' }, scope: 'fleet' });
    expect(withoutLockHold(held, 'gateway', 'factory-a')).toEqual(emptyImageLock());
    const marked = withBadTag(emptyImageLock(), 'gateway', BAD);
    expect(withBadTag(marked, 'gateway', { ...BAD, reason: 'later' })).toBe(marked);
    expect(withoutBadTag(marked, 'gateway', '1.2.9')).toEqual(emptyImageLock());
  });
});

describe('synthesis: lock holds and bad tags', () => {
  test('a lock hold pins the tag, with the digest of the entry that records that tag', () => {
    const f = smallFleet();
    webApp(f);
    const lock = withLockHold(gatewayLock('1.2.3', digestOf('3')), 'gateway', HOLD);
    const r = synthesize(f.fleet, { lock });
    expect(image(r)).toBe(`registry.local:5000/edge/gateway:1.2.3@${digestOf('3')}`);
    expect(r.images[0]).toMatchObject({ origin: 'hold', tag: '1.2.3' });
    expect(r.warnings.map((w) => w.message)).toEqual(['test-fleet/gateway: policy gateway is held at 1.2.3 (lock holds, since 2026-11-26T10:00:00Z): 1.2.9 leaks memory']);
  });

  test('a lock hold on a tag the lock has no entry for deploys by tag, with digest-unknown', () => {
    const f = smallFleet();
    webApp(f);
    const r = synthesize(f.fleet, { lock: withLockHold(gatewayLock('1.2.9', digestOf('9')), 'gateway', HOLD) });
    expect(image(r)).toBe('registry.local:5000/edge/gateway:1.2.3');
    expect(r.warnings.map((w) => w.code)).toEqual(['image-held', 'digest-unknown']);
  });

  test('holds in code win over holds in the lock (the policy hold, and a site hold)', () => {
    const f = smallFleet();
    const coded = new ImagePolicy(f.fleet, 'coded', { name: 'coded', repository: f.repo, policy: { kind: 'semver', range: '^1.0.0' }, initialTag: '1.0.0', hold: { tag: '1.1.0', reason: 'code freeze' } });
    new EdgeApp(f.fleet, 'coded-app', { containers: [{ image: coded }] });
    const lock = withLockHold(emptyImageLock(), 'coded', HOLD);
    expect(image(synthesize(f.fleet, { lock }))).toBe('registry.local:5000/edge/gateway:1.1.0');

    const g = smallFleet();
    const app = webApp(g);
    const site = new Site(g.fleet, 'factory-a', { apps: [app], holds: [{ policy: g.policy, tag: '1.2.4', reason: 'site soak' }] });
    const both = withLockHold(withLockHold(emptyImageLock(), 'gateway', HOLD), 'gateway', { ...HOLD, tag: '1.2.5' }, 'factory-a');
    expect(image(synthesize(g.fleet, { lock: both, site }))).toBe('registry.local:5000/edge/gateway:1.2.4');
    expect(effectiveHold(g.policy, site, both)).toEqual({ tag: '1.2.4', reason: 'site soak', source: 'construct', scope: 'site' });
  });

  test('a site hold in the lock wins over the fleet-wide one on that site only', () => {
    const f = smallFleet();
    const app = webApp(f);
    const a = new Site(f.fleet, 'factory-a', { apps: [app] });
    const b = new Site(f.fleet, 'factory-b', { apps: [app] });
    const lock = withLockHold(withLockHold(gatewayLock('1.2.9', digestOf('9')), 'gateway', HOLD), 'gateway', { ...HOLD, tag: '1.2.5', reason: 'canary' }, 'factory-a');
    expect(image(synthesize(f.fleet, { lock, site: a }))).toBe('registry.local:5000/edge/gateway:1.2.5');
    expect(image(synthesize(f.fleet, { lock, site: b }))).toBe('registry.local:5000/edge/gateway:1.2.3');
    expect(synthesize(f.fleet, { lock, site: a }).warnings[0].message).toContain('(lock siteHolds, since');
  });

  test('a bad site entry gives way to a good fleet-wide entry; a bad entry without an alternative stays, with a warning', () => {
    const f = smallFleet();
    const app = webApp(f);
    const site = new Site(f.fleet, 'factory-a', { apps: [app] });
    let lock = withLockEntry(gatewayLock('1.2.3', digestOf('3')), 'gateway', entry('1.2.9', '9'), 'factory-a');
    lock = withBadTag(lock, 'gateway', BAD);
    const fallback = synthesize(f.fleet, { lock, site });
    expect(image(fallback)).toBe(`registry.local:5000/edge/gateway:1.2.3@${digestOf('3')}`);
    expect(fallback.warnings.map((w) => w.code)).toEqual(['image-bad-tag']);
    expect(fallback.warnings[0].message).toContain('is at 1.2.9, which is marked bad (rollout failed: crash loop); using the fleet-wide entry 1.2.3');

    const stuck = synthesize(f.fleet, { lock: withBadTag(gatewayLock('1.2.9', digestOf('9')), 'gateway', BAD), site });
    expect(image(stuck)).toBe(`registry.local:5000/edge/gateway:1.2.9@${digestOf('9')}`);
    expect(stuck.warnings.map((w) => w.code)).toEqual(['image-bad-tag']);
    expect(stuck.warnings[0].message).toContain('fluxops images hold gateway <tag>');
  });

  test('the Flux flavor: a lock hold becomes an exact-match filter; bad tags are an annotation', () => {
    const f = smallFleet();
    webApp(f);
    const lock = withBadTag(withLockHold(gatewayLock(), 'gateway', HOLD), 'gateway', BAD);
    const policy = fluxPolicy(synthesize(f.fleet, { flavor: 'flux', lock }));
    expect(policy.spec.filterTags).toEqual({ pattern: '^1\\.2\\.3$' });
    expect(policy.metadata.annotations).toMatchObject({ 'fluxops.dev/hold-tag': '1.2.3', 'fluxops.dev/hold-reason': HOLD.reason, 'fluxops.dev/bad-tags': '1.2.9' });
  });
});

describe('checkImageLock: holds and bad tags', () => {
  const codes = (problems: ReturnType<typeof checkImageLock>) => problems.map((p) => [p.code, p.severity, p.field]);

  test('an entry at a tag a lock hold names is not out of policy, even outside the range', () => {
    const f = smallFleet();
    webApp(f);
    const outside = gatewayLock('1.1.0');
    const withPlatforms = withLockEntry(outside, 'gateway', { ...outside.policies.gateway, platforms: ['linux/arm64'] });
    expect(codes(checkImageLock(f.fleet, withPlatforms, { source: 'lock' }))).toEqual([['lock-tag-out-of-policy', 'error', 'policies.gateway.tag']]);
    expect(checkImageLock(f.fleet, withLockHold(withPlatforms, 'gateway', { ...HOLD, tag: '1.1.0' }), { source: 'lock' })).toEqual([]);
  });

  test('holds and bad tags give warnings only: orphans, holds overridden by code, holds on bad tags, entries on bad tags', () => {
    const f = smallFleet();
    const app = webApp(f);
    new Site(f.fleet, 'factory-a', { apps: [app], holds: [{ policy: f.policy, tag: '1.2.4', reason: 'site soak' }] });
    new Site(f.fleet, 'empty', { apps: [] });
    let lock: ImageLock = withLockEntry(emptyImageLock(), 'gateway', entry('1.2.9'));
    lock = withLockHold(lock, 'gateway', BAD); // a hold at the bad tag 1.2.9, overridden on factory-a
    lock = withLockHold(lock, 'ghost', HOLD);
    lock = withLockHold(lock, 'gateway', HOLD, 'nowhere');
    lock = withLockHold(lock, 'gateway', HOLD, 'empty');
    lock = withBadTag(lock, 'gateway', BAD);
    lock = withBadTag(lock, 'ghost', BAD);
    const problems = checkImageLock(f.fleet, lock, { source: 'fluxops.lock.yaml' });
    expect(codes(problems)).toEqual([
      ['lock-hold-overridden', 'warning', 'holds.gateway'],
      ['lock-hold-bad-tag', 'warning', 'holds.gateway.tag'],
      ['lock-hold-orphaned', 'warning', 'holds.ghost'],
      ['lock-hold-orphaned', 'warning', 'siteHolds.empty.gateway'],
      ['lock-hold-orphaned', 'warning', 'siteHolds.nowhere.gateway'],
      ['lock-bad-tag-orphaned', 'warning', 'badTags.ghost'],
    ]);
    expect(problems[0].message).toBe('fluxops.lock.yaml: holds.gateway "1.2.9": has no effect on site factory-a: Site.holds in fleet code wins (holds in code win over holds in the lock)');
    expect(problems.find((p) => p.field === 'siteHolds.empty.gateway')?.reason).toBe('no app on site empty uses policy gateway; the hold has no effect');
  });

  test('an entry on a bad tag is a warning, unless a hold keeps it there', () => {
    const f = smallFleet();
    webApp(f);
    const lock = withBadTag(withLockEntry(emptyImageLock(), 'gateway', entry('1.2.9')), 'gateway', BAD);
    const problems = checkImageLock(f.fleet, lock, { source: 'lock' });
    expect(codes(problems)).toEqual([['lock-tag-bad', 'warning', 'policies.gateway.tag']]);
    expect(problems[0].reason).toContain('is marked bad (badTags.gateway: rollout failed: crash loop)');
  });
});
