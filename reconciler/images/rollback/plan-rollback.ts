import { findLockEntry, lockBadTags, type ImageLock, type ImageLockEntry } from '../../../constructs/lock';
import type { ImageUse } from '../../../constructs/synth/synthesize';
import { refId, type ObjectRef } from '../../cluster/kube-client';
import type { PodFailure } from '../../deploy/health';
import type { LockUpdate } from '../lock';

/** A workload that did not become healthy after an apply, with the reason the health check gave. */
export interface UnhealthyObject {
  /** `Kind/namespace/name`, as in change sets. */
  readonly id: string;
  /** The health check's reason (`not healthy: pod web-5d8-x: container app CrashLoopBackOff: ...`). */
  readonly message: string;
  /** The pod container that cannot start, when the health check saw one. */
  readonly pod?: PodFailure;
}

/** One lock change to revert: the policy goes back from the failing image to the one that ran before. */
export interface RollbackPlan {
  /** Image policy (lock key). */
  readonly policy: string;
  /** Site of a site-specific lock entry; absent for the fleet-wide entry. */
  readonly site?: string;
  /** The entry the failing commit set (its tag gets marked bad). */
  readonly failing: ImageLockEntry;
  /** The entry the site ran before (restored). */
  readonly previous: ImageLockEntry;
  /** The workloads of this policy that failed, with their reasons. */
  readonly objects: readonly UnhealthyObject[];
}

/** Why a policy of a failed rollout is not rolled back. */
export interface RollbackSkip {
  readonly policy: string;
  /**
   * `disabled`: the policy has `rollback: false`; `unchanged`: the failing commit did not change
   * this policy's image (the failure has another cause); `no-previous-entry`: the lock had no
   * entry before (nothing to return to; the tag is still marked bad); `not-from-lock`: the image
   * comes from a hold or the initial tag, which a person chose; `no-automation`: no
   * ImageUpdateAutomation covers the policy (a person moved the lock; FluxOps has no identity to
   * commit as); `previous-is-bad`: the image before is marked bad itself (a roll-back that failed
   * too is never rolled "forward" again).
   */
  readonly reason: 'disabled' | 'unchanged' | 'no-previous-entry' | 'not-from-lock' | 'no-automation' | 'previous-is-bad';
  readonly message: string;
}

/** Options of {@link planRollbacks}. */
export interface PlanRollbacksOptions {
  /** The site whose apply failed. */
  readonly site: string;
  /** The images the failing commit deploys on the site (synthesis' `ImageUse`s). */
  readonly images: readonly ImageUse[];
  /** Objects that failed their health check. */
  readonly unhealthy: readonly UnhealthyObject[];
  /** The lock of the commit applied before (what ran), `undefined` when it had none. */
  readonly previousLock: ImageLock | undefined;
  /** The lock of the failing commit. */
  readonly currentLock: ImageLock;
  /** Whether roll-back is enabled for a policy (`ImagePolicy.rollback`). */
  readonly enabled: (policy: string) => boolean;
}

/** The roll-backs to make, and the policies of failed workloads that are left alone (with why). */
export interface RollbackDecision {
  readonly plans: readonly RollbackPlan[];
  readonly skipped: readonly RollbackSkip[];
}

/** The workload holding an image, as a reference (its id is what health checks report). */
export function workloadRef(u: ImageUse): ObjectRef {
  return { apiVersion: u.object.apiVersion, kind: u.object.kind, ...(u.object.namespace ? { namespace: u.object.namespace } : {}), name: u.object.name };
}

/**
 * Decides which image updates to roll back after a failed rollout. Pure.
 *
 * A policy is rolled back when a workload that failed its health check runs that policy's image,
 * the image comes from the lock, and the failing commit changed the lock entry the site resolves
 * (the site's own, else the fleet-wide one) compared with the commit applied before, and that
 * earlier entry exists: it is restored, and the failing tag is marked bad so the policy skips it
 * until a newer tag appears. A failure the image did not cause (the entry did not change) is
 * never "fixed" by changing the image.
 */
