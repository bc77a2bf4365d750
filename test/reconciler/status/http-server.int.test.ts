import { isPortOpen } from '../../../dev/net';
import { jsonResponse, WebhookConfigError, type HttpRoute } from '../../../reconciler/http';
import {
  healthRoutes,
  metricsRoute,
  ReconcilerMetrics,
  startHttpServer,
  type HttpAccessLogEntry,
  type RunningHttpServer,
} from '../../../reconciler/status';
import { parsePrometheusText, sampleValue } from '../../support/prometheus-text';
import { rawRequest } from '../../support/raw-http';

describe('startHttpServer (real HTTP on 127.0.0.1)', () => {
  let server: RunningHttpServer | undefined;
  const srv = (): RunningHttpServer => {
    if (!server) throw new Error('server not started');
    return server;
  };
  let ready: boolean | Error = false;
  const log: HttpAccessLogEntry[] = [];
  const handled: Buffer[] = [];
  const handlerErrors: unknown[] = [];
  const metrics = new ReconcilerMetrics({ processMetrics: false, sites: ['factory-a'] });

  const echo: HttpRoute = {
    method: 'POST',
    path: '/echo',
    contentTypes: ['application/json'],
    maxBodyBytes: 1024,
    handle(req) {
      handled.push(req.body);
      return jsonResponse(200, { bytes: req.body.length, query: req.query.get('q') });
    },
  };
  const boom: HttpRoute = {
    method: 'GET',
    path: '/boom',
    handle() {
      throw new Error('handler bug with a detail that must not reach the client');
    },
  };

  beforeAll(async () => {
    server = await startHttpServer({
      routes: [
        ...healthRoutes({
          ready: () => {
            if (ready instanceof Error) throw ready;
            return ready ? true : { ready: false, reason: 'first sync not finished' };
          },
          status: () => ({ site: 'factory-a', lastRun: { result: 'success', commit: 'abc' } }),
        }),
        metricsRoute(metrics),
        echo,
        boom,
      ],
      bodyTimeoutMs: 500,
      log: (e) => log.push(e),
      onHandlerError: (err) => handlerErrors.push(err),
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  beforeEach(() => {
    handled.length = 0;
    log.length = 0;
  });

  it('listens on loopback and a free port by default', () => {
    expect(srv().host).toBe('127.0.0.1');
    expect(srv().port).toBeGreaterThan(0);
    expect(srv().url).toBe(`http://127.0.0.1:${srv().port}`);
  });

  it('/healthz answers 200 JSON; HEAD works without a body', async () => {
    const res = await fetch(`${srv().url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ status: 'ok' });
    const head = await fetch(`${srv().url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('/readyz flips from 503 to 200 when the readiness callback does', async () => {
    ready = false;
    const before = await fetch(`${srv().url}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'not-ready', reason: 'first sync not finished' });
    ready = true;
    const after = await fetch(`${srv().url}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready' });
    ready = new Error('kaputt');
    const failing = await fetch(`${srv().url}/readyz`);
    expect(failing.status).toBe(503);
    expect(await failing.json()).toEqual({ status: 'not-ready', reason: 'readiness check failed: Error' });
    ready = true;
  });

  it('/status serves the callback\'s JSON', async () => {
    const res = await fetch(`${srv().url}/status`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ site: 'factory-a', lastRun: { result: 'success', commit: 'abc' } });
  });

  it('/metrics serves Prometheus text that parses and reflects recorded runs', async () => {
    metrics.recordReconcile({ site: 'factory-a', result: 'success', durationSeconds: 1.2, finishedAt: new Date(1_777_000_000_000), objects: { created: 3 } });
    const res = await fetch(`${srv().url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const scrape = parsePrometheusText(await res.text());
    expect(sampleValue(scrape, 'fluxops_reconcile_runs_total', { site: 'factory-a', result: 'success' })).toBe(1);
    expect(sampleValue(scrape, 'fluxops_reconcile_objects_total', { site: 'factory-a', action: 'created' })).toBe(3);
    expect(sampleValue(scrape, 'fluxops_reconcile_last_success_timestamp_seconds', { site: 'factory-a' })).toBe(1_777_000_000);
  });

  it('answers 404 and 405 with JSON error bodies', async () => {
    const missing = await fetch(`${srv().url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not-found', input: 'GET /nope' } });
    const wrong = await fetch(`${srv().url}/echo`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toMatchObject({ error: { code: 'method-not-allowed', allowed: ['POST'] } });
  });

  it('passes a body within the limit to the route', async () => {
    const res = await fetch(`${srv().url}/echo?q=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ bytes: 7, query: '1' });
    expect(handled.map((b) => b.toString())).toEqual(['{"a":1}']);
  });

  it('answers 415 for a wrong or missing content type without calling the route', async () => {
    const res = await fetch(`${srv().url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: { code: 'unsupported-content-type', field: 'Content-Type', contentType: 'text/plain', expected: ['application/json'], input: 'POST /echo' } });
    const none = await fetch(`${srv().url}/echo`, { method: 'POST', body: new Uint8Array([1, 2]) });
    expect(none.status).toBe(415);
    expect(handled).toHaveLength(0);
  });

  it('answers 413 from Content-Length alone, without waiting for the body, and closes the connection', async () => {
    const started = Date.now();
    const res = await rawRequest({
      port: srv().port,
      head: `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50000000`,
      // Not a single body byte is sent: the answer can only come from the declared length.
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload-too-large', field: 'body', limitBytes: 1024, receivedBytes: 50_000_000 } });
    expect(res.headers.connection).toBe('close');
    expect(res.closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(400); // well under the 500 ms body timeout
    expect(handled).toHaveLength(0);
  });

  it('answers 413 for a chunked body as soon as it passes the limit', async () => {
    const chunk = new Uint8Array(512).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${srv().url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload-too-large', limitBytes: 1024 } });
    expect(handled).toHaveLength(0);
    expect(log.at(-1)).toMatchObject({ status: 413, errorCode: 'payload-too-large' });
  });

  it('answers 413 for a chunked body that passes the limit while the sender is still sending', async () => {
    // 2 KiB in one chunk, then the sender stalls without finishing: the answer must come from the
    // limit (413), not from the end of the body or the body timeout (408).
    const chunk = Buffer.alloc(2048, 0x20);
    const started = Date.now();
    const res = await rawRequest({
      port: srv().port,
      head: `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
      body: Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload-too-large', limitBytes: 1024, receivedBytes: 2048 } });
    expect(Date.now() - started).toBeLessThan(400);
    expect(res.closedByServer).toBe(true);
    expect(handled).toHaveLength(0);
  });

  it('answers a malformed request with a JSON 400 and closes', async () => {
    const res = await rawRequest({ port: srv().port, head: 'NOT AN HTTP REQUEST' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'invalid-request', message: 'malformed HTTP request' } });
    expect(res.closedByServer).toBe(true);
  });

  it('answers 400 for a body that ends before its Content-Length', async () => {
    const res = await rawRequest({
      port: srv().port,
      head: `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100`,
      body: Buffer.from('{"truncated": tr'),
      endAfterBody: true,
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid-request', field: 'body', message: 'POST /echo: body: ended after 16 of 100 bytes (truncated request)' } });
    expect(handled).toHaveLength(0);
  });

  it('answers 408 when the body stalls', async () => {
    const res = await rawRequest({
      port: srv().port,
      head: `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100`,
      body: Buffer.from('{"slow":'),
    });
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'request-timeout', timeoutMs: 500 } });
    expect(handled).toHaveLength(0);
  });

  it('answers 500 without details when a handler throws, and reports the error', async () => {
    const res = await fetch(`${srv().url}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal-error', message: 'GET /boom: internal error' } });
    expect(text).not.toContain('detail');
    expect(handlerErrors).toHaveLength(1);
  });

  it('logs method, path, status and timing, never the query string or the body', async () => {
    await fetch(`${srv().url}/echo?token=very-secret-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"hunter2"}' });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: 'POST', path: '/echo', status: 200, bodyBytes: 22 });
    expect(JSON.stringify(log)).not.toMatch(/very-secret-token|hunter2/);
  });
});

describe('startHttpServer lifecycle and configuration', () => {
  it('close() stops listening and is idempotent', async () => {
    const s = await startHttpServer({ routes: healthRoutes({ ready: () => true, status: () => ({}) }) });
    try {
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
    expect(await isPortOpen(s.port)).toBe(false);
    await s.close();
  });

  it('close() lets a request in flight finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = await startHttpServer({ routes: [{ method: 'GET', path: '/slow', handle: async () => (await gate, jsonResponse(200, { done: true })) }] });
    const inflight = fetch(`${s.url}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = s.close();
    release();
    const res = await inflight;
    expect(await res.json()).toEqual({ done: true });
    await closing;
  });

  it('answers 408 to a sender stuck in its headers', async () => {
    const s = await startHttpServer({ routes: healthRoutes({ ready: () => true, status: () => ({}) }), headersTimeoutMs: 300 });
    try {
      const started = Date.now();
      const res = await rawRequest({ port: s.port, head: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1', unfinishedHead: true, timeoutMs: 5_000 });
      expect(res.status).toBe(408);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'request-timeout', message: 'request not received in time' } });
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      await s.close();
    }
  });

  it('refuses duplicate routes and bad paths before listening', async () => {
    const r: HttpRoute = { method: 'GET', path: '/x', handle: () => jsonResponse(200, {}) };
    await expect(startHttpServer({ routes: [r, r] })).rejects.toBeInstanceOf(WebhookConfigError);
    await expect(startHttpServer({ routes: [{ ...r, path: 'x' }] })).rejects.toMatchObject({ field: 'routes.path' });
    await expect(startHttpServer({ routes: [], maxBodyBytes: -1 })).rejects.toMatchObject({ field: 'maxBodyBytes' });
  });
});
