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
 * The typed, version-controlled record of the images a fleet runs. Synthesis resolves every
 * policy-backed container image from it; image automation rewrites it.
 */
export interface ImageLock {
  /** Always {@link IMAGE_LOCK_SCHEMA_VERSION}. */
  readonly schemaVersion: typeof IMAGE_LOCK_SCHEMA_VERSION;
  /** Fleet-wide entries, by policy name. */
  readonly policies: Readonly<Record<string, ImageLockEntry>>;
  /** Entries that apply to one site only (e.g. the tag a site is held at), by site then policy name. */
  readonly sites: Readonly<Record<string, Readonly<Record<string, ImageLockEntry>>>>;
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