export function planRollbacks(opts: PlanRollbacksOptions): RollbackDecision {
  const unhealthy = new Map(opts.unhealthy.map((u) => [u.id, u]));
  const byPolicy = new Map<string, { uses: ImageUse[]; objects: UnhealthyObject[] }>();
  for (const use of opts.images) {
    const failed = unhealthy.get(refId(workloadRef(use)));
    if (!failed) continue;
    const slot = byPolicy.get(use.policy) ?? { uses: [], objects: [] };
    slot.uses.push(use);
    if (!slot.objects.some((o) => o.id === failed.id)) slot.objects.push(failed);
    byPolicy.set(use.policy, slot);
  }
  const plans: RollbackPlan[] = [];
  const skipped: RollbackSkip[] = [];
  for (const [policy, { uses, objects }] of [...byPolicy.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!opts.enabled(policy)) {
      skipped.push({ policy, reason: 'disabled', message: `${policy}: roll-back is disabled on the policy` });
      continue;
    }
    const notLock = uses.find((u) => u.origin !== 'lock');
    if (notLock) {
      skipped.push({ policy, reason: 'not-from-lock', message: `${policy}: the image ${notLock.reference} comes from ${notLock.origin === 'hold' ? 'a hold' : notLock.origin === 'initial-tag' ? 'the initial tag' : 'fleet code'}, which a person chose; not rolled back` });
      continue;
    }
    const current = findLockEntry(opts.currentLock, policy, opts.site);
    if (!current) {
      skipped.push({ policy, reason: 'not-from-lock', message: `${policy}: no lock entry for the site` });
      continue;
    }
    const before = opts.previousLock ? findLockEntry(opts.previousLock, policy, opts.site) : undefined;
    if (before && before.entry.tag === current.entry.tag && before.entry.digest === current.entry.digest) {
      skipped.push({ policy, reason: 'unchanged', message: `${policy}: the commit did not change its image (${current.entry.tag}); the failure has another cause` });
      continue;
    }
    if (!before) {
      skipped.push({ policy, reason: 'no-previous-entry', message: `${policy}: the lock had no entry before ${current.entry.tag}; nothing to return to` });
      continue;
    }
    if (lockBadTags(opts.currentLock, policy).some((b) => b.tag === before.entry.tag)) {
      skipped.push({ policy, reason: 'previous-is-bad', message: `${policy}: the image before, ${before.entry.tag}, is marked bad; not going back to it (a person must decide)` });
      continue;
    }
    plans.push({ policy, ...(current.scope === 'site' ? { site: opts.site } : {}), failing: current.entry, previous: before.entry, objects });
  }
  return { plans, skipped };
}

/** The reason recorded with the bad tag: the first failed object's health message, on one line. */
export function rollbackReason(plan: RollbackPlan): string {
  const first = plan.objects[0];
  const text = `rollout failed on ${first.id}: ${first.message}`.replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/**
 * The lock updates of the roll-backs: each entry back to the previous image (`updatedAt` now),
 * and the failing tag marked bad with the reason.
 */
export function rollbackUpdates(plans: readonly RollbackPlan[], now: Date): LockUpdate[] {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return plans.flatMap((p): LockUpdate[] => [
    { action: 'set', policy: p.policy, ...(p.site !== undefined ? { site: p.site } : {}), entry: { ...p.previous, updatedAt: at } },
    { action: 'add-bad-tag', policy: p.policy, badTag: { tag: p.failing.tag, reason: rollbackReason(p), since: at } },
  ]);
}

/**
 * The commit message of a roll-back: what went back from which tag to which, and why (the pod
 * state the health check saw). Deterministic.
 */
export function rollbackMessage(site: string, failingCommit: string, plans: readonly RollbackPlan[]): string {
  const subject =
    plans.length === 1
      ? `Roll back ${plans[0].policy} ${plans[0].failing.tag} -> ${plans[0].previous.tag}: rollout failed on site ${site}`
      : `Roll back ${plans.length} images: rollout failed on site ${site}`;
  const body = plans.map((p) =>
    [
      `- ${p.policy}${p.site !== undefined ? ` (site ${p.site})` : ''}: ${p.failing.tag} (${p.failing.digest}) -> ${p.previous.tag} (${p.previous.digest}); ${p.failing.tag} marked bad`,
      ...p.objects.map((o) => `  ${o.id}: ${o.message.replace(/\s+/g, ' ').trim()}`),
    ].join('\n'),
  );
  return `${subject}\n\nThe rollout of ${failingCommit.slice(0, 12)} did not become healthy.\n\n${body.join('\n')}\n`;
}
