import pino from 'pino';
import type { Registry } from 'prom-client';

import type { AlertSpec } from '../../constructs';
import type { AlertSecretsConfig } from '../../stacks/alerts-config';
import { buildDestinations, type Destination } from './destination';
import { DestinationQueue, type QueueItem } from './destination-queue';
import { DROP_REASONS, type DropReason, type DroppedNotification } from './drop';
import type { FluxOpsEvent } from './events';
import { SYSTEM_NOTIFY_CLOCK, type NotifyClock } from './notify-clock';
import { NotifyMetrics } from './notify-metrics';
import { secretRedactor } from './redact';
import { DEFAULT_NOTIFY_RETRY, type NotifyRetryOptions } from './send-request';

/** Where the notifier writes its one line per dropped notification (pino's `warn` fits). */
export interface NotifyLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Options of {@link createNotifier}. */
export interface NotifierOptions {
  /** The fleet's alerts (`alertSpecs(fleet, site)`, or from the isolated synthesis). */
  readonly alerts: readonly AlertSpec[];
  /** The decrypted `fluxops:alerts` stack config (`readAlertsConfig` / `parseAlertsConfig`). */
  readonly secrets: AlertSecretsConfig;
  /** Config keys stored in plain text (`readAlertsConfig`); an alert needing one is refused. @default none */
  readonly plaintextKeys?: readonly string[];
  /** Registry the delivery metrics are registered on. @default none (stats only) */
  readonly registry?: Registry;
  /** @default pino warnings on stderr */
  readonly logger?: NotifyLogger;
  /** @default the real clock */
  readonly clock?: NotifyClock;
  /** @default global fetch */
  readonly fetch?: typeof fetch;
  /** Requests waiting per destination, behind the one in flight. @default 100 */
  readonly queueCapacity?: number;
  /** @default {@link DEFAULT_NOTIFY_RETRY} */
  readonly retry?: Partial<NotifyRetryOptions>;
  /** Time limit of one attempt, response included. @default 10000 */
  readonly timeoutMs?: number;
  /** Dropped notifications kept for {@link Notifier.drops}. @default 100 */
  readonly keepDrops?: number;
}

/** What {@link Notifier.notify} did with an event, at once (delivery happens later). */
export interface NotifyReceipt {
  readonly eventId: string;
  /** Destinations the event was queued for (one request each, or one per site for commit statuses). */
  readonly queued: readonly string[];
  /** Destinations whose alerts matched but that have nothing to send for this event (no commit for a status). */
  readonly notApplicable: readonly string[];
  /** Destinations that dropped it right away (`closed`, `queue-full`, `unrenderable`). */
  readonly dropped: readonly string[];
}

/** Delivery figures of one destination. */
export interface DestinationStats {
  readonly id: string;
  readonly kind: Destination['kind'];
  /** Alerts routed here. */
  readonly alerts: readonly string[];
  /** Requests waiting or in flight. */
  readonly queued: number;
  readonly delivered: number;
  /** Failed attempts that were retried. */
  readonly retries: number;
  /** Requests given up on, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>;
}

/** Delivery figures of a notifier. */
export interface NotifierStats {
  readonly destinations: readonly DestinationStats[];
  /** Sums over every destination. */
  readonly delivered: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly queued: number;
}

/** Options of {@link Notifier.close}. */
export interface CloseOptions {
  /** How long queued notifications may still be delivered. @default 5000 */
  readonly drainMs?: number;
}

/**
 * Delivers events to the destinations of matching alerts. {@link notify} never blocks and never
 * throws: it matches, renders and queues, then returns; each destination delivers from its own
 * bounded queue with retries. Nothing is dropped silently: every request given up on is counted
 * (by destination and reason, in {@link stats} and `fluxops_notifications_dropped_total`), kept
 * in {@link drops}, and logged in one line without secrets.
 */
export class Notifier {
  private readonly queues = new Map<string, DestinationQueue>();
  private readonly counts = new Map<string, { delivered: number; retries: number; dropped: Record<DropReason, number> }>();
  private readonly recentDrops: DroppedNotification[] = [];
  private readonly shutdown = new AbortController();
  private readonly metrics?: NotifyMetrics;
  private readonly logger: NotifyLogger;
  private readonly clock: NotifyClock;
  private readonly keepDrops: number;
  private seq = 0;
  private closed = false;

  /** @internal use {@link createNotifier} */
  constructor(
    private readonly destinations: readonly Destination[],
    opts: Omit<NotifierOptions, 'alerts' | 'secrets' | 'plaintextKeys'>,
  ) {
    this.clock = opts.clock ?? SYSTEM_NOTIFY_CLOCK;
    this.logger = opts.logger ?? pino({ name: 'fluxops-notify', base: undefined }, pino.destination(2));
    this.keepDrops = opts.keepDrops ?? 100;
    const retry = { ...DEFAULT_NOTIFY_RETRY, ...(opts.retry ?? {}) };
    const capacity = opts.queueCapacity ?? 100;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queueCapacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw new RangeError(`retry.attempts must be a positive integer, got ${retry.attempts}`);
    for (const d of destinations) {
      const redact = secretRedactor(d.secrets);
      this.counts.set(d.id, { delivered: 0, retries: 0, dropped: zeroDrops() });
      this.queues.set(
        d.id,
        new DestinationQueue({
          capacity,
          retry,
          timeoutMs: opts.timeoutMs ?? 10_000,
          clock: this.clock,
          fetch: opts.fetch ?? fetch,
          signal: this.shutdown.signal,
          redact,
          onDelivered: () => {
            this.count(d.id).delivered++;
            this.metrics?.recordDelivered(d.id);
          },
          onDropped: (item, reason, attempts, detail) => this.recordDrop(d.id, item, reason, attempts, detail),
          onRetry: () => {
            this.count(d.id).retries++;
            this.metrics?.recordRetry(d.id);
          },
        }),
      );
    }
    if (opts.registry) {
      this.metrics = new NotifyMetrics(
        opts.registry,
        destinations.map((d) => d.id),
        (id) => this.queues.get(id)?.depth ?? 0,
      );
    }
  }

