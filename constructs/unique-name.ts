import { IConstruct } from 'constructs';
import { ConstructValidationError } from './construct-validation-error';

/**
 * Rejects a name already taken by another construct of the same kind (and scope, e.g. the
 * same namespace), naming both construct paths.
 */
export function checkUniqueName<T extends IConstruct>(
  path: string,
  field: string,
  value: string,
  existing: readonly T[],
  sameName: (other: T) => boolean,
): void {
  const clash = existing.find(sameName);
  if (clash) {
    throw new ConstructValidationError({ path, field, value, reason: `is already used by ${clash.node.path}` });
  }
}
