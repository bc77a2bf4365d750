import type { AlertEventKind } from '../../constructs';

/** Why a notification was given up on. Fixed codes (they are metric label values). */
export type DropReason =
  /** The destination's queue was full; the oldest of the least severe waiting events made room. */
  | 'queue-full'
  /** Every attempt failed with a fault (network error, timeout, 408, 429, 5xx). */
  | 'retries-exhausted'
  /** The destination refused it for good (another 3xx/4xx status, e.g. 401, 404, 422). */
  | 'rejected'
  /** The event could not be rendered for the destination (a bug: logged with the event id). */
  | 'unrenderable'
  /** `notify()` was called after `close()`. */
  | 'closed'
  /** Still queued or in flight when `close()`'s drain time ran out. */
  | 'shutdown';

/** Every {@link DropReason}. */
export const DROP_REASONS: readonly DropReason[] = ['queue-full', 'retries-exhausted', 'rejected', 'unrenderable', 'closed', 'shutdown'];

/** One notification given up on, as data (never holds a secret: `detail` is redacted). */
export interface DroppedNotification {
  /** When, ISO 8601. */
  readonly at: string;
  /** Destination id. */
  readonly destination: string;
  /** What the request was (`slack ops-alerts`, `github ... status abc1234 fluxops/factory-a`). */
  readonly target: string;
  readonly eventId: string;
  readonly kind: AlertEventKind;
  readonly reason: DropReason;
  /** Attempts made (0 when it never left the queue). */
  readonly attempts: number;
  /** The last failure (`HTTP 503: ...`, `connection refused (ECONNREFUSED)`, `timed out after 10000 ms`), redacted. */
  readonly detail?: string;
}
