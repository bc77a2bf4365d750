import { isDeepStrictEqual } from 'node:util';
import { ImageLock, ImageLockEntry, emptyImageLock, parseImageLock } from '../../../constructs/lock';
import { LockUpdate, SetterImage, SetterProblem, parseSetterName, setterImages, updateLockText, updateSetters } from '../lock';
import type { WriteBackCompute, WriteBackPlan } from './write-back';

/** One update decided by the image loop, with the entry it was decided against. */
export interface LockDecision {
  /** The update to make. */
  readonly update: LockUpdate;
  /**
   * The entry as the lock recorded it when the decision was made (`undefined`: there was none).
   * If the head has a different entry by the time FluxOps writes, a person changed it: the
   * person's change wins and this update becomes a {@link LockConflict}.
   */
  readonly base: ImageLockEntry | undefined;
}

/** An update dropped because the entry changed since the decision (a human edit wins). */
export interface LockConflict {
  /** Image policy. */
  readonly policy: string;
  /** Site of a site-specific entry. */
  readonly site?: string;
  /** The entry the decision was made against. */
  readonly base?: ImageLockEntry;
  /** The entry at the head now (the person's). */
  readonly current?: ImageLockEntry;
  /** What the automation wanted to write (`undefined` for a removal). */
  readonly wanted?: ImageLockEntry;
  /** Always `entry-changed` for now. */
  readonly reason: 'entry-changed';
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

function entryAt(lock: ImageLock, policy: string, site?: string): ImageLockEntry | undefined {
  return site === undefined ? lock.policies[policy] : lock.sites[site]?.[policy];
}

function sameImage(a: ImageLockEntry | undefined, b: ImageLockEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return isDeepStrictEqual({ ...a, updatedAt: '' }, { ...b, updatedAt: '' });
}

/** Decisions for `updates` made against `base` (the lock the image loop read; `undefined`: none). */
export function lockDecisions(base: ImageLock | undefined, updates: readonly LockUpdate[]): LockDecision[] {
  const lock = base ?? emptyImageLock();
  return updates.map((update) => ({ update, base: entryAt(lock, update.policy, update.site) }));
}

/**
 * The compute function for `writeBack` that applies lock decisions to whatever head it is given:
 *
 * - an update whose image is already at the head is skipped (nothing to do, no commit);
 * - an update whose entry at the head still equals its base is applied with `updateLockText`
 *   (only the changed tokens are rewritten);
 * - an update whose entry changed since the decision is dropped and reported as a conflict: the
 *   human's edit wins; the other updates go ahead.
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
      const { policy, site } = d.update;
      const now = entryAt(current, policy, site);
      const wanted = d.update.action === 'set' ? d.update.entry : undefined;
      if (sameImage(now, wanted)) continue;
      if (isDeepStrictEqual(now, d.base)) {
        kept.push(d.update);
        continue;
      }
      conflicts.push({
        policy,
        ...(site !== undefined ? { site } : {}),
        ...(d.base !== undefined ? { base: d.base } : {}),
        ...(now !== undefined ? { current: now } : {}),
        ...(wanted !== undefined ? { wanted } : {}),
        reason: 'entry-changed',
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
      changes: { lockFile: head.lockFile, lock: lock.changes, setters: setterChanges },
      conflicts,
      problems,
    };
  };
}
