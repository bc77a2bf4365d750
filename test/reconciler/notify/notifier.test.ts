import { Registry } from 'prom-client';

import type { AlertSpec } from '../../../constructs';
import {
  AlertSecretError,
  DEFAULT_NOTIFY_RETRY,
  createNotifier,
  notifyBackoff,
  type FluxOpsEvent,
  type Notifier,
  type NotifierOptions,
  type NotifyClock,
} from '../../../reconciler/notify';
import { events, specOf } from './notify-fixtures';

/**
 * Unit tests of the delivery logic with a scripted fetch and a clock that records waits instead of
 * waiting. The same behaviours run against real HTTP receivers in notifier.int.test.ts.
 */

type Script = (n: number) => Response | Error;

function scriptedFetch(script: Script): { fetch: typeof fetch; calls: { url: string; body: string }[] } {
  const calls: { url: string; body: string }[] = [];
  const f = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), body: String(init?.body ?? '') });
    const r = script(calls.length - 1);
    if (r instanceof Error) throw r;
    return r;
  }) as typeof fetch;
  return { fetch: f, calls };
}

function recordingClock(random = 0): NotifyClock & { waits: number[] } {
  const waits: number[] = [];
  return { waits, now: () => Date.parse('2026-05-04T10:00:00Z'), random: () => random, sleep: async (ms) => void waits.push(ms) };
}

const refused = (): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
const hookSpec = (): AlertSpec => specOf(() => ({ provider: { kind: 'webhook', secretRef: 'hook' }, events: ['reconcile.failed', 'image.updated', 'image.refused'], severity: 'info' }));
const SECRETS = { hook: { url: 'http://127.0.0.1:9/hooks/SECRETPATHxyz', hmacKey: 'k3y' } };

function notifier(fetchFn: typeof fetch, clock: NotifyClock, extra: Partial<NotifierOptions> = {}): { n: Notifier; logs: unknown[] } {
  const logs: unknown[] = [];
  const n = createNotifier({ alerts: [hookSpec()], secrets: SECRETS, fetch: fetchFn, clock, logger: { warn: (f, m) => logs.push({ ...f, m }) }, ...extra });
  return { n, logs };
}

describe('notifyBackoff', () => {
  test('doubles from the base, is capped, half fixed and half random', () => {
    const opts = { ...DEFAULT_NOTIFY_RETRY, baseDelayMs: 1000, maxDelayMs: 6000 };
    expect([1, 2, 3, 4, 5].map((r) => notifyBackoff(r, opts, () => 0))).toEqual([500, 1000, 2000, 3000, 3000]);
    expect([1, 2, 3, 4, 5].map((r) => notifyBackoff(r, opts, () => 0.999999))).toEqual([1000, 2000, 4000, 6000, 6000]);
  });
});

