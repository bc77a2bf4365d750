/** Bounds how many async tasks run at once (p-limit is ESM-only and fails under Jest). */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`Semaphore: max must be a positive integer, got ${max}`);
  }

  /** Runs `task` when a slot is free; the slot is released when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    // A released slot is handed straight to the next waiter, so no newcomer can overtake it.
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Maps `items` through `fn` with at most `concurrency` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const sem = new Semaphore(concurrency);
  return Promise.all(items.map((item, i) => sem.run(() => fn(item, i))));
}
