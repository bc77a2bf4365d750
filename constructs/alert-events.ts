/**
 * The events FluxOps tells people about, and how serious each one is. Shared by the `Alert`
 * construct (which kinds an alert subscribes to) and `reconciler/notify` (which emits them), so
 * both sides agree on one list.
 */

/** What happened: the reconcile loop and the image loop emit exactly these kinds. */
export type AlertEventKind =
  /** A site was reconciled to a commit; says what changed. */
  | 'reconcile.succeeded'
  /** A reconcile run failed (synthesis, dry run, apply or health); says why. */
  | 'reconcile.failed'
  /** Objects changed on the cluster behind FluxOps' back were put back as Git says. */
  | 'drift.corrected'
  /** Image automation moved a policy to a new tag and recorded it in Git. */
  | 'image.updated'
  /** Image automation refused a newer tag (missing platform, downgrade, hold, ...). */
  | 'image.refused'
  /** A new tag made its pods fail and FluxOps went back to the previous one. */
  | 'image.rolledback';

/** Every {@link AlertEventKind}, in the order people read them in. */
export const ALERT_EVENT_KINDS: readonly AlertEventKind[] = [
  'reconcile.succeeded',
  'reconcile.failed',
  'drift.corrected',
  'image.updated',
  'image.refused',
  'image.rolledback',
];

/** How serious an event is; an alert's `severity` is the lowest it forwards. */
export type AlertSeverity = 'info' | 'warning' | 'error';

/** Every {@link AlertSeverity}, lowest first. */
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'error'];

/**
 * The severity of each kind. Fixed per kind (not per occurrence) so that an alert's minimum
 * severity is predictable from its declaration alone.
 */
export const EVENT_SEVERITY: Readonly<Record<AlertEventKind, AlertSeverity>> = {
  'reconcile.succeeded': 'info',
  'reconcile.failed': 'error',
  'drift.corrected': 'info',
  'image.updated': 'info',
  'image.refused': 'warning',
  'image.rolledback': 'warning',
};

/** Kinds that concern an image policy (the only ones a `policies` filter can match). */
export const IMAGE_EVENT_KINDS: readonly AlertEventKind[] = ['image.updated', 'image.refused', 'image.rolledback'];

/** Position of a severity, for "at least" comparisons (info 0, warning 1, error 2). */
export function severityRank(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(severity);
}

/** Whether `x` is one of {@link ALERT_EVENT_KINDS}. */
export function isAlertEventKind(x: unknown): x is AlertEventKind {
  return typeof x === 'string' && (ALERT_EVENT_KINDS as readonly string[]).includes(x);
}

/** Whether `x` is one of {@link ALERT_SEVERITIES}. */
export function isAlertSeverity(x: unknown): x is AlertSeverity {
  return typeof x === 'string' && (ALERT_SEVERITIES as readonly string[]).includes(x);
}
