import { Counter, Gauge, type Registry } from 'prom-client';

import type { DropReason } from './drop';

/**
 * Delivery metrics on a registry the caller passes in (the reconciler's own, never prom-client's
 * global one). Labels are destination ids and fixed reason codes: never a URL or token.
 */
export class NotifyMetrics {
  private readonly delivered: Counter<'destination'>;
  private readonly dropped: Counter<'destination' | 'reason'>;
  private readonly retries: Counter<'destination'>;

  constructor(registry: Registry, destinations: readonly string[], depth: (destination: string) => number) {
    const registers = [registry];
    this.delivered = new Counter({
      name: 'fluxops_notifications_delivered_total',
      help: 'Notification requests the destination accepted (2xx).',
      labelNames: ['destination'],
      registers,
    });
    this.dropped = new Counter({
      name: 'fluxops_notifications_dropped_total',
      help: 'Notification requests given up on, by reason (queue-full, retries-exhausted, rejected, unrenderable, closed, shutdown).',
      labelNames: ['destination', 'reason'],
      registers,
    });
    this.retries = new Counter({
      name: 'fluxops_notifications_retries_total',
      help: 'Notification attempts that failed with a fault and were retried.',
      labelNames: ['destination'],
      registers,
    });
    new Gauge({
      name: 'fluxops_notifications_queued',
      help: 'Notification requests waiting for delivery (the one in flight included).',
      labelNames: ['destination'],
      registers,
      collect() {
        for (const d of destinations) this.set({ destination: d }, depth(d));
      },
    });
    for (const d of destinations) {
      this.delivered.inc({ destination: d }, 0);
      this.retries.inc({ destination: d }, 0);
    }
  }

  /** Counts a delivered request. */
  recordDelivered(destination: string): void {
    this.delivered.inc({ destination });
  }

  /** Counts a dropped request. */
  recordDropped(destination: string, reason: DropReason): void {
    this.dropped.inc({ destination, reason });
  }

  /** Counts a retry. */
  recordRetry(destination: string): void {
    this.retries.inc({ destination });
  }
}
