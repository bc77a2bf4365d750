import { isDeepStrictEqual } from 'node:util';
import { ImageLock, ImageLockBadTag, ImageLockEntry, ImageLockHold, emptyImageLock, findBadTag, parseImageLock } from '../../../constructs/lock';
import { LockUpdate, SetterImage, SetterProblem, parseSetterName, setterImages, updateLockText, updateSetters } from '../lock';
import type { WriteBackCompute, WriteBackPlan } from './write-back';

/**
 * What an update is about in the lock: an entry (`set`, `remove`), a hold (`set-hold`,
 * `remove-hold`) or a bad tag's record (`add-bad-tag`, `remove-bad-tag`).
 */
export type LockDecisionSubject = ImageLockEntry | ImageLockHold | ImageLockBadTag;

/** One update decided by the image loop or a person (`fluxops images`), with what it was decided against. */
export interface LockDecision {
  /** The update to make. */
  readonly update: LockUpdate;
  /**
   * The entry, hold or bad-tag record the lock had for the update's key when the decision was
   * made (`undefined`: there was none). If the head has something different by the time
   * FluxOps writes, a person changed it: the person's change wins and this update becomes a
   * {@link LockConflict}.
   */
  readonly base: LockDecisionSubject | undefined;
}

/** An update dropped because its entry, hold or bad tag changed since the decision (a human edit wins). */
export interface LockConflict {
  /** Image policy. */
  readonly policy: string;
  /** Site of a site-specific entry or hold. */
  readonly site?: string;
  /** The tag of a bad-tag update. */
  readonly tag?: string;
  /** What the decision was made against. */
  readonly base?: LockDecisionSubject;
  /** What the head has now (the person's). */
  readonly current?: LockDecisionSubject;
  /** What the update wanted to write (`undefined` for a removal). */
  readonly wanted?: LockDecisionSubject;
  /** Which kind of thing changed: an entry, a hold or a bad tag. */
  readonly reason: 'entry-changed' | 'hold-changed' | 'bad-tag-changed';
}

/** Where setter markers are applied after the lock changes (for repositories coming from Flux). */
export interface SetterScope {
  /** Namespace in the markers (`<namespace>:<policy>`), normally the fleet's Flux namespace. */
  readonly namespace: string;
  /** Site whose entries the markers follow (fleet-wide entries otherwise). */
  readonly site?: string;
}

/** Options of {@link lockWriteBack}. */
export interface LockWriteBackOptions {
  /** The decisions (see {@link lockDecisions}). */
  readonly decisions: readonly LockDecision[];
  /** Also apply Flux setter markers for the policies whose entries change. */
  readonly setters?: SetterScope;
  /** See `UpdateLockOptions.refreshTimestamps`. @default false */
  readonly refreshTimestamps?: boolean;
}

/** What the lock has for an update's key: the entry, the hold or the bad-tag record. */
function subjectAt(lock: ImageLock, u: LockUpdate): LockDecisionSubject | undefined {
  switch (u.action) {
    case 'set':
    case 'remove':
      return u.site === undefined ? lock.policies[u.policy] : lock.sites[u.site]?.[u.policy];
    case 'set-hold':
    case 'remove-hold':
      return u.site === undefined ? lock.holds?.[u.policy] : lock.siteHolds?.[u.site]?.[u.policy];
    case 'add-bad-tag':
      return findBadTag(lock, u.policy, u.badTag.tag);
    case 'remove-bad-tag':
      return findBadTag(lock, u.policy, u.tag);
  }
}

/** What an update wants the lock to have for its key (`undefined`: nothing). */
function subjectWanted(u: LockUpdate): LockDecisionSubject | undefined {
  return u.action === 'set' ? u.entry : u.action === 'set-hold' ? u.hold : u.action === 'add-bad-tag' ? u.badTag : undefined;
}

/**
 * Whether the head already has what the update wants: the same image (`updatedAt` aside), a
 * hold at the same tag for the same reason (`since` aside), a tag already marked bad (whatever
 * the record says), or nothing where a removal wants nothing.
 */
function alreadyThere(u: LockUpdate, now: LockDecisionSubject | undefined): boolean {
  const wanted = subjectWanted(u);
  if (now === undefined || wanted === undefined) return now === wanted;
  if (u.action === 'set') return isDeepStrictEqual({ ...now, updatedAt: '' }, { ...wanted, updatedAt: '' });
  if (u.action === 'set-hold') return now.tag === wanted.tag && (now as ImageLockHold).reason === (wanted as ImageLockHold).reason;
  return true;
}

