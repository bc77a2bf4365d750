import { createHmac, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { Registry } from 'prom-client';

import { freePort } from '../../../dev/net';
import type { AlertProps, AlertSpec } from '../../../constructs';
import {
  SYSTEM_NOTIFY_CLOCK,
  createNotifier,
  webhookPayload,
  type Notifier,
  type NotifierOptions,
  type NotifyClock,
} from '../../../reconciler/notify';
import { startReceiver, type ReceivedRequest, type ReceiverAnswer, type TestReceiver } from '../../support/http-receiver';
import { IMAGE_SHA, SHA, events, specOf } from './notify-fixtures';

/**
 * The notifier against real HTTP receivers on 127.0.0.1 (node:http), each started here and
 * stopped in afterAll: one that works, one that is down, one that is slow, one that fails once,
 * one that rate-limits, Slack/Teams-like hooks and fake GitHub and Gitea status endpoints.
 */

const HMAC_KEY = 'hmac-key-0123456789abcdef';
const GITHUB_TOKEN = 'ghs_0123456789TOKENabcdef';
const GITEA_TOKEN = 'gitea-token-0123456789abcd';
const SLACK_PATH = '/services/T0001ABC/B0002DEF/SlackSecret0123456789';
const ALL_SECRETS = [HMAC_KEY, GITHUB_TOKEN, GITEA_TOKEN, SLACK_PATH, 'SlackSecret0123456789', 'WrongSecret0123456789', '/hooks/fleet/Tok3nInPath'];

/** The real clock, with every backoff wait recorded and a fixed jitter. */
function recordingClock(): NotifyClock & { waits: number[] } {
  const waits: number[] = [];
  return { waits, now: () => Date.now(), random: () => 0.5, sleep: (ms, signal) => (waits.push(ms), SYSTEM_NOTIFY_CLOCK.sleep(ms, signal)) };
}

const FAST = { retry: { attempts: 4, baseDelayMs: 50, maxDelayMs: 1000 }, timeoutMs: 300 } as const;

describe('Notifier against real HTTP receivers on 127.0.0.1', () => {
  const receivers: TestReceiver[] = [];
  const notifiers: Notifier[] = [];
  const logs: unknown[] = [];
  const registries: Registry[] = [];

  async function receiver(answer: (req: ReceivedRequest, n: number) => ReceiverAnswer): Promise<TestReceiver> {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  }

  function notifier(alerts: AlertSpec[], secrets: NotifierOptions['secrets'], extra: Partial<NotifierOptions> = {}): { n: Notifier; clock: ReturnType<typeof recordingClock>; registry: Registry } {
    const clock = recordingClock();
    const registry = new Registry();
    registries.push(registry);
    const n = createNotifier({ alerts, secrets, clock, registry, logger: { warn: (fields, message) => logs.push({ ...fields, message }) }, ...FAST, ...extra });
    notifiers.push(n);
    return { n, clock, registry };
  }

  const hook = (extra: Partial<AlertProps> = {}): AlertSpec =>
    specOf(() => ({ provider: { kind: 'webhook', secretRef: 'fleet-hook' }, events: ['reconcile.succeeded', 'reconcile.failed', 'image.updated', 'image.refused'], severity: 'info', ...extra }));
  const hookSecrets = (origin: string) => ({ 'fleet-hook': { url: `${origin}/hooks/fleet/Tok3nInPath`, hmacKey: HMAC_KEY } });

  afterAll(async () => {
    await Promise.all(notifiers.map((n) => n.close({ drainMs: 0 })));
    await Promise.all(receivers.map((r) => r.close()));
    // Nothing any of these produced may contain a secret: logs, drops, stats, metrics.
    const seen = JSON.stringify(logs) + JSON.stringify(notifiers.map((n) => [n.drops(), n.stats()])) + (await Promise.all(registries.map((r) => r.metrics()))).join('\n');
    for (const s of ALL_SECRETS) expect(seen).not.toContain(s);
  });

  test('a working webhook gets the documented body, signed; the signature verifies independently', async () => {
    const r = await receiver(() => ({ status: 204 }));
    const { n, registry } = notifier([hook()], hookSecrets(r.origin));
    const e = events.updated();
    expect(n.notify(e).queued).toEqual(['webhook:fleet-hook']);
    await n.whenIdle();
    expect(r.requests).toHaveLength(1);
    const got = r.requests[0];
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hooks/fleet/Tok3nInPath');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-fluxops-event-id']).toBe(e.id);
    expect(got.headers['x-fluxops-event']).toBe('image.updated');
    expect(got.headers['user-agent']).toBe('fluxops-notify/1');
    // Exact bytes: the documented envelope, serialized once.
    expect(got.body.toString('utf8')).toBe(JSON.stringify(webhookPayload(e, ['ops'])));
    expect(JSON.parse(got.body.toString('utf8'))).toMatchObject({ schema: 'fluxops.dev/event/v1', title: 'gateway (app sensor-gateway) on factory-a: 1.4.0 -> 1.5.0', event: { id: e.id, to: { tag: '1.5.0' } } });
    // Verified the way a receiver would: HMAC of the raw body, constant-time compare.
    const header = String(got.headers['x-fluxops-signature-256']);
    const expected = Buffer.from(`sha256=${createHmac('sha256', HMAC_KEY).update(got.body).digest('hex')}`);
    expect(header.length).toBe(expected.length);
    expect(timingSafeEqual(Buffer.from(header), expected)).toBe(true);
    expect(n.stats()).toMatchObject({ delivered: 1, queued: 0, dropped: { 'retries-exhausted': 0 } });
    expect(await registry.getSingleMetricAsString('fluxops_notifications_delivered_total')).toContain('{destination="webhook:fleet-hook"} 1');
  });

  test('a receiver that is down: retried with backoff, then dropped and reported', async () => {
    const port = await freePort(); // nothing listens there: connection refused
    const { n, clock, registry } = notifier([hook()], hookSecrets(`http://127.0.0.1:${port}`));
    const before = logs.length;
    const started = performance.now();
    n.notify(events.failed());
    await n.whenIdle();
    const elapsed = performance.now() - started;
    // base 50 ms, doubling, equal jitter at 0.5: 37.5 -> 38, 75, 150.
    expect(clock.waits).toEqual([38, 75, 150]);
    expect(elapsed).toBeGreaterThanOrEqual(38 + 75 + 150 - 5);
    expect(n.drops()).toEqual([
      expect.objectContaining({ destination: 'webhook:fleet-hook', target: 'webhook fleet-hook', reason: 'retries-exhausted', attempts: 4, detail: 'connection refused (ECONNREFUSED)', eventId: events.failed().id }),
    ]);
    expect(n.stats()).toMatchObject({ delivered: 0, dropped: { 'retries-exhausted': 1 }, destinations: [expect.objectContaining({ retries: 3 })] });
    expect(logs.slice(before)).toEqual([expect.objectContaining({ reason: 'retries-exhausted', message: 'notification dropped: retries-exhausted' })]);
    expect(await registry.getSingleMetricAsString('fluxops_notifications_dropped_total')).toContain('{destination="webhook:fleet-hook",reason="retries-exhausted"} 1');
  });

  test('a slow receiver: the attempt times out and is retried; notify() never waits for it', async () => {
    // The first answer takes 2 s (the timeout is 300 ms); later ones are immediate.
    const r = await receiver((_req, i) => (i === 0 ? { status: 200, delayMs: 2000 } : { status: 200 }));
    const { n, clock } = notifier([hook()], hookSecrets(r.origin));
    const first = events.updated();
    let t = performance.now();
    const receipt = n.notify(first);
    const firstCallMs = performance.now() - t;
    expect(receipt.queued).toEqual(['webhook:fleet-hook']);
    expect(r.arrivals()).toBe(0); // returned before the request even reached the receiver
    await waitUntil(() => r.arrivals() === 1);
    // While the destination is stuck on the slow request, more events still return at once.
    const durations: number[] = [];
    for (const tag of ['1.5.1', '1.5.2', '1.5.3']) {
      t = performance.now();
      n.notify(events.updated({ to: { tag } }));
      durations.push(performance.now() - t);
    }
    // "At once" means far from anything network-bound: the attempt timeout is 300 ms and the
    // receiver holds the answer 2 s. (Typical: well under 1 ms; bench/notify.ts has the figures.)
    expect(Math.max(firstCallMs, ...durations)).toBeLessThan(200);
    await n.whenIdle();
    expect(n.stats()).toMatchObject({ delivered: 4, destinations: [expect.objectContaining({ retries: 1 })] });
    expect(clock.waits).toEqual([38]);
    // The retry carried the same event id (receivers drop duplicates by it).
    expect(r.requests[0].headers['x-fluxops-event-id']).toBe(first.id);
    expect(r.requests[1].headers['x-fluxops-event-id']).toBe(first.id);
    expect(r.requests.map((q) => JSON.parse(q.body.toString()).event.to.tag)).toEqual(['1.5.0', '1.5.0', '1.5.1', '1.5.2', '1.5.3']);
  });

  test('a receiver that answers 500 then 200: delivered on the retry, same bytes and signature', async () => {
    const r = await receiver((_req, i) => (i === 0 ? { status: 500, body: '{"error":"database is locked"}' } : { status: 200 }));
    const { n } = notifier([hook()], hookSecrets(r.origin));
    n.notify(events.failed());
    await n.whenIdle();
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1].body.equals(r.requests[0].body)).toBe(true);
    expect(r.requests[1].headers['x-fluxops-signature-256']).toBe(r.requests[0].headers['x-fluxops-signature-256']);
    expect(n.stats()).toMatchObject({ delivered: 1, dropped: { 'retries-exhausted': 0, rejected: 0 } });
    expect(n.drops()).toEqual([]);
  });

  test('429 with Retry-After: waits as long as the receiver asks', async () => {
    const r = await receiver((_req, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '1' }, body: 'rate limited' } : { status: 200 }));
    const { n, clock } = notifier([hook()], hookSecrets(r.origin));
    n.notify(events.updated());
    await n.whenIdle();
    expect(clock.waits).toEqual([1000]);
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1].at - r.requests[0].at).toBeGreaterThanOrEqual(990);
    expect(n.stats().delivered).toBe(1);
  });

  test('a redirect is not followed: the signed body goes nowhere else, and the drop says why', async () => {
    const elsewhere = await receiver(() => ({ status: 200 }));
    const r = await receiver(() => ({ status: 307, headers: { Location: `${elsewhere.origin}/stolen` } }));
    const { n } = notifier([hook()], hookSecrets(r.origin));
    n.notify(events.failed());
    await n.whenIdle();
    expect(r.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
    expect(n.drops()).toEqual([expect.objectContaining({ reason: 'rejected', attempts: 1, detail: 'HTTP 307' })]);
  });

  test('a full queue reports what it dropped; the rest is delivered in order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const r = await receiver((_req, i) => (i === 0 ? { status: 200, hold: gate } : { status: 200 }));
    const { n, registry } = notifier([hook()], hookSecrets(r.origin), { queueCapacity: 2, timeoutMs: 10_000 });
    const tags = ['2.0.0', '2.0.1', '2.0.2', '2.0.3', '2.0.4'];
    const sent = tags.map((tag) => events.updated({ to: { tag } }));
    sent.forEach((e) => n.notify(e));
    await waitUntil(() => r.arrivals() === 1);
    expect(n.drops().map((d) => [d.eventId, d.reason, d.attempts])).toEqual([
      [sent[1].id, 'queue-full', 0],
      [sent[2].id, 'queue-full', 0],
    ]);
    expect(n.stats()).toMatchObject({ queued: 3, dropped: { 'queue-full': 2 } });
    release();
    await n.whenIdle();
    expect(r.requests.map((q) => JSON.parse(q.body.toString()).event.to.tag)).toEqual(['2.0.0', '2.0.3', '2.0.4']);
    expect(await registry.getSingleMetricAsString('fluxops_notifications_dropped_total')).toContain('{destination="webhook:fleet-hook",reason="queue-full"} 2');
  });

  test('close({ drainMs }) flushes what it can and reports the rest as shutdown', async () => {
    const r = await receiver((_req, i) => (i === 0 ? { status: 200 } : { status: 200, delayMs: 5000 }));
    const { n } = notifier([hook()], hookSecrets(r.origin), { timeoutMs: 10_000 });
    n.notify(events.updated({ to: { tag: '3.0.0' } }));
    n.notify(events.updated({ to: { tag: '3.0.1' } }));
    n.notify(events.updated({ to: { tag: '3.0.2' } }));
    const started = performance.now();
    const stats = await n.close({ drainMs: 400 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(stats).toMatchObject({ delivered: 1, queued: 0, dropped: { shutdown: 2 } });
    expect(n.notify(events.failed()).dropped).toEqual(['webhook:fleet-hook']);
    expect(n.stats().dropped.closed).toBe(1);
  });

  describe('Slack and Teams hooks', () => {
    test('Slack: text and blocks reach the hook; a wrong URL is rejected and never shown', async () => {
      const r = await receiver((req) => (req.url === SLACK_PATH ? { status: 200, body: 'ok' } : { status: 404, body: `no_service: ${req.url}` }));
      const ok = specOf(() => ({ provider: { kind: 'slack', secretRef: 'ops-slack' }, events: ['image.updated'], severity: 'info' }));
      const { n } = notifier([ok], { 'ops-slack': { url: `${r.origin}${SLACK_PATH}` } });
      n.notify(events.updated());
      await n.whenIdle();
      const body = JSON.parse(r.requests[0].body.toString());
      expect(body.text).toBe('gateway (app sensor-gateway) on factory-a: 1.4.0 -&gt; 1.5.0');
      expect(JSON.stringify(body.blocks)).toContain('sha256:111111111111 -&gt; sha256:222222222222');
      expect(JSON.stringify(body.blocks)).toContain('*Commit*\\n0f1e2d3 (main)');

      const wrong = specOf(() => ({ provider: { kind: 'slack', secretRef: 'old-slack' }, events: ['image.updated'], severity: 'info' }));
      const { n: n2 } = notifier([wrong], { 'old-slack': { url: `${r.origin}/services/T0001ABC/B0002DEF/WrongSecret0123456789` } });
      n2.notify(events.updated());
      await n2.whenIdle();
      expect(n2.drops()).toEqual([expect.objectContaining({ reason: 'rejected', attempts: 1, target: 'slack old-slack', detail: 'HTTP 404: no_service: <redacted>' })]);
    });

    test('Teams: an Adaptive Card message', async () => {
      const r = await receiver(() => ({ status: 202, body: '' }));
      const spec = specOf(() => ({ provider: { kind: 'teams', secretRef: 'ops-teams' }, events: ['reconcile.failed'], severity: 'error' }));
      const { n } = notifier([spec], { 'ops-teams': { url: `${r.origin}/workflows/abc/triggers/manual/paths/invoke?sig=TeamsSig` } });
      n.notify(events.failed());
      n.notify(events.updated()); // not subscribed
      await n.whenIdle();
      expect(r.requests).toHaveLength(1);
      const body = JSON.parse(r.requests[0].body.toString());
      expect(body.type).toBe('message');
      expect(body.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(body.attachments[0].content.body[0].text).toMatch(/^factory-a: failed to apply a1b2c3d: Deployment edge-apps\/sensor-gateway/);
    });
  });

  describe('commit statuses on fake forges', () => {
    /** A GitHub-like endpoint: only POST /repos/acme/fleet-config/statuses/<sha> with the right Bearer token. */
    function forge(kind: 'github' | 'gitea', token: string): (req: ReceivedRequest) => ReceiverAnswer {
      const prefix = kind === 'github' ? '/api/v3/repos/acme/fleet-config/statuses/' : '/api/v1/repos/acme/fleet-config/statuses/';
      const auth = kind === 'github' ? `Bearer ${token}` : `token ${token}`;
      return (req) => {
        if (req.method !== 'POST' || !req.url.startsWith(prefix) || !/^[0-9a-f]{40}$/.test(req.url.slice(prefix.length))) return { status: 404, body: '{"message":"Not Found"}' };
        if (req.headers.authorization !== auth) return { status: 401, body: '{"message":"Bad credentials"}' };
        const body = JSON.parse(req.body.toString());
        if (!['success', 'failure', 'pending', 'error'].includes(body.state) || body.description.length > 140) return { status: 422, body: '{"message":"Validation Failed"}' };
        return { status: 201, body: JSON.stringify({ id: 1, ...body }) };
      };
    }

    test('GitHub: pending per site after an image commit, then success after the site applied', async () => {
      const r = await receiver(forge('github', GITHUB_TOKEN));
      const spec = specOf(() => ({ provider: { kind: 'github', repository: 'acme/fleet-config', apiUrl: `${r.origin}/api/v3`, secretRef: 'gh' }, events: ['image.updated', 'reconcile.succeeded'], severity: 'info' }));
      const { n } = notifier([spec], { gh: { token: GITHUB_TOKEN } });
      n.notify(events.updated({ site: undefined, app: undefined }));
      n.notify(events.succeeded());
      n.notify(events.refused()); // no commit: nothing to set
      await n.whenIdle();
      expect(r.requests.map((q) => [q.url, q.headers.authorization, q.headers.accept, JSON.parse(q.body.toString())])).toEqual([
        [`/api/v3/repos/acme/fleet-config/statuses/${IMAGE_SHA}`, `Bearer ${GITHUB_TOKEN}`, 'application/vnd.github+json', { state: 'pending', context: 'fluxops/factory-a', description: 'gateway 1.4.0 -> 1.5.0; waiting for factory-a to apply' }],
        [`/api/v3/repos/acme/fleet-config/statuses/${IMAGE_SHA}`, `Bearer ${GITHUB_TOKEN}`, 'application/vnd.github+json', { state: 'pending', context: 'fluxops/warehouse-b', description: 'gateway 1.4.0 -> 1.5.0; waiting for warehouse-b to apply' }],
        [`/api/v3/repos/acme/fleet-config/statuses/${SHA}`, `Bearer ${GITHUB_TOKEN}`, 'application/vnd.github+json', { state: 'success', context: 'fluxops/factory-a', description: 'applied: 1 created, 1 configured, 0 deleted in 3.2 s' }],
      ]);
      expect(n.stats()).toMatchObject({ delivered: 3, dropped: { rejected: 0 } });
    });

    test('GitHub: a bad token is rejected (401) once, not retried, and never shown', async () => {
      const r = await receiver(forge('github', GITHUB_TOKEN));
      const spec = specOf(() => ({ provider: { kind: 'github', repository: 'acme/fleet-config', apiUrl: `${r.origin}/api/v3`, secretRef: 'gh' }, events: ['reconcile.failed'], severity: 'error' }));
      const { n } = notifier([spec], { gh: { token: 'ghs_expired0123456789abcdef' } });
      n.notify(events.failed());
      await n.whenIdle();
      expect(r.requests).toHaveLength(1);
      expect(n.drops()).toEqual([
        expect.objectContaining({ reason: 'rejected', attempts: 1, detail: 'HTTP 401: {"message":"Bad credentials"}', target: `github 127.0.0.1:${r.port} acme/fleet-config status a1b2c3d fluxops/factory-a` }),
      ]);
      expect(JSON.stringify([logs, n.drops()])).not.toContain('ghs_expired');
    });

    test('Gitea: /api/v1 path and token authorization', async () => {
      const r = await receiver(forge('gitea', GITEA_TOKEN));
      const spec = specOf(() => ({ provider: { kind: 'gitea', repository: 'acme/fleet-config', apiUrl: r.origin, secretRef: 'gitea' }, events: ['reconcile.failed', 'drift.corrected'], severity: 'info' }));
      const { n } = notifier([spec], { gitea: { token: GITEA_TOKEN } });
      n.notify(events.failed());
      n.notify(events.drift());
      await n.whenIdle();
      expect(r.requests.map((q) => [q.url, q.headers.authorization, JSON.parse(q.body.toString()).state, JSON.parse(q.body.toString()).context])).toEqual([
        [`/api/v1/repos/acme/fleet-config/statuses/${SHA}`, `token ${GITEA_TOKEN}`, 'failure', 'fluxops/factory-a'],
        [`/api/v1/repos/acme/fleet-config/statuses/${SHA}`, `token ${GITEA_TOKEN}`, 'success', 'fluxops/warehouse-b'],
      ]);
      expect(n.stats().delivered).toBe(2);
    });
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
