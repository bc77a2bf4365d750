import { check, dnsSubdomainProblem } from './validation';

/** Refers to a Kubernetes Secret by name, in the namespace of the object that uses it. */
export interface SecretReference {
  /** Name of the Secret. */
  readonly name: string;
}

/** Validates a {@link SecretReference}; throws a ConstructValidationError naming `field`. */
export function checkSecretReference(path: string, field: string, ref: SecretReference | undefined): void {
  if (ref === undefined) return;
  check(path, `${field}.name`, ref.name, dnsSubdomainProblem(ref.name));
}