function conflictReason(u: LockUpdate): LockConflict['reason'] {
  return u.action === 'set' || u.action === 'remove' ? 'entry-changed' : u.action === 'set-hold' || u.action === 'remove-hold' ? 'hold-changed' : 'bad-tag-changed';
}

/** Decisions for `updates` made against `base` (the lock the caller read; `undefined`: none). */
export function lockDecisions(base: ImageLock | undefined, updates: readonly LockUpdate[]): LockDecision[] {
  const lock = base ?? emptyImageLock();
  return updates.map((update) => ({ update, base: subjectAt(lock, update) }));
}

/**
 * The compute function for `writeBack` that applies lock decisions to whatever head it is given:
 *
 * - an update the head already has (the image, the hold, the bad mark; or nothing, for a
 *   removal) is skipped (nothing to do, no commit);
 * - an update whose entry, hold or bad tag at the head still equals its base is applied with
 *   `updateLockText` (only the changed tokens are rewritten);
 * - an update whose entry, hold or bad tag changed since the decision is dropped and reported as
 *   a conflict: the human's edit wins; the other updates go ahead.
 *
 * With `setters`, the markers of the policies whose entries changed are applied with
 * `updateSetters` (markers of other policies are left alone).
 */
export function lockWriteBack(opts: LockWriteBackOptions): WriteBackCompute {
  return (head): WriteBackPlan => {
    const blank = head.lockText === undefined || head.lockText.replace(/^\uFEFF/, '').trim() === '';
    const current = blank ? emptyImageLock() : parseImageLock(head.lockText as string, head.lockFile);
    const kept: LockUpdate[] = [];
    const conflicts: LockConflict[] = [];
    for (const d of opts.decisions) {
      const now = subjectAt(current, d.update);
      if (alreadyThere(d.update, now)) continue;
      if (isDeepStrictEqual(now, d.base)) {
        kept.push(d.update);
        continue;
      }
      const site = 'site' in d.update ? d.update.site : undefined;
      const tag = d.update.action === 'add-bad-tag' ? d.update.badTag.tag : d.update.action === 'remove-bad-tag' ? d.update.tag : undefined;
      const wanted = subjectWanted(d.update);
      conflicts.push({
        policy: d.update.policy,
        ...(site !== undefined ? { site } : {}),
        ...(tag !== undefined ? { tag } : {}),
        ...(d.base !== undefined ? { base: d.base } : {}),
        ...(now !== undefined ? { current: now } : {}),
        ...(wanted !== undefined ? { wanted } : {}),
        reason: conflictReason(d.update),
      });
    }
    const lock = updateLockText(head.lockText, kept, { source: head.lockFile, refreshTimestamps: opts.refreshTimestamps });
    let setterFiles: Readonly<Record<string, string>> = {};
    let setterChanges: WriteBackPlan['changes']['setters'] = [];
    let problems: SetterProblem[] = [];
    if (opts.setters && lock.changes.length > 0 && Object.keys(head.files).length > 0) {
      const all = setterImages(lock.lock, opts.setters);
      const changedKeys = new Set(
        lock.changes.filter((c) => c.site === undefined || c.site === opts.setters?.site).map((c) => `${opts.setters?.namespace}:${c.policy}`),
      );
      const images: Record<string, SetterImage> = {};
      for (const [key, image] of Object.entries(all)) if (changedKeys.has(key)) images[key] = image;
      if (Object.keys(images).length > 0) {
        const result = updateSetters(head.files, images);
        setterFiles = result.files;
        setterChanges = result.changes;
        // Markers of policies this run does not touch are not problems of this run.
        problems = result.problems.filter((p) => {
          const key = p.setter !== undefined ? parseSetterName(p.setter)?.policy : undefined;
          return !(p.code === 'unknown-policy' && key !== undefined && key in all);
        });
      }
    }
    return {
      files: { ...(lock.changed ? { [head.lockFile]: lock.text } : {}), ...setterFiles },
      changes: { lockFile: head.lockFile, lock: lock.changes, setters: setterChanges, holds: lock.holds, badTags: lock.badTags },
      conflicts,
      problems,
    };
  };
}
