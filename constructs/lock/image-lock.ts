/** File name of the lock in a config repository. */
export const IMAGE_LOCK_FILE = 'fluxops.lock.yaml';

/** Schema version this code reads and writes. */
export const IMAGE_LOCK_SCHEMA_VERSION = 1;

/** What image automation last selected for one policy. */
export interface ImageLockEntry {
  /** Repository name, including registry host (must equal the policy's repository image). */
  readonly image: string;
  /** Selected tag. */
  readonly tag: string;
  /** Digest of the tag's manifest or index when it was selected (`sha256:...`). */
  readonly digest: string;
  /** When automation selected it, ISO-8601 UTC (`2025-11-20T10:00:00Z`). */
  readonly updatedAt: string;
  /** Platforms verified present in the image index, if recorded. */
  readonly platforms?: readonly string[];
}

/**
 * A hold recorded in the lock: the policy stays on `tag` until someone releases it. Set and
 * released with `fluxops images hold|release`, so holds live in Git (audited, shared by every
 * reconciler and laptop) rather than in fleet code.
 */
export interface ImageLockHold {
  /** The tag to stay on. */
  readonly tag: string;
  /** Why (single line; shown in warnings, `images list` and commit messages). */
  readonly reason: string;
  /** When the hold was set, ISO-8601 UTC (`2026-11-26T10:00:00Z`). */
  readonly since: string;
}

/**
 * A tag that must never be selected again for a policy (a failed rollout, a known defect). Tags
 * that order above it stay candidates: a bad tag is skipped until a newer tag appears.
 */
export interface ImageLockBadTag {
  /** The tag. */
  readonly tag: string;
  /** Why (single line), e.g. `rollout failed: pod gw-x: container app ImagePullBackOff`. */
  readonly reason: string;
  /** When it was marked, ISO-8601 UTC. */
  readonly since: string;
}

/**
 * The typed, version-controlled record of the images a fleet runs. Synthesis resolves every
 * policy-backed container image from it; image automation rewrites it.
 *
 * `holds`, `siteHolds` and `badTags` are optional (a lock written before they existed is still
 * schema version 1) and absent rather than empty: the helpers below drop a section when its last
 * member goes.
 */
export interface ImageLock {
  /** Always {@link IMAGE_LOCK_SCHEMA_VERSION}. */
  readonly schemaVersion: typeof IMAGE_LOCK_SCHEMA_VERSION;
  /** Fleet-wide entries, by policy name. */
  readonly policies: Readonly<Record<string, ImageLockEntry>>;
  /** Entries that apply to one site only (e.g. the tag a site is held at), by site then policy name. */
  readonly sites: Readonly<Record<string, Readonly<Record<string, ImageLockEntry>>>>;
  /** Fleet-wide holds, by policy name. */
  readonly holds?: Readonly<Record<string, ImageLockHold>>;
  /** Holds on one site only, by site then policy name (they win over the fleet-wide hold). */
  readonly siteHolds?: Readonly<Record<string, Readonly<Record<string, ImageLockHold>>>>;
  /** Tags never to select again, by policy name (fleet-wide: a bad image is bad everywhere). */
  readonly badTags?: Readonly<Record<string, readonly ImageLockBadTag[]>>;
}

/** Where an entry was found. */
export interface LockedImage {
  /** The entry. */
  readonly entry: ImageLockEntry;
  /** `site` for a site-specific entry, `fleet` for a fleet-wide one. */
  readonly scope: 'site' | 'fleet';
}

/** A lock with no entries. */
export function emptyImageLock(): ImageLock {
  return { schemaVersion: IMAGE_LOCK_SCHEMA_VERSION, policies: {}, sites: {} };
}

/** The entry for a policy: the site's own if it has one, else the fleet-wide one. */
export function findLockEntry(lock: ImageLock, policy: string, site?: string): LockedImage | undefined {
  const own = site === undefined ? undefined : lock.sites[site]?.[policy];
  if (own) return { entry: own, scope: 'site' };
  const shared = lock.policies[policy];
  return shared ? { entry: shared, scope: 'fleet' } : undefined;
}

/** A copy of `lock` with `entry` set for `policy` (fleet-wide, or for one site). */
export function withLockEntry(lock: ImageLock, policy: string, entry: ImageLockEntry, site?: string): ImageLock {
  if (site === undefined) return { ...lock, policies: { ...lock.policies, [policy]: { ...entry } } };
  return { ...lock, sites: { ...lock.sites, [site]: { ...(lock.sites[site] ?? {}), [policy]: { ...entry } } } };
}

/** A copy of `lock` without the entry for `policy` (fleet-wide, or for one site). */
export function withoutLockEntry(lock: ImageLock, policy: string, site?: string): ImageLock {
  if (site === undefined) {
    const { [policy]: _removed, ...rest } = lock.policies;
    return { ...lock, policies: rest };
  }
  const { [policy]: _removed, ...rest } = lock.sites[site] ?? {};
  const { [site]: _site, ...otherSites } = lock.sites;
  return { ...lock, sites: Object.keys(rest).length > 0 ? { ...otherSites, [site]: rest } : otherSites };
}

