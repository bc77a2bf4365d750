import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  checkMaxBodyBytes,
  HttpRequestError,
  InvalidRequestError,
  jsonResponse,
  PayloadTooLargeError,
  requireContentType,
  RequestTimeoutError,
  WebhookConfigError,
  errorResponse,
  type HttpRequest,
  type HttpResponse,
  type HttpRoute,
} from '../http';

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /**
   * Address to listen on. Loopback by default: webhooks from the outside should come through an
   * ingress or tunnel that terminates TLS; set `0.0.0.0` only deliberately.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /** @default 0 (a free port, see `port` on the result) */
  readonly port?: number;
  /** The endpoints; each method and path at most once. */
  readonly routes: readonly HttpRoute[];
  /** Body limit for routes that accept a body and set none themselves. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Time allowed for the whole body to arrive once the headers are in. @default 10000 */
  readonly bodyTimeoutMs?: number;
  /** Time allowed for the request headers. @default 10000 */
  readonly headersTimeoutMs?: number;
  /** Connections served at once; more are refused at the TCP level. @default 256 */
  readonly maxConnections?: number;
  /**
   * Called once per request with method, path (never the query string, which may hold a token),
   * status and timing. Bodies and headers are never passed.
   */
  readonly log?: (entry: HttpAccessLogEntry) => void;
  /** Called with exceptions thrown by a route's handler (answered 500 without details). */
  readonly onHandlerError?: (error: unknown, route: { readonly method: string; readonly path: string }) => void;
}

/** One line of the access log. */
export interface HttpAccessLogEntry {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  /** Body bytes read (0 when the request was refused before reading). */
  readonly bodyBytes: number;
  /** The error code of a refusal (`payload-too-large`, `request-unauthorized`, `not-found`, ...). */
  readonly errorCode?: string;
}

/** A listening server. */
export interface RunningHttpServer {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then closes
   * every connection. Idempotent.
   */
  close(opts?: { readonly graceMs?: number }): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Starts a `node:http` server for the reconciler's endpoints: health, status, metrics and webhook
 * receivers (see `healthRoutes`, `metricsRoute`, `gitPushRoute`, `registryPushRoute`).
 *
 * Per request: exact path and method match (404/405), the route's content types (415, body not
 * read), a hard body limit (413 from `Content-Length` before reading, or as soon as a chunked body
 * passes it; the connection is then closed so the rest is never read), a body timeout (408), and
 * a body that ends early (400). Every refusal has a JSON body `{ "error": { code, message, ... } }`.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const host = opts.host ?? '127.0.0.1';
  const input = 'http server';
  const defaultLimit = checkMaxBodyBytes(opts.maxBodyBytes, input);
  const bodyTimeoutMs = positive(opts.bodyTimeoutMs ?? DEFAULT_TIMEOUT_MS, 'bodyTimeoutMs');
  const headersTimeoutMs = positive(opts.headersTimeoutMs ?? DEFAULT_TIMEOUT_MS, 'headersTimeoutMs');
  const table = routeTable(opts.routes, defaultLimit);

  const state: ServerState = { closing: false, bodyReaders: new WeakMap() };
  const server = http.createServer(
    // Node checks header/request timeouts on this interval (default 30 s, too coarse for slow senders).
    { connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs) },
    (req, res) => {
      serve(req, res, table, { bodyTimeoutMs, log: opts.log, onHandlerError: opts.onHandlerError, state }).catch((err: unknown) => {
        // A bug outside a handler (an onRefused or log callback that throws): answer 500 if still possible.
        opts.onHandlerError?.(err, { method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '' });
        send(req, res, jsonResponse(500, { error: { code: 'internal-error', message: 'internal error' } }), true);
      });
    },
  );
  server.maxConnections = positive(opts.maxConnections ?? 256, 'maxConnections');
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(err, socket, state));
  // Node's own limits are a backstop for connections that never get as far as a route.
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = headersTimeoutMs + bodyTimeoutMs + 1_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: opts.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    close(closeOpts = {}) {
      state.closing = true;
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), closeOpts.graceMs ?? 5_000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

interface RouteEntry {
  readonly route: HttpRoute;
  readonly limit: number;
}

