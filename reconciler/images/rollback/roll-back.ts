import * as path from 'node:path';

import { IMAGE_LOCK_FILE, type ImageLock } from '../../../constructs/lock';
import type { ImageUse } from '../../../constructs/synth/synthesize';
import type { GitAuth, GitClientOptions } from '../../git';
import type { AutomationData, PolicyData } from '../../synth/protocol';
import { lockDecisions, lockWriteBack, writeBack, type WriteBackResult } from '../git';
import { planRollbacks, rollbackMessage, rollbackUpdates, type RollbackPlan, type RollbackSkip, type UnhealthyObject } from './plan-rollback';

/** Options of {@link rollBackFailedRollout}. */
export interface RollBackOptions extends GitClientOptions {
  /** The site whose rollout failed. */
  readonly site: string;
  /** The commit whose apply did not become healthy. */
  readonly failingCommit: string;
  /** Workloads that failed their health check after that apply. */
  readonly unhealthy: readonly UnhealthyObject[];
  /** The images the failing commit deploys on the site. */
  readonly images: readonly ImageUse[];
  /** The fleet's policies at the failing commit (their `rollback` settings). */
  readonly policies: readonly PolicyData[];
  /** The fleet's image update automations at the failing commit (who commits, to which branch). */
  readonly automations: readonly AutomationData[];
  /** Lock of the failing commit. */
  readonly currentLock: ImageLock;
  /** Lock of the commit applied before it; `undefined` when there was none. */
  readonly previousLock: ImageLock | undefined;
  /** The config repository (no credentials in the URL) and credentials to push to it. */
  readonly url: string;
  readonly auth: GitAuth;
  /** Directory of fleet.ts in the repository. @default '.' */
  readonly configPath?: string;
  /** Parent of write-back's temporary repositories. */
  readonly workDir?: string;
  /** @default now */
  readonly now?: () => Date;
}

/** What a roll-back did. Data, for status, logs and notifications. */
export interface RollBackResult {
  /** Roll-backs planned, and policies left alone with why. */
  readonly plans: readonly RollbackPlan[];
  readonly skipped: readonly RollbackSkip[];
  /** One write-back per automation that had plans. */
  readonly commits: ReadonlyArray<{ readonly automation: string; readonly plans: readonly RollbackPlan[]; readonly result: WriteBackResult }>;
}

/**
 * Health-gated roll-back: after an apply whose workloads did not become healthy, puts the lock
 * entries the failing commit changed back to what ran before, marks the failing tags bad (so the
 * policy skips them until a newer tag appears), and pushes that as one commit per image update
 * automation, with a message that names the old and new tag and the pod state. The site loop then
 * applies the commit like any other.
 *
 * Only image updates are rolled back (an entry the failing commit changed, of a policy with
 * roll-back on, covered by an automation): a failure with another cause is left to people. A
 * person who changed the same lock entry meanwhile wins (the update is dropped as a conflict); a
 * concurrent push is fetched and the change recomputed on it (see `writeBack`).
 */
export async function rollBackFailedRollout(opts: RollBackOptions): Promise<RollBackResult> {
  const policies = new Map(opts.policies.map((p) => [p.name, p]));
  const decision = planRollbacks({
    site: opts.site,
    images: opts.images,
    unhealthy: opts.unhealthy,
    previousLock: opts.previousLock,
    currentLock: opts.currentLock,
    enabled: (name) => policies.get(name)?.rollback !== false,
  });
  const skipped: RollbackSkip[] = [...decision.skipped];
  const byAutomation = new Map<AutomationData, RollbackPlan[]>();
  const plans: RollbackPlan[] = [];
  for (const plan of decision.plans) {
    const automation = opts.automations.find((a) => a.policies.includes(plan.policy));
    if (!automation) {
      skipped.push({ policy: plan.policy, reason: 'no-automation', message: `${plan.policy}: no ImageUpdateAutomation covers it (a person set ${plan.failing.tag}); not rolled back` });
      continue;
    }
    plans.push(plan);
    byAutomation.set(automation, [...(byAutomation.get(automation) ?? []), plan]);
  }
  const lockFile = path.posix.join(opts.configPath ?? '.', IMAGE_LOCK_FILE).replace(/^\.\//, '');
  const now = opts.now ?? (() => new Date());
  const commits: Array<{ automation: string; plans: RollbackPlan[]; result: WriteBackResult }> = [];
  for (const [automation, mine] of byAutomation) {
    const compute = lockWriteBack({ decisions: lockDecisions(opts.currentLock, rollbackUpdates(mine, now())) });
    const message = rollbackMessage(opts.site, opts.failingCommit, mine);
    const result = await writeBack({
      url: opts.url,
      auth: opts.auth,
      // Roll-backs go to the branch the site follows, never to a pull-request branch: the site
      // is failing now.
      settings: { ...automation.settings, pushBranch: automation.settings.branch, lockFile },
      compute: async (head) => ({ ...(await compute(head)), message }),
      ...(opts.workDir ? { workDir: opts.workDir } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    commits.push({ automation: automation.name, plans: mine, result });
  }
  return { plans, skipped, commits };
}