/** Where a lock hold was found. */
export interface LockedHold {
  /** The hold. */
  readonly hold: ImageLockHold;
  /** `site` for a hold under `siteHolds`, `fleet` for one under `holds`. */
  readonly scope: 'site' | 'fleet';
}

/** The lock's hold for a policy: the site's own (`siteHolds`) if it has one, else the fleet-wide one (`holds`). */
export function findLockHold(lock: ImageLock, policy: string, site?: string): LockedHold | undefined {
  const own = site === undefined ? undefined : lock.siteHolds?.[site]?.[policy];
  if (own) return { hold: own, scope: 'site' };
  const shared = lock.holds?.[policy];
  return shared ? { hold: shared, scope: 'fleet' } : undefined;
}

/** The tags marked bad for a policy, in file order (empty when none). */
export function lockBadTags(lock: ImageLock, policy: string): readonly ImageLockBadTag[] {
  return lock.badTags?.[policy] ?? [];
}

/** The bad-tag record of `tag` for `policy`, if it is marked bad. */
export function findBadTag(lock: ImageLock, policy: string, tag: string): ImageLockBadTag | undefined {
  return lockBadTags(lock, policy).find((b) => b.tag === tag);
}

/** A copy of `record` without `key`; `undefined` when nothing remains (so optional sections disappear). */
function withoutKey<T>(record: Readonly<Record<string, T>> | undefined, key: string): Record<string, T> | undefined {
  if (record === undefined) return undefined;
  const { [key]: _removed, ...rest } = record;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** `lock` with an optional section set, or removed when `value` is undefined. */
function withSection<K extends 'holds' | 'siteHolds' | 'badTags'>(lock: ImageLock, key: K, value: ImageLock[K] | undefined): ImageLock {
  const { [key]: _old, ...rest } = lock;
  return (value === undefined ? rest : { ...rest, [key]: value }) as unknown as ImageLock;
}

/** A copy of `lock` with `hold` set for `policy` (fleet-wide under `holds`, or for one site under `siteHolds`). */
export function withLockHold(lock: ImageLock, policy: string, hold: ImageLockHold, site?: string): ImageLock {
  if (site === undefined) return withSection(lock, 'holds', { ...(lock.holds ?? {}), [policy]: { ...hold } });
  const sites = lock.siteHolds ?? {};
  return withSection(lock, 'siteHolds', { ...sites, [site]: { ...(sites[site] ?? {}), [policy]: { ...hold } } });
}

/** A copy of `lock` without the hold of `policy` (fleet-wide, or one site's); emptied sections are dropped. */
export function withoutLockHold(lock: ImageLock, policy: string, site?: string): ImageLock {
  if (site === undefined) return lock.holds?.[policy] === undefined ? lock : withSection(lock, 'holds', withoutKey(lock.holds, policy));
  if (lock.siteHolds?.[site]?.[policy] === undefined) return lock;
  const remaining = withoutKey(lock.siteHolds[site], policy);
  const sites = remaining === undefined ? withoutKey(lock.siteHolds, site) : { ...lock.siteHolds, [site]: remaining };
  return withSection(lock, 'siteHolds', sites);
}

/** Order of bad tags as the lock writes them: by `since`, then by tag (code points). */
export function compareBadTags(a: ImageLockBadTag, b: ImageLockBadTag): number {
  return a.since < b.since ? -1 : a.since > b.since ? 1 : a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0;
}

/**
 * A copy of `lock` with `bad` marked for `policy`. A tag already marked keeps its first record
 * (the original reason and time are the audit trail). The new record goes before the first one
 * that sorts after it (see {@link compareBadTags}), else last.
 */
export function withBadTag(lock: ImageLock, policy: string, bad: ImageLockBadTag): ImageLock {
  const list = lockBadTags(lock, policy);
  if (list.some((b) => b.tag === bad.tag)) return lock;
  const at = list.findIndex((b) => compareBadTags(b, bad) > 0);
  const next = [...list];
  next.splice(at < 0 ? next.length : at, 0, { ...bad });
  return withSection(lock, 'badTags', { ...(lock.badTags ?? {}), [policy]: next });
}

/** A copy of `lock` without the bad mark of `tag` for `policy`; emptied lists and sections are dropped. */
export function withoutBadTag(lock: ImageLock, policy: string, tag: string): ImageLock {
  const list = lockBadTags(lock, policy);
  if (!list.some((b) => b.tag === tag)) return lock;
  const rest = list.filter((b) => b.tag !== tag);
  const sections = rest.length > 0 ? { ...(lock.badTags ?? {}), [policy]: rest } : withoutKey(lock.badTags, policy);
  return withSection(lock, 'badTags', sections);
}
