import { fc, test as propTest } from '@fast-check/jest';
import { CoalescingTrigger, type TriggerOutcome } from '../../../reconciler/source';

/** A run whose end the test decides. */
interface Gate {
  readonly value: number;
  readonly signal: AbortSignal;
  resolve(result: string): void;
  reject(error: unknown): void;
}

function controlledTrigger(onSettled?: (o: TriggerOutcome<number, string>) => void) {
  const gates: Gate[] = [];
  let running = 0;
  let maxConcurrent = 0;
  const trigger = new CoalescingTrigger<number, string>({
    run: (value, signal) =>
      new Promise<string>((resolve, reject) => {
        running++;
        maxConcurrent = Math.max(maxConcurrent, running);
        const done = <A extends unknown[]>(f: (...a: A) => void) => (...a: A) => {
          running--;
          f(...a);
        };
        gates.push({ value, signal, resolve: done(resolve), reject: done(reject) });
      }),
    ...(onSettled ? { onSettled } : {}),
  });
  return { trigger, gates, maxConcurrent: () => maxConcurrent };
}

/** Lets pending promise callbacks run (no timers involved). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('CoalescingTrigger', () => {
  it('runs at once when idle and resolves with the result', async () => {
    const { trigger, gates } = controlledTrigger();
    const p = trigger.fire(1);
    expect(gates.map((g) => g.value)).toEqual([1]);
    expect(trigger.state).toMatchObject({ running: true, pending: false, runs: 1 });
    gates[0]?.resolve('r1');
    await expect(p).resolves.toEqual({ status: 'succeeded', value: 1, result: 'r1' });
    expect(trigger.state).toMatchObject({ running: false, pending: false, fired: 1, runs: 1, coalesced: 0 });
  });

  it('collapses a burst during a run into one pending run with the newest value', async () => {
    const { trigger, gates, maxConcurrent } = controlledTrigger();
    const first = trigger.fire(0);
    const during = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => trigger.fire(v));
    expect(gates).toHaveLength(1);
    expect(trigger.state).toMatchObject({ pending: true, fired: 10 });

    gates[0]?.resolve('r0');
    await flush();
    expect(gates.map((g) => g.value)).toEqual([0, 9]);
    gates[1]?.resolve('r9');

    await expect(first).resolves.toEqual({ status: 'succeeded', value: 0, result: 'r0' });
    for (const p of during) await expect(p).resolves.toEqual({ status: 'succeeded', value: 9, result: 'r9' });
    expect(maxConcurrent()).toBe(1);
    expect(trigger.state).toMatchObject({ fired: 10, runs: 2, coalesced: 8, running: false, pending: false });
  });

  it('starts a new run for a fire after the previous run finished', async () => {
    const { trigger, gates } = controlledTrigger();
    const a = trigger.fire(1);
    gates[0]?.resolve('a');
    await a;
    const b = trigger.fire(2);
    expect(gates.map((g) => g.value)).toEqual([1, 2]);
    gates[1]?.resolve('b');
    await expect(b).resolves.toMatchObject({ value: 2, result: 'b' });
  });

  it('returns a failure to its callers and keeps going', async () => {
    const settled: TriggerOutcome<number, string>[] = [];
    const { trigger, gates } = controlledTrigger((o) => settled.push(o));
    const a = trigger.fire(1);
    const b = trigger.fire(2);
    const boom = new Error('apply failed');
    gates[0]?.reject(boom);
    await expect(a).resolves.toEqual({ status: 'failed', value: 1, error: boom });
    await flush();
    gates[1]?.resolve('ok');
    await expect(b).resolves.toEqual({ status: 'succeeded', value: 2, result: 'ok' });
    expect(settled.map((o) => o.status)).toEqual(['failed', 'succeeded']);
  });

  it('turns a synchronous throw of the run into a failed outcome', async () => {
    const trigger = new CoalescingTrigger<number>({
      run: () => {
        throw new Error('sync');
      },
    });
    await expect(trigger.fire(1)).resolves.toMatchObject({ status: 'failed', error: expect.objectContaining({ message: 'sync' }) });
    await expect(trigger.fire(2)).resolves.toMatchObject({ status: 'failed', value: 2 });
  });

  it('stop() waits for the current run, cancels the pending one and later fires', async () => {
    const { trigger, gates } = controlledTrigger();
    const current = trigger.fire(1);
    const pending = trigger.fire(2);
    let stopped = false;
    const stopping = trigger.stop().then(() => (stopped = true));
    await expect(pending).resolves.toEqual({ status: 'cancelled', reason: 'stopped' });
    await flush();
    expect(stopped).toBe(false);
    expect(gates[0]?.signal.aborted).toBe(false);
    gates[0]?.resolve('done');
    await stopping;
    expect(stopped).toBe(true);
    await expect(current).resolves.toMatchObject({ status: 'succeeded', value: 1 });
    await expect(trigger.fire(3)).resolves.toEqual({ status: 'cancelled', reason: 'stopped' });
    expect(gates).toHaveLength(1);
    expect(trigger.state).toMatchObject({ stopped: true, runs: 1 });
    await trigger.stop(); // idempotent
  });

  it('stop({ abort: true }) aborts the current run\'s signal', async () => {
    const { trigger, gates } = controlledTrigger();
    const p = trigger.fire(1);
    const stopping = trigger.stop({ abort: true });
    expect(gates[0]?.signal.aborted).toBe(true);
    gates[0]?.reject(gates[0].signal.reason);
    await stopping;
    await expect(p).resolves.toMatchObject({ status: 'failed' });
  });

  it('stop() on an idle trigger resolves at once', async () => {
    const { trigger } = controlledTrigger();
    await trigger.stop();
    expect(trigger.state.stopped).toBe(true);
  });

  it('a throwing onSettled surfaces as an uncaught error but does not stop the trigger', async () => {
    const uncaught: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (cb: () => void) =>
      original(() => {
        try {
          cb();
        } catch (err) {
          uncaught.push(err);
        }
      });
    try {
      const trigger = new CoalescingTrigger<number, number>({
        run: async (v) => v,
        onSettled: () => {
          throw new Error('observer bug');
        },
      });
      await expect(trigger.fire(1)).resolves.toMatchObject({ status: 'succeeded', result: 1 });
      await expect(trigger.fire(2)).resolves.toMatchObject({ status: 'succeeded', result: 2 });
      await flush();
      expect(uncaught).toHaveLength(2);
    } finally {
      globalThis.queueMicrotask = original;
    }
  });
});

describe('CoalescingTrigger properties', () => {
  // Any interleaving of fires and run completions: one run at a time, every fire settles with a
  // run that started no earlier than the fire and used a value at least as new, runs <= fires.
  propTest.prop([fc.array(fc.constantFrom('fire', 'complete', 'fail'), { maxLength: 60 })])('invariants hold for any interleaving', async (ops) => {
    const { trigger, gates, maxConcurrent } = controlledTrigger();
    const fired: { value: number; outcome: Promise<TriggerOutcome<number, string>> }[] = [];
    let next = 0;
    let completed = 0;
    for (const op of ops) {
      if (op === 'fire') {
        const value = next++;
        fired.push({ value, outcome: trigger.fire(value) });
      } else if (gates.length > completed) {
        const gate = gates[completed++];
        if (op === 'complete') gate?.resolve(`r${gate.value}`);
        else gate?.reject(new Error(`e${gate?.value}`));
      }
      await flush();
    }
    // Drain whatever is left.
    while (gates.length > completed) {
      gates[completed++]?.resolve('end');
      await flush();
    }
    expect(maxConcurrent()).toBeLessThanOrEqual(1);
    expect(gates.length).toBeLessThanOrEqual(fired.length);
    const startedValues = gates.map((g) => g.value);
    expect([...startedValues].sort((a, b) => a - b)).toEqual(startedValues); // runs see increasing values
    for (const f of fired) {
      const o = await f.outcome;
      if (o.status === 'cancelled') throw new Error('nothing was stopped');
      expect(o.value).toBeGreaterThanOrEqual(f.value);
    }
    if (fired.length > 0) expect(startedValues[startedValues.length - 1]).toBe(fired[fired.length - 1]?.value);
  });
});
