import { severityRank } from '../../constructs';
import type { DropReason } from './drop';
import type { FluxOpsEvent } from './events';
import type { NotifyClock } from './notify-clock';
import type { OutgoingRequest } from './render';
import { notifyBackoff, sendOnce, type NotifyRetryOptions } from './send-request';

/** One request waiting for delivery. */
export interface QueueItem {
  readonly event: FluxOpsEvent;
  readonly request: OutgoingRequest;
  /** Arrival order across the notifier (older = smaller). */
  readonly seq: number;
}

/** What a {@link DestinationQueue} needs and reports to. */
export interface DestinationQueueOptions {
  /** Requests waiting behind the one in flight. */
  readonly capacity: number;
  readonly retry: NotifyRetryOptions;
  /** Per attempt. */
  readonly timeoutMs: number;
  readonly clock: NotifyClock;
  readonly fetch: typeof fetch;
  /** Aborts waits and requests in flight (shutdown). */
  readonly signal: AbortSignal;
  /** Removes the destination's secrets from failure details. */
  readonly redact: (text: string) => string;
  readonly onDelivered: (item: QueueItem, attempts: number, status: number) => void;
  readonly onDropped: (item: QueueItem, reason: DropReason, attempts: number, detail?: string) => void;
  readonly onRetry: (item: QueueItem, attempt: number, waitMs: number, detail: string) => void;
}

/**
 * The delivery queue of one destination: bounded, one request in flight at a time (so a forge
 * sees `pending` before `success` for the same commit, and a slow destination delays only
 * itself), retries with exponential backoff and jitter, `Retry-After` honoured on 429/503.
 *
 * When full, the request given up on is the oldest of the least severe ones waiting (the new one
 * included): under a flood of info events an error still gets through.
 */
export class DestinationQueue {
  private readonly waiting: QueueItem[] = [];
  private current: QueueItem | undefined;
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: DestinationQueueOptions) {}

  /** Requests waiting or in flight. */
  get depth(): number {
    return this.waiting.length + (this.current ? 1 : 0);
  }

  /** Whether a request is being delivered right now (or waiting to be retried). */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /**
   * Adds a request and returns at once: `true` when it was queued, `false` when it was dropped
   * itself (full queue of requests at least as severe, or shutdown). Either way every drop has
   * been reported through `onDropped`.
   */
  enqueue(item: QueueItem): boolean {
    if (this.opts.signal.aborted) {
      this.opts.onDropped(item, 'shutdown', 0);
      return false;
    }
    if (!this.running) {
      // Nothing in flight: this one takes the in-flight slot. Delivery starts on the next turn of
      // the event loop: the first fetch() of a process loads undici (tens of milliseconds), which
      // must not land inside the caller's notify().
      this.running = true;
      this.current = item;
      setImmediate(() => void this.run(item));
      return true;
    }
    if (this.waiting.length >= this.opts.capacity) {
      // The oldest waiting request of the lowest severity goes, unless the new one is less severe
      // than everything waiting (then the new one goes). One pass, no allocation: notify() pays it.
      let victim = -1;
      for (let i = 0; i < this.waiting.length; i++) if (victim < 0 || rank(this.waiting[i]) < rank(this.waiting[victim])) victim = i;
      if (rank(item) < rank(this.waiting[victim])) {
        this.opts.onDropped(item, 'queue-full', 0);
        return false;
      }
      const [dropped] = this.waiting.splice(victim, 1);
      this.opts.onDropped(dropped, 'queue-full', 0);
    }
    this.waiting.push(item);
    return true;
  }

  /** Resolves when nothing waits and nothing is in flight. */
  whenIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(first: QueueItem): Promise<void> {
    try {
      for (let item: QueueItem | undefined = first; item !== undefined; item = this.waiting.shift()) {
        if (this.opts.signal.aborted) {
          this.opts.onDropped(item, 'shutdown', 0);
          continue;
        }
        this.current = item;
        await this.deliver(item);
        this.current = undefined;
      }
    } finally {
      this.current = undefined;
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  private async deliver(item: QueueItem): Promise<void> {
    const { retry, clock, signal, redact } = this.opts;
    let attempt = 0;
    try {
      for (attempt = 1; ; attempt++) {
        const outcome = await sendOnce(item.request, { fetch: this.opts.fetch, timeoutMs: this.opts.timeoutMs, signal, now: clock.now() });
        if (outcome.kind === 'delivered') {
          this.opts.onDelivered(item, attempt, outcome.status);
          return;
        }
        if (outcome.kind === 'rejected') {
          this.opts.onDropped(item, 'rejected', attempt, redact(outcome.detail));
          return;
        }
        if (signal.aborted) {
          this.opts.onDropped(item, 'shutdown', attempt, redact(outcome.detail));
          return;
        }
        if (attempt >= retry.attempts) {
          this.opts.onDropped(item, 'retries-exhausted', attempt, redact(outcome.detail));
          return;
        }
        const wait = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, retry.maxRetryAfterMs) : notifyBackoff(attempt, retry, clock.random);
        this.opts.onRetry(item, attempt, wait, redact(outcome.detail));
        await clock.sleep(wait, signal);
        if (signal.aborted) {
          this.opts.onDropped(item, 'shutdown', attempt, redact(outcome.detail));
          return;
        }
      }
    } catch (err) {
      // sendOnce never throws; this guards the callbacks, so one bad report cannot stall the queue.
      this.opts.onDropped(item, 'retries-exhausted', attempt, redact(err instanceof Error ? err.message : String(err)));
    }
  }
}

function rank(item: QueueItem): number {
  return severityRank(item.event.severity);
}