describe('Notifier delivery logic (scripted fetch, recording clock)', () => {
  test('faults are retried with backoff, then dropped as retries-exhausted and reported', async () => {
    const { fetch, calls } = scriptedFetch(() => refused());
    const clock = recordingClock(0);
    const registry = new Registry();
    const { n, logs } = notifier(fetch, clock, { retry: { attempts: 4, baseDelayMs: 100 }, registry });
    const receipt = n.notify(events.failed());
    expect(receipt).toEqual({ eventId: events.failed().id, queued: ['webhook:hook'], notApplicable: [], dropped: [] });
    await n.whenIdle();
    expect(calls).toHaveLength(4);
    expect(clock.waits).toEqual([50, 100, 200]);
    expect(n.stats()).toMatchObject({ delivered: 0, queued: 0, dropped: { 'retries-exhausted': 1 } });
    expect(n.drops()).toEqual([
      expect.objectContaining({ destination: 'webhook:hook', reason: 'retries-exhausted', attempts: 4, detail: 'connection refused (ECONNREFUSED)', kind: 'reconcile.failed' }),
    ]);
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs)).not.toContain('SECRETPATHxyz');
    expect(await registry.getSingleMetricAsString('fluxops_notifications_dropped_total')).toContain('fluxops_notifications_dropped_total{destination="webhook:hook",reason="retries-exhausted"} 1');
    expect(await registry.getSingleMetricAsString('fluxops_notifications_retries_total')).toContain('{destination="webhook:hook"} 3');
  });

  test('Retry-After is honoured (seconds), capped by maxRetryAfterMs', async () => {
    const { fetch, calls } = scriptedFetch((i) => (i < 2 ? new Response('slow down', { status: 429, headers: { 'Retry-After': i === 0 ? '7' : '9999' } }) : new Response('ok')));
    const clock = recordingClock(0);
    const { n } = notifier(fetch, clock, { retry: { maxRetryAfterMs: 60_000 } });
    n.notify(events.updated());
    await n.whenIdle();
    expect(calls).toHaveLength(3);
    expect(clock.waits).toEqual([7000, 60_000]);
    expect(n.stats()).toMatchObject({ delivered: 1, dropped: { 'retries-exhausted': 0 } });
  });

  test('a 4xx other than 408/429 is not retried', async () => {
    const { fetch, calls } = scriptedFetch(() => new Response('no such hook /hooks/SECRETPATHxyz', { status: 404 }));
    const { n } = notifier(fetch, recordingClock());
    n.notify(events.updated());
    await n.whenIdle();
    expect(calls).toHaveLength(1);
    expect(n.drops()[0]).toMatchObject({ reason: 'rejected', attempts: 1, detail: 'HTTP 404: no such hook <redacted>' });
  });

  test('a full queue drops the oldest of the least severe, keeps errors, and reports each drop', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { fetch, calls } = scriptedFetch(() => new Response('ok'));
    const gated = (async (u: string | URL | Request, i?: RequestInit) => {
      await gate;
      return fetch(u, i);
    }) as typeof fetch;
    const { n } = notifier(gated, recordingClock(), { queueCapacity: 2 });
    const info = (tag: string): FluxOpsEvent => events.updated({ to: { tag } });
    const first = info('1.0.1');
    n.notify(first); // in flight (held)
    const a = info('1.0.2');
    const b = info('1.0.3');
    n.notify(a);
    n.notify(b); // queue: a, b (full)
    const failure = events.failed();
    expect(n.notify(failure).queued).toEqual(['webhook:hook']); // drops a (oldest info)
    const c = info('1.0.4');
    expect(n.notify(c).queued).toEqual(['webhook:hook']); // drops b; queue: failure, c
    const d = info('1.0.5');
    n.notify(d); // drops c; queue: failure, d
    const e2 = events.failed({ reason: 'second failure' });
    n.notify(e2); // drops d; queue: failure, e2
    const late = info('1.0.6');
    expect(n.notify(late)).toMatchObject({ queued: [], dropped: ['webhook:hook'] }); // an info cannot push out errors
    expect(n.drops().map((x) => [x.eventId, x.reason])).toEqual([a, b, c, d, late].map((x) => [x.id, 'queue-full']));
    release();
    await n.whenIdle();
    expect(calls.map((c2) => JSON.parse(c2.body).event.id)).toEqual([first.id, failure.id, e2.id]);
    expect(n.stats()).toMatchObject({ delivered: 3, dropped: { 'queue-full': 5 } });
  });

  test('notify never throws: a bad event is recorded as unrenderable, after close it is dropped as closed', async () => {
    const { fetch } = scriptedFetch(() => new Response('ok'));
    const { n, logs } = notifier(fetch, recordingClock());
    const broken = { ...events.failed(), reason: undefined, apps: 5 } as unknown as FluxOpsEvent;
    expect(() => n.notify(broken)).not.toThrow();
    expect(() => n.notify(undefined as unknown as FluxOpsEvent)).not.toThrow();
    await n.close({ drainMs: 100 });
    expect(n.notify(events.failed()).dropped).toEqual(['webhook:hook']);
    expect(n.drops().map((d) => d.reason)).toEqual(['unrenderable', 'closed']);
    expect(logs).toHaveLength(3);
  });

  test('a logger that throws does not stop delivery', async () => {
    const { fetch, calls } = scriptedFetch((i) => (i === 0 ? new Response('', { status: 400 }) : new Response('ok')));
    const n = createNotifier({ alerts: [hookSpec()], secrets: SECRETS, fetch, clock: recordingClock(), logger: { warn: () => { throw new Error('log sink down'); } } });
    n.notify(events.failed());
    n.notify(events.updated());
    await n.whenIdle();
    expect(calls).toHaveLength(2);
    expect(n.stats()).toMatchObject({ delivered: 1, dropped: { rejected: 1 } });
  });

  test('close() gives queued requests drainMs, then drops the rest as shutdown', async () => {
    const pending: Array<() => void> = [];
    const hanging = ((_u: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        pending.push(() => resolve(new Response('ok')));
        init?.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      })) as typeof fetch;
    const clock = { ...recordingClock(), sleep: (ms: number, signal?: AbortSignal) => new Promise<void>((r) => { const t = setTimeout(r, Math.min(ms, 50)); signal?.addEventListener('abort', () => { clearTimeout(t); r(); }); }) };
    const n = createNotifier({ alerts: [hookSpec()], secrets: SECRETS, fetch: hanging, clock, logger: { warn: () => undefined } });
    n.notify(events.failed());
    n.notify(events.updated());
    const stats = await n.close({ drainMs: 20 });
    expect(stats).toMatchObject({ delivered: 0, queued: 0, dropped: { shutdown: 2 } });
    expect(pending).toHaveLength(1);
  });

  test('missing, unusable or plain-text secrets are configuration errors naming the config key', () => {
    const spec = hookSpec();
    const err = (secrets: NotifierOptions['secrets'], plaintextKeys?: string[]): AlertSecretError => {
      try {
        createNotifier({ alerts: [spec], secrets, ...(plaintextKeys ? { plaintextKeys } : {}) });
      } catch (e) {
        if (e instanceof AlertSecretError) return e;
        throw e;
      }
      throw new Error('accepted');
    };
    expect(err({})).toMatchObject({ code: 'alert-secret-missing', alert: 'ops', configKey: 'fluxops:alerts.hook.url' });
    expect(err({}).message).toBe("alert ops: fluxops:alerts.hook.url is not set; set it with: pulumi config set --secret --path 'fluxops:alerts.hook.url' <value>");
    expect(err({ hook: { url: 'http://x' } })).toMatchObject({ configKey: 'fluxops:alerts.hook.hmacKey' });
    const bad = err({ hook: { url: 'hooks.slack.com/services/T/B/SECRET', hmacKey: 'k' } });
    expect(bad).toMatchObject({ code: 'alert-secret-invalid', reason: 'must be an absolute http(s) URL' });
    expect(bad.message).not.toContain('SECRET');
    expect(err({ hook: { url: 'http://x/\n', hmacKey: 'k' } }).code).toBe('alert-secret-invalid');
    expect(err(SECRETS, ['fluxops:alerts.hook.url'])).toMatchObject({ code: 'alert-secret-plaintext', configKey: 'fluxops:alerts.hook.url' });
  });

  test('alerts sharing a provider and secretRef share one destination: one request per event', async () => {
    const { fetch, calls } = scriptedFetch(() => new Response('ok'));
    const a = specOf(() => ({ provider: { kind: 'webhook', secretRef: 'hook' }, events: ['image.updated'], severity: 'info' }), 'images');
    const b = specOf(() => ({ provider: { kind: 'webhook', secretRef: 'hook' }, events: ['image.updated', 'reconcile.failed'], severity: 'info' }), 'everything');
    const n = createNotifier({ alerts: [a, b], secrets: SECRETS, fetch, clock: recordingClock() });
    n.notify(events.updated());
    await n.whenIdle();
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0].body).alerts).toEqual(['images', 'everything']);
    expect(n.stats().destinations).toEqual([expect.objectContaining({ id: 'webhook:hook', alerts: ['images', 'everything'], delivered: 1 })]);
  });
});