type RouteTable = ReadonlyMap<string, ReadonlyMap<string, RouteEntry>>;

function routeTable(routes: readonly HttpRoute[], defaultLimit: number): RouteTable {
  const table = new Map<string, Map<string, RouteEntry>>();
  for (const route of routes) {
    if (!route.path.startsWith('/') || route.path.includes('?')) {
      throw new WebhookConfigError({ input: 'http server', field: 'routes.path', value: route.path, reason: 'must be an absolute path without a query' });
    }
    const byMethod = table.get(route.path) ?? new Map<string, RouteEntry>();
    if (byMethod.has(route.method)) {
      throw new WebhookConfigError({ input: 'http server', field: 'routes', value: `${route.method} ${route.path}`, reason: 'is defined twice' });
    }
    // Routes without a body type get no body at all: a GET with a body is refused, not buffered.
    const limit = route.contentTypes ? checkMaxBodyBytes(route.maxBodyBytes ?? defaultLimit, `route ${route.method} ${route.path}`) : 0;
    byMethod.set(route.method, { route, limit });
    table.set(route.path, byMethod);
  }
  return table;
}

/** Shared by every request of one server. */
interface ServerState {
  /** Set by close(): answers then carry `Connection: close`, so keep-alive clients let go. */
  closing: boolean;
  /**
   * The body reader of the request in progress on a socket. Node reports a body that ends before
   * its Content-Length as a `clientError` on the socket; the reader answers it with the request's
   * own JSON error instead of Node's bare 400.
   */
  readonly bodyReaders: WeakMap<Socket, (reason: string) => void>;
}

