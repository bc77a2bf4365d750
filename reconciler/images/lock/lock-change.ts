import { isDeepStrictEqual } from 'node:util';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import { ImageLock, ImageLockBadTag, ImageLockEntry, ImageLockHold } from '../../../constructs/lock';

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

/** Hold a policy at a tag (create or change the hold), fleet-wide (`holds`) or for one site (`siteHolds`). */
export interface LockSetHoldUpdate {
  /** Discriminator. */
  readonly action: 'set-hold';
  /** Image policy name. */
  readonly policy: string;
  /** Site held; fleet-wide when absent. */
  readonly site?: string;
  /** The complete hold. Re-holding at the same tag for the same reason keeps the recorded `since`. */
  readonly hold: ImageLockHold;
}

/** Release a hold (a no-op when there is none). */
export interface LockRemoveHoldUpdate {
  /** Discriminator. */
  readonly action: 'remove-hold';
  /** Image policy name. */
  readonly policy: string;
  /** Site whose own hold is released; the fleet-wide hold when absent. */
  readonly site?: string;
}

/** Mark a tag bad for a policy (a no-op when it already is: the first record is kept). */
export interface LockAddBadTagUpdate {
  /** Discriminator. */
  readonly action: 'add-bad-tag';
  /** Image policy name. */
  readonly policy: string;
  /** The record. */
  readonly badTag: ImageLockBadTag;
}

/** Remove a tag's bad mark (a no-op when it has none). */
export interface LockRemoveBadTagUpdate {
  /** Discriminator. */
  readonly action: 'remove-bad-tag';
  /** Image policy name. */
  readonly policy: string;
  /** The tag. */
  readonly tag: string;
}

/** One requested change to `fluxops.lock.yaml`; updates apply in order, the last one for a key wins. */
export type LockUpdate = LockSetUpdate | LockRemoveUpdate | LockSetHoldUpdate | LockRemoveHoldUpdate | LockAddBadTagUpdate | LockRemoveBadTagUpdate;

/** Updates of lock entries (`policies`, `sites`). */
export type LockEntryUpdate = LockSetUpdate | LockRemoveUpdate;

/** Whether an update concerns a lock entry (rather than a hold or a bad tag). */
export function isEntryUpdate(u: LockUpdate): u is LockEntryUpdate {
  return u.action === 'set' || u.action === 'remove';
}

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

/** Fields of a hold, in the order the lock writes them. */
export const LOCK_HOLD_FIELDS = ['tag', 'reason', 'since'] as const;

/** What happened to one hold. */
export interface LockHoldChange {
  /** `created` (no hold before), `updated` or `removed` (released). */
  readonly action: 'created' | 'updated' | 'removed';
  /** Image policy name. */
  readonly policy: string;
  /** Site of a site hold (`siteHolds`); absent for a fleet-wide hold. */
  readonly site?: string;
  /** The hold before; absent when created. */
  readonly from?: ImageLockHold;
  /** The hold after; absent when removed. */
  readonly to?: ImageLockHold;
  /** The fields that differ (all of them for created and removed holds). */
  readonly fields: readonly (typeof LOCK_HOLD_FIELDS)[number][];
}

/** What happened to one bad tag. */
export interface LockBadTagChange {
  /** `added` (marked bad) or `removed` (mark lifted). */
  readonly action: 'added' | 'removed';
  /** Image policy name. */
  readonly policy: string;
  /** The tag. */
  readonly tag: string;
  /** The record added or removed. */
  readonly badTag: ImageLockBadTag;
}

/** Result of {@link updateLockText}. */
export interface LockRewrite {
  /** The new file text: byte-identical to the input outside the changed tokens. */
  readonly text: string;
  /** Whether `text` differs from the input (false exactly when `changes`, `holds` and `badTags` are all empty). */
  readonly changed: boolean;
  /** One change per entry that differs, fleet-wide entries first, then by site, then by policy. */
  readonly changes: readonly LockEntryChange[];
  /** One change per hold that differs, fleet-wide holds first, then by site, then by policy. */
  readonly holds: readonly LockHoldChange[];
  /** One change per bad tag added or removed, by policy, then in list order (removals first). */
  readonly badTags: readonly LockBadTagChange[];
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

/** Every hold that differs between two locks, in the documented order. */
export function diffLockHolds(before: ImageLock, after: ImageLock): LockHoldChange[] {
  const changes: LockHoldChange[] = [];
  const scope = (site: string | undefined, a: Readonly<Record<string, ImageLockHold>>, b: Readonly<Record<string, ImageLockHold>>) => {
    for (const policy of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareCodePoints)) {
      const from = a[policy];
      const to = b[policy];
      const fields = LOCK_HOLD_FIELDS.filter((f) => from?.[f] !== to?.[f]);
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
  scope(undefined, before.holds ?? {}, after.holds ?? {});
  const sites = [...new Set([...Object.keys(before.siteHolds ?? {}), ...Object.keys(after.siteHolds ?? {})])].sort(compareCodePoints);
  for (const site of sites) scope(site, before.siteHolds?.[site] ?? {}, after.siteHolds?.[site] ?? {});
  return changes;
}

/** Every bad tag added or removed between two locks (by tag; a record never changes in place). */
export function diffLockBadTags(before: ImageLock, after: ImageLock): LockBadTagChange[] {
  const changes: LockBadTagChange[] = [];
  const policies = [...new Set([...Object.keys(before.badTags ?? {}), ...Object.keys(after.badTags ?? {})])].sort(compareCodePoints);
  for (const policy of policies) {
    const a = before.badTags?.[policy] ?? [];
    const b = after.badTags?.[policy] ?? [];
    for (const bad of a) if (!b.some((x) => x.tag === bad.tag)) changes.push({ action: 'removed', policy, tag: bad.tag, badTag: bad });
    for (const bad of b) if (!a.some((x) => x.tag === bad.tag)) changes.push({ action: 'added', policy, tag: bad.tag, badTag: bad });
  }
  return changes;
}
