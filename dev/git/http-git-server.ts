import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { isolatedGitEnv } from './git-cli';

/** Credentials the server demands (an `Authorization` header); anonymous access is refused. */
export interface HttpGitServerAuth {
  /** The token (or password) expected. */
  readonly token: string;
  /** `basic`: `Basic base64(<user>:<token>)`, any user unless `username` is set; `bearer`: `Bearer <token>`. @default 'basic' */
  readonly scheme?: 'basic' | 'bearer';
  /** Required user name for `basic`. @default any */
  readonly username?: string;
}

/** Options for {@link startHttpGitServer}. */
export interface HttpGitServerOptions {
  /** Directory holding the bare repositories (`GIT_PROJECT_ROOT`); a repository `x.git` in it is served at `/x.git`. */
  readonly projectRoot: string;
  /** Demand these credentials; anonymous read and write when absent. */
  readonly auth?: HttpGitServerAuth;
  /**
   * Pass the client's `Git-Protocol` header on, so protocol v2 is spoken. `false` plays an older
   * server (protocol v0), which refuses to serve commits that are not branch tips.
   * @default true
   */
  readonly protocolV2?: boolean;
}

/** What the server saw of one request (for assertions: "ls-remote made no fetch"). */
export interface HttpGitRequestRecord {
  readonly method: string;
  /** Path without query. */
  readonly path: string;
  /** `git-upload-pack` or `git-receive-pack`. */
  readonly service?: string;
  /** What the request did: `info-refs` (ref advertisement), `ls-refs` / `fetch` (protocol v2 commands), `fetch` for a v0 upload-pack POST, `push`. */
  readonly command: 'info-refs' | 'ls-refs' | 'fetch' | 'push' | 'other';
  /** Whether the request carried valid credentials. */
  readonly authorized: boolean;
  /** The raw `Authorization` header value, if any (tests check what the client sent). */
  readonly authorization?: string;
  /** Status answered. */
  readonly status: number;
}

/** `git http-backend` behind a node:http server on 127.0.0.1 (smart HTTP, optionally with an Authorization check). */
export interface HttpGitServer {
  /** The port it listens on (127.0.0.1 only). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** URL of a repository in the project root (`url('fleet.git')`). */
  url(repository: string): string;
  /** Every request so far, in order. */
  readonly requests: readonly HttpGitRequestRecord[];
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Answers the next `count` requests with `status` (for example 503) instead of serving them. */
  failNext(count: number, status: number): void;
  /** Holds every answer back this long (to watch the client's processes while it waits). */
  setDelay(ms: number): void;
  /** Stops listening and closes open connections. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the server on 127.0.0.1 and a port the kernel picks (free by construction). */
export async function startHttpGitServer(opts: HttpGitServerOptions): Promise<HttpGitServer> {
  const requests: HttpGitRequestRecord[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let delayMs = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err));
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const service = url.searchParams.get('service') ?? (/\/(git-upload-pack|git-receive-pack)$/.exec(url.pathname)?.[1] || undefined);
    const authorization = req.headers.authorization;
    const authorized = opts.auth === undefined || checkAuth(opts.auth, authorization);
    const command = commandOf(req.method ?? 'GET', url.pathname, service, req.headers['content-encoding'], body);
    const record = (status: number) => requests.push({ method: req.method ?? 'GET', path: url.pathname, service, command, authorized, ...(authorization ? { authorization } : {}), status });
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (failures.count > 0) {
      failures = { ...failures, count: failures.count - 1 };
      record(failures.status);
      res.writeHead(failures.status, { 'Content-Type': 'text/plain' });
      res.end('injected failure\n');
      return;
    }
    if (!authorized) {
      record(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fluxops-test"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const env: NodeJS.ProcessEnv = isolatedGitEnv({
      GIT_PROJECT_ROOT: opts.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: String(body.length),
      REMOTE_ADDR: '127.0.0.1',
      // http-backend allows pushes only from an authenticated user.
      REMOTE_USER: 'fluxops-test',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(opts.protocolV2 !== false && req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    });
    const out = await runBackend(env, body);
    const sep = out.indexOf('\r\n\r\n') >= 0 ? out.indexOf('\r\n\r\n') : out.indexOf('\n\n');
    const sepLen = out.indexOf('\r\n\r\n') >= 0 ? 4 : 2;
    const head = out.subarray(0, sep).toString('latin1');
    const payload = out.subarray(sep + sepLen);
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
      else headers[k] = v;
    }
    record(status);
    res.writeHead(status, headers);
    res.end(payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    url: (repository) => `http://127.0.0.1:${port}/${repository}`,
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    failNext: (count, status) => {
      failures = { count, status };
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function checkAuth(auth: HttpGitServerAuth, header: string | undefined): boolean {
  if (header === undefined) return false;
  if ((auth.scheme ?? 'basic') === 'bearer') return header === `Bearer ${auth.token}`;
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return false;
  const user = decoded.slice(0, i);
  const pass = decoded.slice(i + 1);
  return pass === auth.token && (auth.username === undefined || user === auth.username);
}

function commandOf(method: string, pathname: string, service: string | undefined, encoding: string | string[] | undefined, body: Buffer): HttpGitRequestRecord['command'] {
  if (method === 'GET' && pathname.endsWith('/info/refs')) return 'info-refs';
  if (method !== 'POST') return 'other';
  if (service === 'git-receive-pack') return 'push';
  if (service !== 'git-upload-pack') return 'other';
  let text: string;
  try {
    text = (encoding === 'gzip' ? zlib.gunzipSync(body) : body).toString('latin1');
  } catch {
    return 'other';
  }
  if (text.includes('command=ls-refs')) return 'ls-refs';
  // Protocol v2 `command=fetch`, or a v0 upload-pack request (`want <sha>` lines).
  if (text.includes('command=fetch') || /^[0-9a-f]{4}want /m.test(text)) return 'fetch';
  return 'other';
}

function runBackend(env: NodeJS.ProcessEnv, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin.on('error', () => undefined);
    child.once('error', reject);
    child.once('close', (code) => {
      const buf = Buffer.concat(out);
      if (buf.length === 0) reject(new Error(`git http-backend exited ${code} without output: ${err.trim()}`));
      else resolve(buf);
    });
    child.stdin.end(body);
  });
}
