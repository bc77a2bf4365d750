import { isDeepStrictEqual } from 'node:util';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import { ImageLock, ImageLockEntry } from '../../../constructs/lock';

/** Set (create or change) the entry of one policy, fleet-wide or for one site. */
export interface LockSetUpdate {
  /** Discriminator. */
  readonly action: 'set';
  /** Image policy name (the key under `policies:` or under the site). */
  readonly policy: string;
  /** Site whose own entry is set; fleet-wide (`policies:`) when absent. */
  readonly site?: string;
  /** The complete new entry. */
  readonly entry: ImageLockEntry;
}

/** Remove the entry of one policy, fleet-wide or for one site (a no-op when there is none). */
export interface LockRemoveUpdate {
  /** Discriminator. */
  readonly action: 'remove';
  /** Image policy name. */
  readonly policy: string;
  /** Site whose own entry is removed; the fleet-wide entry when absent. */
  readonly site?: string;
}

/** One requested change to `fluxops.lock.yaml`; updates apply in order, the last one for a key wins. */
export type LockUpdate = LockSetUpdate | LockRemoveUpdate;

/** Fields of an entry, in the order the lock writes them. */
export const LOCK_ENTRY_FIELDS = ['image', 'tag', 'digest', 'updatedAt', 'platforms'] as const;

/** A field of an {@link ImageLockEntry}. */
export type LockEntryField = (typeof LOCK_ENTRY_FIELDS)[number];

/** What happened to one lock entry: the typed change set callers render and commit from. */
export interface LockEntryChange {
  /** `created` (no entry before), `updated` or `removed` (no entry after). */
  readonly action: 'created' | 'updated' | 'removed';
  /** Image policy name. */
  readonly policy: string;
  /** Site of a site-specific entry; absent for the fleet-wide entry. */
  readonly site?: string;
  /** The entry before; absent when created. */
  readonly from?: ImageLockEntry;
  /** The entry after; absent when removed. */
  readonly to?: ImageLockEntry;
  /** The fields that differ (all present fields for created and removed entries). */
  readonly fields: readonly LockEntryField[];
}

/** Result of {@link updateLockText}. */
export interface LockRewrite {
  /** The new file text: byte-identical to the input outside the changed tokens. */
  readonly text: string;
  /** Whether `text` differs from the input (false exactly when `changes` is empty). */
  readonly changed: boolean;
  /** One change per entry that differs, fleet-wide entries first, then by site, then by policy. */
  readonly changes: readonly LockEntryChange[];
  /** The lock `text` parses to. */
  readonly lock: ImageLock;
}

/** Field-wise difference of two entries. */
export function changedLockFields(from: ImageLockEntry | undefined, to: ImageLockEntry | undefined): LockEntryField[] {
  return LOCK_ENTRY_FIELDS.filter((f) => {
    const a = from?.[f];
    const b = to?.[f];
    return !isDeepStrictEqual(a, b);
  });
}

/** Every entry that differs between two locks, as a change set in the documented order. */
export function diffImageLocks(before: ImageLock, after: ImageLock): LockEntryChange[] {
  const changes: LockEntryChange[] = [];
  const scope = (site: string | undefined, a: Readonly<Record<string, ImageLockEntry>>, b: Readonly<Record<string, ImageLockEntry>>) => {
    const policies = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareCodePoints);
    for (const policy of policies) {
      const from = a[policy];
      const to = b[policy];
      const fields = changedLockFields(from, to);
      if (fields.length === 0) continue;
      changes.push({
        action: from === undefined ? 'created' : to === undefined ? 'removed' : 'updated',
        policy,
        ...(site !== undefined ? { site } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        fields,
      });
    }
  };
  scope(undefined, before.policies, after.policies);
  const sites = [...new Set([...Object.keys(before.sites), ...Object.keys(after.sites)])].sort(compareCodePoints);
  for (const site of sites) scope(site, before.sites[site] ?? {}, after.sites[site] ?? {});
  return changes;
}
