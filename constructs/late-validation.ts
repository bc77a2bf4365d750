import { IConstruct } from 'constructs';
import { ConstructValidationError } from './construct-validation-error';
import { FleetProblem } from './fleet-validation-error';

/** Produces the problems a construct has right now (checks that depend on later mutation). */
export type LateCheck = () => ConstructValidationError[];

/**
 * Where a construct keeps its typed checks. A global symbol on the construct (not a module-level
 * map) so that a second copy of this module, loaded by a config repository, sees them too.
 */
const LATE_CHECKS = Symbol.for('fluxops.lateChecks');

type WithLateChecks = IConstruct & { [LATE_CHECKS]?: LateCheck[] };

/**
 * Registers a check that runs at synthesis, through `node.addValidation` (so any constructs
 * tooling sees it) and also keeps the typed errors for {@link collectFleetProblems}.
 */
export function addLateValidation(construct: IConstruct, lateCheck: LateCheck): void {
  const target = construct as WithLateChecks;
  if (!target[LATE_CHECKS]) Object.defineProperty(target, LATE_CHECKS, { value: [], enumerable: false });
  (target[LATE_CHECKS] as LateCheck[]).push(lateCheck);
  construct.node.addValidation({ validate: () => lateCheck().map((e) => e.message) });
}

/** Runs every validation in the tree under `root`, typed ones and foreign `node.addValidation` ones. */
export function collectFleetProblems(root: IConstruct): FleetProblem[] {
  const problems: FleetProblem[] = [];
  for (const c of root.node.findAll()) {
    const typed = ((c as WithLateChecks)[LATE_CHECKS] ?? []).flatMap((fn) => fn());
    const typedMessages = new Set(typed.map((e) => e.message));
    problems.push(...typed.map((error) => ({ path: c.node.path, message: error.message, error })));
    for (const message of c.node.validate()) {
      if (!typedMessages.has(message)) problems.push({ path: c.node.path, message: `${c.node.path}: ${message}` });
    }
  }
  return problems;
}
