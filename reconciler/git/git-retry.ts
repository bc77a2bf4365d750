/** Time and randomness of the git plumbing, injectable so retries are deterministic in tests. */
export interface GitClock {
  /** Milliseconds since the epoch (also the date of commits FluxOps makes). */
  now(): number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

/** The real clock. */
export const SYSTEM_GIT_CLOCK: GitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** How network faults (unreachable, timeouts, a busy lock) are retried. */
export interface GitRetryOptions {
  /** Attempts in total, the first included. @default 4 */
  readonly attempts: number;
  /** Backoff before the first retry; doubles each time, with jitter. @default 500 */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff. @default 15000 */
  readonly maxDelayMs: number;
}

/** Defaults of {@link GitRetryOptions}. */
export const DEFAULT_GIT_RETRY: GitRetryOptions = { attempts: 4, baseDelayMs: 500, maxDelayMs: 15_000 };

/**
 * Delay before retry number `retry` (1 for the first): exponential, capped, with "equal jitter"
 * (half fixed, half random) so replicas that failed together do not retry together.
 */
export function gitBackoffDelay(retry: number, opts: GitRetryOptions, random: () => number): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