/**
 * Parse errors outside a request we are reading (malformed request line, header overflow,
 * header timeout): a JSON answer written to the socket directly, then close. Inside a body
 * read: handed to that request's reader.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Socket, state: ServerState): void {
  const reader = state.bodyReaders.get(socket);
  if (reader) {
    reader(err.code ?? 'parse error');
    return;
  }
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request-timeout', 'request not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers-too-large', 'request headers too large']
        : [400, 'invalid-request', 'malformed HTTP request'];
  const body = `${JSON.stringify({ error: { code, message } })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

interface ServeContext {
  readonly state: ServerState;
  readonly bodyTimeoutMs: number;
  readonly log?: (entry: HttpAccessLogEntry) => void;
  readonly onHandlerError?: (error: unknown, route: { readonly method: string; readonly path: string }) => void;
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse, table: RouteTable, ctx: ServeContext): Promise<void> {
  const started = process.hrtime.bigint();
  const method = req.method ?? 'GET';
  let path = '/';
  let query = new URLSearchParams();
  let bodyBytes = 0;
  const finish = (response: HttpResponse, opts: { errorCode?: string; closeConnection?: boolean } = {}): void => {
    send(req, res, response, (opts.closeConnection ?? false) || ctx.state.closing);
    ctx.log?.({
      method,
      path,
      status: response.status,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      bodyBytes,
      ...(opts.errorCode ? { errorCode: opts.errorCode } : {}),
    });
  };
  const refuse = (status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>): void => {
    finish(jsonResponse(status, { error: { code, message, ...extra } }, headers), { errorCode: code, closeConnection: hasBody(req) });
  };

  try {
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    path = parsed.pathname;
    query = parsed.searchParams;
  } catch {
    refuse(400, 'invalid-request', 'the request target is not a valid URL path');
    return;
  }
  const input = `${method} ${path}`;
  const byMethod = table.get(path);
  if (!byMethod) {
    refuse(404, 'not-found', `${input}: no such endpoint`, { input });
    return;
  }
  const entry = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
  if (!entry) {
    const allow = [...byMethod.keys(), ...(byMethod.has('GET') ? ['HEAD'] : [])].join(', ');
    refuse(405, 'method-not-allowed', `${input}: method not allowed (allowed: ${allow})`, { input, allowed: allow.split(', ') }, { Allow: allow });
    return;
  }
  const { route, limit } = entry;
  const refused = (error: HttpRequestError): void => {
    route.onRefused?.(error);
    finish(errorResponse(error), { errorCode: error.code, closeConnection: true });
  };

  try {
    if (route.contentTypes) requireContentType(req.headers, route.contentTypes, input, route.contentTypeHint);
  } catch (err) {
    if (err instanceof HttpRequestError) return refused(err);
    throw err;
  }

  const read = await readBody(req, limit, ctx.bodyTimeoutMs, input, ctx.state.bodyReaders);
  bodyBytes = read.bytes;
  if (read.kind === 'refused') return refused(read.error);

  const request: HttpRequest = { method, path, query, headers: req.headers, body: read.body, input };
  let response: HttpResponse;
  try {
    response = await route.handle(request);
  } catch (err) {
    ctx.onHandlerError?.(err, { method: route.method, path: route.path });
    finish(jsonResponse(500, { error: { code: 'internal-error', message: `${input}: internal error` } }), { errorCode: 'internal-error' });
    return;
  }
  finish(response, response.errorCode ? { errorCode: response.errorCode } : {});
}

type BodyRead =
  | { readonly kind: 'ok'; readonly body: Buffer; readonly bytes: number }
  | { readonly kind: 'refused'; readonly error: HttpRequestError; readonly bytes: number };

/** Reads the body up to `limit` bytes, stopping (without reading further) at the limit, the timeout, or an early end. */
function readBody(req: http.IncomingMessage, limit: number, timeoutMs: number, input: string, readers: ServerState['bodyReaders']): Promise<BodyRead> {
  const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (declared !== undefined && declared > limit) {
    return Promise.resolve({ kind: 'refused', error: new PayloadTooLargeError({ input, limitBytes: limit, receivedBytes: declared, declared: true }), bytes: 0 });
  }
  if (!hasBody(req)) {
    req.resume(); // nothing to read; lets 'end' fire so the connection can be reused
    return Promise.resolve({ kind: 'ok', body: Buffer.alloc(0), bytes: 0 });
  }
  return new Promise<BodyRead>((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const settle = (result: BodyRead): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      readers.delete(req.socket);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onEarlyEnd);
      req.off('close', onEarlyEnd);
      req.off('error', onEarlyEnd);
      // Stop reading: the connection is closed after the answer, the rest of the body never read.
      if (result.kind === 'refused') req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > limit) {
        settle({ kind: 'refused', error: new PayloadTooLargeError({ input, limitBytes: limit, receivedBytes: bytes, declared: false }), bytes });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ kind: 'ok', body: Buffer.concat(chunks, bytes), bytes });
    const onEarlyEnd = (): void => {
      if (req.complete) return;
      const expected = declared !== undefined ? ` of ${declared}` : '';
      // The parser may have buffered the last bytes without emitting them as 'data' yet.
      const received = bytes + req.readableLength;
      settle({ kind: 'refused', error: new InvalidRequestError({ input, field: 'body', reason: `ended after ${received}${expected} bytes (truncated request)` }), bytes: received });
    };
    const timer = setTimeout(() => settle({ kind: 'refused', error: new RequestTimeoutError({ input, timeoutMs }), bytes }), timeoutMs);
    readers.set(req.socket, () => onEarlyEnd());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onEarlyEnd);
    req.on('close', onEarlyEnd);
    req.on('error', onEarlyEnd);
  });
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

function send(req: http.IncomingMessage, res: http.ServerResponse, response: HttpResponse, closeConnection: boolean): void {
  if (res.headersSent || res.destroyed || req.socket.destroyed) return;
  const body = response.body === undefined ? undefined : typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  const headers: Record<string, string | number> = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(response.headers ?? {}),
    'Content-Length': body?.length ?? 0,
  };
  if (body !== undefined) headers['Content-Type'] = response.contentType ?? 'application/json; charset=utf-8';
  if (closeConnection) headers.Connection = 'close';
  res.writeHead(response.status, headers);
  res.end(body);
  if (closeConnection) {
    // The request body may be unread; closing stops the client from sending (and us from reading) the rest.
    res.once('finish', () => req.socket.destroy());
  }
}

function positive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new WebhookConfigError({ input: 'http server', field, value, reason: 'must be a positive number' });
  return value;
}
