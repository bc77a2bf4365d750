import { formatValue } from '../../constructs';
import { FluxOpsError } from '../../errors';

/** An event that breaks its schema (built by a loop, or read from JSON); names the input and field. */
export class InvalidEventError extends FluxOpsError {
  override readonly name = 'InvalidEventError';
  constructor(
    /** Which event: `image.updated event`, or the name of the JSON input. */
    readonly input: string,
    /** Dotted path of the bad field, e.g. `commit.sha`. */
    readonly field: string,
    /** Why, without the prefix. */
    readonly reason: string,
    /** The rejected value (events carry no secrets). */
    readonly value: unknown,
  ) {
    super('invalid-event', `${input}: invalid ${field} ${formatValue(value)}: ${reason}`);
  }
}

/** Why an alert's secrets cannot be used. */
export type AlertSecretProblem = 'missing' | 'invalid' | 'plaintext';

/**
 * An alert's secret is missing from the stack config, unusable (a URL that is not http(s), an
 * empty token) or stored in plain text. Names the alert and the Pulumi config key; never carries
 * the value. Codes: `alert-secret-missing`, `alert-secret-invalid`, `alert-secret-plaintext`.
 */
export class AlertSecretError extends FluxOpsError {
  override readonly name = 'AlertSecretError';
  constructor(
    /** Alert name. */
    readonly alert: string,
    /** Pulumi config key, e.g. `fluxops:alerts.ops-slack.url`. */
    readonly configKey: string,
    readonly problem: AlertSecretProblem,
    /** Why, without the prefix (never the value). */
    readonly reason: string,
  ) {
    super(`alert-secret-${problem}`, `alert ${alert}: ${configKey} ${reason}`);
  }
}