  /**
   * Hands an event to every destination whose alerts match it and returns at once. Never throws
   * and never waits for a network.
   */
  notify(event: FluxOpsEvent): NotifyReceipt {
    if (typeof event !== 'object' || event === null || typeof (event as { kind?: unknown }).kind !== 'string') {
      // Typed callers cannot get here; an untyped one gets a log line instead of an exception.
      this.safeWarn({ reason: 'not-an-event' }, 'notify() was called without an event; nothing sent');
      return { eventId: '(no id)', queued: [], notApplicable: [], dropped: [] };
    }
    const queued: string[] = [];
    const notApplicable: string[] = [];
    const dropped: string[] = [];
    for (const d of this.destinations) {
      try {
        if (!d.matches(event)) continue;
        const rendered = d.render(event);
        if (rendered.kind === 'not-applicable') {
          notApplicable.push(d.id);
          continue;
        }
        const queue = this.queues.get(d.id) as DestinationQueue;
        let anyQueued = false;
        for (const request of rendered.requests) {
          const item: QueueItem = { event, request, seq: this.seq++ };
          if (this.closed) {
            this.recordDrop(d.id, item, 'closed', 0);
            continue;
          }
          if (queue.enqueue(item)) anyQueued = true;
        }
        (anyQueued ? queued : dropped).push(d.id);
      } catch (err) {
        // A renderer bug must not reach the loop that emitted the event.
        const target = `${d.kind} ${d.id}`;
        this.recordDrop(d.id, { event, request: { method: 'POST', url: '', headers: {}, body: '', target }, seq: this.seq++ }, 'unrenderable', 0, secretRedactor(d.secrets)(err instanceof Error ? err.message : String(err)));
        dropped.push(d.id);
      }
    }
    return { eventId: safeId(event), queued, notApplicable, dropped };
  }

  /** Delivery figures now. */
  stats(): NotifierStats {
    const destinations = this.destinations.map((d): DestinationStats => {
      const c = this.count(d.id);
      return { id: d.id, kind: d.kind, alerts: d.alerts.map((a) => a.name), queued: this.queues.get(d.id)?.depth ?? 0, delivered: c.delivered, retries: c.retries, dropped: { ...c.dropped } };
    });
    const dropped = zeroDrops();
    for (const d of destinations) for (const r of DROP_REASONS) dropped[r] += d.dropped[r];
    return {
      destinations,
      delivered: destinations.reduce((n, d) => n + d.delivered, 0),
      dropped,
      queued: destinations.reduce((n, d) => n + d.queued, 0),
    };
  }

  /** The most recent notifications given up on (oldest first; see `keepDrops`). */
  drops(): readonly DroppedNotification[] {
    return [...this.recentDrops];
  }

  /** Resolves when every queue is empty and nothing is in flight. */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.whenIdle()));
  }

  /**
   * Stops accepting events (later ones are dropped as `closed`), lets the queues deliver for up
   * to `drainMs`, then aborts what is left (dropped as `shutdown`). Returns the final figures.
   */
  async close(opts: CloseOptions = {}): Promise<NotifierStats> {
    if (!this.closed) {
      this.closed = true;
      const drained = new AbortController();
      const idle = this.whenIdle().then(() => drained.abort());
      await Promise.race([idle, this.clock.sleep(opts.drainMs ?? 5_000, drained.signal)]);
      drained.abort();
      this.shutdown.abort();
      await this.whenIdle();
    }
    return this.stats();
  }

  private count(id: string): { delivered: number; retries: number; dropped: Record<DropReason, number> } {
    return this.counts.get(id) as { delivered: number; retries: number; dropped: Record<DropReason, number> };
  }

  private recordDrop(destination: string, item: QueueItem, reason: DropReason, attempts: number, detail?: string): void {
    this.count(destination).dropped[reason]++;
    this.metrics?.recordDropped(destination, reason);
    const drop: DroppedNotification = {
      at: new Date(this.clock.now()).toISOString(),
      destination,
      target: item.request.target,
      eventId: safeId(item.event),
      kind: item.event.kind,
      reason,
      attempts,
      ...(detail !== undefined ? { detail } : {}),
    };
    this.recentDrops.push(drop);
    if (this.recentDrops.length > this.keepDrops) this.recentDrops.shift();
    this.safeWarn({ ...drop }, `notification dropped: ${reason}`);
  }

  private safeWarn(fields: Record<string, unknown>, message: string): void {
    try {
      this.logger.warn(fields, message);
    } catch {
      // A broken logger must not stop delivery; drops are still counted and kept.
    }
  }
}

/**
 * A {@link Notifier} for a set of alerts. Every secret the alerts need must be in `secrets`.
 *
 * @throws AlertSecretError naming the alert and the Pulumi config key of a missing or unusable secret
 */
export function createNotifier(opts: NotifierOptions): Notifier {
  return new Notifier(buildDestinations(opts.alerts, opts.secrets, opts.plaintextKeys ?? []), opts);
}

function zeroDrops(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}

function safeId(event: FluxOpsEvent): string {
  return typeof event?.id === 'string' ? event.id : '(no id)';
}
