import { ConstructValidationError } from '../construct-validation-error';

/**
 * Throws a {@link ConstructValidationError} when `problem` is defined. Validators in
 * `validation/` return a reason string (or undefined) so they stay reusable outside constructs.
 */
export function check(path: string, field: string, value: unknown, problem: string | undefined): void {
  if (problem !== undefined) {
    throw new ConstructValidationError({ path, field, value, reason: problem });
  }
}

/** Computes the construct path a child would get, before the child exists. */
export function childPath(scope: { node: { path: string } }, id: string): string {
  return scope.node.path ? `${scope.node.path}/${id}` : id;
}
