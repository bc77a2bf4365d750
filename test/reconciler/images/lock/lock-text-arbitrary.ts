import fc from 'fast-check';
import { parse } from 'yaml';
import {
  ImageLock,
  ImageLockBadTag,
  ImageLockEntry,
  ImageLockHold,
  compareBadTags,
  withBadTag,
  withLockEntry,
  withLockHold,
  withoutBadTag,
  withoutLockEntry,
  withoutLockHold,
} from '../../../../constructs';
import { compareCodePoints } from '../../../../constructs/compare-code-points';
import { LockUpdate } from '../../../../reconciler/images/lock';

/**
 * Generators for property tests of the lock rewriter: valid locks, written in many styles
 * (indentation, quoting, flow entries, comments, CRLF, BOM, final newline or not), and update
 * lists. The text renderer is deliberately independent of the code under test.
 */

export const POLICIES = ['a', 'gw', 'mqtt', 'b-2', 'zeta'] as const;
export const SITES = ['factory-a', 's1', 'wb'] as const;

const hex = fc.constantFrom(...'0123456789abcdef'.split(''));
export const digestArb = fc.array(hex, { minLength: 64, maxLength: 64 }).map((h) => `sha256:${h.join('')}`);
export const tagArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}$/),
  fc.constantFrom('1.10', '2.0.20', '1.4.2', 'true', 'null', '1e3', '0x1F', '012', 'v1', 'yes', 'latest', '1_000', '1.0e5'),
);
export const imageArb = fc.constantFrom('registry.local:5000/edge/gateway', 'docker.io/library/eclipse-mosquitto', 'ghcr.io/acme/cam');
export const timeArb = fc
  .integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 0, 1) })
  .map((ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
export const platformsArb = fc.option(fc.subarray(['linux/arm64', 'linux/amd64', 'linux/arm/v7']), { nil: undefined });

export const entryArb: fc.Arbitrary<ImageLockEntry> = fc
  .record({ image: imageArb, tag: tagArb, digest: digestArb, updatedAt: timeArb, platforms: platformsArb })
  .map(({ platforms, ...e }) => (platforms === undefined ? e : { ...e, platforms }));

const entriesArb = fc.dictionary(fc.constantFrom(...POLICIES), entryArb, { maxKeys: 4 });

/** Tags of holds and bad tags come from a small pool, so removals and re-marks hit existing ones. */
export const noteTagArb = fc.constantFrom('1.5.0', '1.10', '2.0.20', 'v2', 'latest', 'true');
/** Reasons, some of which need quotes (colons, `#`, leading indicators, numbers). */
export const reasonArb = fc.constantFrom('1.5.0 leaks memory', 'rollout failed: pod gw-x: container app ImagePullBackOff', 'INC-42 # see ticket', '- dash first', '1.10', 'yes', "it's broken", 'crash loop');
export const holdArb: fc.Arbitrary<ImageLockHold> = fc.record({ tag: noteTagArb, reason: reasonArb, since: timeArb });
export const badTagArb: fc.Arbitrary<ImageLockBadTag> = fc.record({ tag: noteTagArb, reason: reasonArb, since: timeArb });
const holdsArb = fc.dictionary(fc.constantFrom(...POLICIES), holdArb, { minKeys: 1, maxKeys: 3 });
/** Bad-tag lists in canonical order (by since, then tag), one record per tag. */
const badListArb = fc
  .uniqueArray(badTagArb, { minLength: 1, maxLength: 3, selector: (b) => b.tag })
  .map((list) => [...list].sort(compareBadTags));

export const lockArb: fc.Arbitrary<ImageLock> = fc
  .record({
    policies: entriesArb,
    sites: fc.dictionary(fc.constantFrom(...SITES), entriesArb.filter((e) => Object.keys(e).length > 0), { maxKeys: 2 }),
    holds: fc.option(holdsArb, { nil: undefined }),
    siteHolds: fc.option(fc.dictionary(fc.constantFrom(...SITES), holdsArb, { minKeys: 1, maxKeys: 2 }), { nil: undefined }),
    badTags: fc.option(fc.dictionary(fc.constantFrom(...POLICIES), badListArb, { minKeys: 1, maxKeys: 2 }), { nil: undefined }),
  })
  .map(({ policies, sites, holds, siteHolds, badTags }) => ({
    schemaVersion: 1 as const,
    policies,
    sites,
    ...(holds ? { holds } : {}),
    ...(siteHolds ? { siteHolds } : {}),
    ...(badTags ? { badTags } : {}),
  }));

const siteArb = fc.option(fc.constantFrom(...SITES), { nil: undefined });
export const updateArb: fc.Arbitrary<LockUpdate> = fc.oneof(
  fc.record({ action: fc.constant('set' as const), policy: fc.constantFrom(...POLICIES), site: siteArb, entry: entryArb }),
  fc.record({ action: fc.constant('remove' as const), policy: fc.constantFrom(...POLICIES), site: siteArb }),
  fc.record({ action: fc.constant('set-hold' as const), policy: fc.constantFrom(...POLICIES), site: siteArb, hold: holdArb }),
  fc.record({ action: fc.constant('remove-hold' as const), policy: fc.constantFrom(...POLICIES), site: siteArb }),
  fc.record({ action: fc.constant('add-bad-tag' as const), policy: fc.constantFrom(...POLICIES), badTag: badTagArb }),
  fc.record({ action: fc.constant('remove-bad-tag' as const), policy: fc.constantFrom(...POLICIES), tag: noteTagArb }),
).map((u) => ('site' in u && u.site === undefined ? (({ site: _s, ...rest }) => rest)(u) : u) as LockUpdate);

/** How a lock text is written. */
export interface LockStyle {
  readonly indent: 2 | 4;
  readonly seqIndent: 'indented' | 'indentless';
  readonly quote: 'plain' | 'single' | 'double';
  readonly entryFlow: boolean;
  readonly comments: boolean;
  readonly crlf: boolean;
  readonly bom: boolean;
  readonly finalNewline: boolean;
  readonly trailingSpaces: boolean;
  readonly emptyAsFlow: boolean;
}

export const styleArb: fc.Arbitrary<LockStyle> = fc.record({
  indent: fc.constantFrom(2 as const, 4 as const),
  seqIndent: fc.constantFrom('indented' as const, 'indentless' as const),
  quote: fc.constantFrom('plain' as const, 'single' as const, 'double' as const),
  entryFlow: fc.boolean(),
  comments: fc.boolean(),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
  trailingSpaces: fc.boolean(),
  emptyAsFlow: fc.boolean(),
});

/** A scalar in the requested style, quoted whenever plain would not read back as the same string. */
function scalar(value: string, quote: LockStyle['quote']): string {
  const plainOk = /^[A-Za-z0-9_./:-]+$/.test(value) && parse(value, { version: '1.2' }) === value && parse(value, { version: '1.1' }) === value;
  if (quote === 'single') return `'${value.replace(/'/g, "''")}'`;
  if (quote === 'double' || !plainOk) return JSON.stringify(value);
  return value;
}

/** Renders a lock in a style. Keys are written in sorted order. */
export function renderLock(lock: ImageLock, style: LockStyle): string {
  const lines: string[] = [];
  const sp = (n: number) => ' '.repeat(n);
  const c = (text: string) => (style.comments ? `   # ${text}` : '');
  if (style.comments) lines.push('# generated lock, hand-styled', '');
  lines.push(`schemaVersion: 1${c('version')}`);
  const entry = (key: string, e: ImageLockEntry, col: number) => {
    const q = (v: string) => scalar(v, style.quote);
    if (style.entryFlow) {
      const parts = [`image: ${q(e.image)}`, `tag: ${q(e.tag)}`, `digest: ${q(e.digest)}`, `updatedAt: ${q(e.updatedAt)}`];
      if (e.platforms) parts.push(`platforms: [${e.platforms.map(q).join(', ')}]`);
      lines.push(`${sp(col)}${key}: {${parts.join(', ')}}${c(key)}`);
      return;
    }
    if (style.comments) lines.push(`${sp(col)}# entry ${key}`);
    lines.push(`${sp(col)}${key}:${c('entry')}`);
    const f = col + style.indent;
    lines.push(`${sp(f)}image: ${q(e.image)}${c('image')}`, `${sp(f)}tag: ${q(e.tag)}`, `${sp(f)}digest: ${q(e.digest)}`, `${sp(f)}updatedAt: ${q(e.updatedAt)}`);
    if (e.platforms) {
      if (e.platforms.length === 0) lines.push(`${sp(f)}platforms: []`);
      else {
        lines.push(`${sp(f)}platforms:`);
        const d = style.seqIndent === 'indented' ? f + style.indent : f;
        for (const p of e.platforms) lines.push(`${sp(d)}- ${q(p)}`);
      }
    }
  };
  const block = (key: string, entries: Readonly<Record<string, ImageLockEntry>>, col: number) => {
    const keys = Object.keys(entries).sort(compareCodePoints);
    if (keys.length === 0 && style.emptyAsFlow) {
      lines.push(`${sp(col)}${key}: {}${c(key)}`);
      return;
    }
    if (keys.length === 0) return;
    lines.push(`${sp(col)}${key}:${c(key)}`);
    for (const k of keys) entry(k, entries[k], col + style.indent);
  };
  block('policies', lock.policies, 0);
  const sites = Object.keys(lock.sites).sort(compareCodePoints);
  if (sites.length > 0) {
    lines.push(`sites:${c('per site')}`);
    for (const s of sites) block(s, lock.sites[s], style.indent);
  } else if (style.emptyAsFlow) {
    lines.push('sites: {}');
  }
  // Holds and bad tags: flow maps when entries are flow, block otherwise; reasons may need quotes.
  const q = (v: string) => scalar(v, style.quote);
  const flowNote = (n: ImageLockHold | ImageLockBadTag) => `{tag: ${q(n.tag)}, reason: ${JSON.stringify(n.reason)}, since: ${q(n.since)}}`;
  const reason = (v: string) => (style.quote === 'single' ? `'${v.replace(/'/g, "''")}'` : JSON.stringify(v));
  const hold = (key: string, h: ImageLockHold, col: number) => {
    if (style.entryFlow) {
      lines.push(`${sp(col)}${key}: ${flowNote(h)}${c('hold')}`);
      return;
    }
    if (style.comments) lines.push(`${sp(col)}# hold ${key}`);
    lines.push(`${sp(col)}${key}:`, `${sp(col + style.indent)}tag: ${q(h.tag)}${c('held tag')}`, `${sp(col + style.indent)}reason: ${reason(h.reason)}`, `${sp(col + style.indent)}since: ${q(h.since)}`);
  };
  const holdBlock = (key: string, holds: Readonly<Record<string, ImageLockHold>>, col: number) => {
    lines.push(`${sp(col)}${key}:${c(key)}`);
    for (const k of Object.keys(holds).sort(compareCodePoints)) hold(k, holds[k], col + style.indent);
  };
  if (lock.holds) holdBlock('holds', lock.holds, 0);
  if (lock.siteHolds) {
    lines.push(`siteHolds:${c('site holds')}`);
    for (const s of Object.keys(lock.siteHolds).sort(compareCodePoints)) holdBlock(s, lock.siteHolds[s], style.indent);
  }
  if (lock.badTags) {
    lines.push(`badTags:${c('never again')}`);
    for (const p of Object.keys(lock.badTags).sort(compareCodePoints)) {
      lines.push(`${sp(style.indent)}${p}:`);
      const d = style.seqIndent === 'indented' ? style.indent * 2 : style.indent;
      for (const b of lock.badTags[p]) {
        if (style.entryFlow) lines.push(`${sp(d)}- ${flowNote(b)}${c('bad')}`);
        else {
          if (style.comments) lines.push(`${sp(d)}# bad ${b.tag}`);
          lines.push(`${sp(d)}- tag: ${q(b.tag)}`, `${sp(d + 2)}reason: ${reason(b.reason)}`, `${sp(d + 2)}since: ${q(b.since)}${c('since')}`);
        }
      }
    }
  }
  if (style.comments) lines.push('# end');
  const eol = style.crlf ? '\r\n' : '\n';
  const body = lines.map((l) => (style.trailingSpaces && l !== '' ? `${l}  ` : l)).join(eol);
  return `${style.bom ? '\uFEFF' : ''}${body}${style.finalNewline ? eol : ''}`;
}

/** The lock the updates should produce, computed with the lock model (not the text editor). */
export function intendedLock(lock: ImageLock, updates: readonly LockUpdate[], refresh = false): ImageLock {
  let out = lock;
  for (const u of updates) {
    if (u.action === 'remove') out = withoutLockEntry(out, u.policy, u.site);
    else if (u.action === 'set') {
      const current = u.site === undefined ? out.policies[u.policy] : out.sites[u.site]?.[u.policy];
      const same = current && JSON.stringify({ ...current, updatedAt: '' }) === JSON.stringify({ ...u.entry, updatedAt: '' });
      out = withLockEntry(out, u.policy, same && !refresh ? current : u.entry, u.site);
    } else if (u.action === 'set-hold') {
      const current = u.site === undefined ? out.holds?.[u.policy] : out.siteHolds?.[u.site]?.[u.policy];
      const same = current && current.tag === u.hold.tag && current.reason === u.hold.reason;
      out = withLockHold(out, u.policy, same && !refresh ? current : u.hold, u.site);
    } else if (u.action === 'remove-hold') out = withoutLockHold(out, u.policy, u.site);
    else if (u.action === 'add-bad-tag') out = withBadTag(out, u.policy, u.badTag);
    else out = withoutBadTag(out, u.policy, u.tag);
  }
  return out;
}

