import { FluxOpsError } from '../errors';
import { ConstructValidationError } from './construct-validation-error';

/** One problem found when validating a whole fleet. */
export interface FleetProblem {
  /** Construct path. */
  readonly path: string;
  /** Message, naming the path. */
  readonly message: string;
  /** The typed error, for FluxOps's own checks; absent for foreign `node.addValidation` checks. */
  readonly error?: ConstructValidationError;
}

/**
 * Raised by synthesis when checks that depend on the whole fleet (or on later mutation, see
 * `node.addValidation`) fail. Carries every problem found, not just the first.
 */
export class FleetValidationError extends FluxOpsError {
  override readonly name = 'FleetValidationError';
  /** Every problem, in construct-tree order. */
  readonly problems: readonly FleetProblem[];

  constructor(problems: readonly FleetProblem[]) {
    super('invalid-fleet', `fleet validation failed with ${problems.length} problem(s):\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.problems = problems;
  }

  /** The typed errors among {@link problems}. */
  get errors(): ConstructValidationError[] {
    return this.problems.flatMap((p) => (p.error ? [p.error] : []));
  }
}
