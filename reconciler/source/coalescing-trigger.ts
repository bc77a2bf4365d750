/**
 * Serializes reconcile runs requested from several places (the poll timer, git webhooks, registry
 * notifications) and collapses bursts: at most one run executes at a time, and every request
 * that arrives while it runs is folded into ONE pending run that gets the newest value. Ten pushes
 * in a second therefore cost at most two runs, and the second one sees the last push.
 */

/** How the run that covered a {@link CoalescingTrigger.fire} call ended. Never a rejected promise. */
export type TriggerOutcome<T, R> =
  | { readonly status: 'succeeded'; /** The value the run was started with (the newest fired). */ readonly value: T; readonly result: R }
  | { readonly status: 'failed'; readonly value: T; readonly error: unknown }
  /** The trigger was stopped before the run started. */
  | { readonly status: 'cancelled'; readonly reason: 'stopped' };

/** Options for {@link CoalescingTrigger}. */
export interface CoalescingTriggerOptions<T, R> {
  /**
   * The run. `signal` is aborted only by `stop({ abort: true })`; a run may use it to finish early.
   * A rejection becomes a `failed` outcome for the callers that fired it; the trigger goes on.
   */
  readonly run: (value: T, signal: AbortSignal) => Promise<R>;
  /**
   * Told about every finished run, including those nobody awaits (webhook fires), e.g. to log
   * failures. It must not throw: an exception there is rethrown as an uncaught error.
   */
  readonly onSettled?: (outcome: TriggerOutcome<T, R>) => void;
}

/** Counters and flags of a {@link CoalescingTrigger}, for `/status`. */
export interface TriggerState {
  readonly running: boolean;
  readonly pending: boolean;
  readonly stopped: boolean;
  /** `fire` calls so far. */
  readonly fired: number;
  /** Runs started so far. */
  readonly runs: number;
  /** Fires that joined a pending run instead of getting their own (`fired - runs - cancelled`). */
  readonly coalesced: number;
}

interface PendingRun<T, R> {
  value: T;
  readonly settled: Promise<TriggerOutcome<T, R>>;
  readonly resolve: (outcome: TriggerOutcome<T, R>) => void;
}

/**
 * A single-flight, coalescing trigger (see the module comment). `fire(value)` resolves when the run
 * that covers it has finished, with its outcome.
 */
export class CoalescingTrigger<T, R = void> {
  private readonly runFn: (value: T, signal: AbortSignal) => Promise<R>;
  private readonly onSettled?: (outcome: TriggerOutcome<T, R>) => void;
  private pending: PendingRun<T, R> | undefined;
  /** True while the drain loop runs (set synchronously, so a run that throws synchronously cannot leave it stale). */
  private active = false;
  /** The drain loop's promise, for `stop()` to await (may be an already settled one). */
  private draining: Promise<void> = Promise.resolve();
  private controller: AbortController | undefined;
  private stopped = false;
  private firedCount = 0;
  private runCount = 0;
  private cancelledCount = 0;

  constructor(opts: CoalescingTriggerOptions<T, R>) {
    this.runFn = opts.run;
    this.onSettled = opts.onSettled;
  }

  /**
   * Requests a run with `value`. Starts it at once when idle; otherwise replaces the value of the
   * pending run (creating it if needed). Resolves with the outcome of the run that used the newest
   * value at its start, which may be a later value than this one.
   */
  fire(value: T): Promise<TriggerOutcome<T, R>> {
    this.firedCount++;
    if (this.stopped) {
      this.cancelledCount++;
      return Promise.resolve({ status: 'cancelled', reason: 'stopped' });
    }
    if (this.pending) {
      this.pending.value = value;
      return this.pending.settled;
    }
    let resolve!: (outcome: TriggerOutcome<T, R>) => void;
    const settled = new Promise<TriggerOutcome<T, R>>((r) => (resolve = r));
    this.pending = { value, settled, resolve };
    if (!this.active) this.draining = this.drain();
    return settled;
  }

  /**
   * Stops the trigger: later fires and the pending run are cancelled (their callers get a
   * `cancelled` outcome), and the current run is awaited. With `abort`, the current run's signal
   * is aborted first. Idempotent.
   */
  async stop(opts: { readonly abort?: boolean } = {}): Promise<void> {
    this.stopped = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      // Every fire that joined this pending run shares its promise; count them once as one run not started.
      this.cancelledCount++;
      pending.resolve({ status: 'cancelled', reason: 'stopped' });
    }
    if (opts.abort) this.controller?.abort(new Error('coalescing trigger stopped'));
    await this.draining;
  }

  /** Current counters and flags. */
  get state(): TriggerState {
    return {
      running: this.controller !== undefined,
      pending: this.pending !== undefined,
      stopped: this.stopped,
      fired: this.firedCount,
      runs: this.runCount,
      coalesced: Math.max(0, this.firedCount - this.runCount - this.cancelledCount),
    };
  }

  private async drain(): Promise<void> {
    this.active = true;
    try {
      while (this.pending && !this.stopped) {
        const job = this.pending;
        this.pending = undefined;
        this.runCount++;
        const controller = new AbortController();
        this.controller = controller;
        let outcome: TriggerOutcome<T, R>;
        try {
          outcome = { status: 'succeeded', value: job.value, result: await this.runFn(job.value, controller.signal) };
        } catch (error) {
          outcome = { status: 'failed', value: job.value, error };
        } finally {
          this.controller = undefined;
        }
        job.resolve(outcome);
        this.notify(outcome);
      }
    } finally {
      this.active = false;
    }
  }

  private notify(outcome: TriggerOutcome<T, R>): void {
    if (!this.onSettled) return;
    try {
      this.onSettled(outcome);
    } catch (err) {
      // A throwing observer is a bug in the caller; surface it loudly without stopping the trigger.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
