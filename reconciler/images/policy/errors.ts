import { FluxOpsError } from '../../../errors';
import type { RegexTimeLimitError } from '../../../constructs/validation';

/**
 * A policy definition that cannot be evaluated: an invalid semver range, a pattern Go's `regexp`
 * rejects, an `extract` naming a group the pattern lacks, an unknown order. Raised by
 * {@link createTagPolicy} before any tag is looked at; nothing is selected or written. Also raised
 * while ranking when a filter or exclusion pattern runs past its time limit on a tag (its cause is
 * the {@link RegexTimeLimitError}).
 */
export class InvalidTagPolicyError extends FluxOpsError {
  override readonly name = 'InvalidTagPolicyError';
  /** Which field of the policy, e.g. `rule.range`, `filterTags.pattern`, `exclusionList[2]`. */
  readonly field: string;
  /** The rejected value. */
  readonly value: unknown;
  /** Why it was rejected. */
  readonly reason: string;
  /** Name of the policy, when known (the ImagePolicy's lock key). */
  readonly policy?: string;

  constructor(init: { field: string; value: unknown; reason: string; policy?: string; cause?: unknown }) {
    const where = init.policy ? `image policy ${JSON.stringify(init.policy)}` : 'image policy';
    super('invalid-image-policy', `${where}: invalid ${init.field} ${JSON.stringify(init.value)}: ${init.reason}`, { cause: init.cause });
    this.field = init.field;
    this.value = init.value;
    this.reason = init.reason;
    this.policy = init.policy;
  }
}
