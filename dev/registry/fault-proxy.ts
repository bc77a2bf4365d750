import * as http from 'node:http';

/** A request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, e.g. `/v2/edge/app/tags/list?n=100`. */
  readonly path: string;
  /** Whether it carried an Authorization header (never its value). */
  readonly authorized: boolean;
}

/** A response the proxy sends or rewrites. */
export interface ProxyResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What to do with one request. */
export type ProxyAction =
  /** Forward it unchanged. */
  | { readonly kind: 'forward' }
  /** Answer without asking the registry. */
  | { readonly kind: 'respond'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string | Buffer }
  /** Forward, then change the registry's answer. */
  | { readonly kind: 'rewrite'; readonly rewrite: (upstream: ProxyResponse) => ProxyResponse }
  /** Hold the request this long before forwarding it (a registry slower than its clients' timeout). */
  | { readonly kind: 'stall'; readonly ms: number };

/** Decides per request; `count` numbers the requests matching nothing in particular (1-based, all requests). */
export type ProxyRule = (req: ProxiedRequest, count: number) => ProxyAction | undefined;

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /**
   * Serve `GET /v2/<repo>/tags/list` in pages of at most this many tags, with `n`/`last` and
   * `Link: <...>; rel="next"` as distribution 3, Docker Hub and GHCR do (docker-registry 2.8 returns
   * every tag at once). @default no pagination
   */
  readonly pageSize?: number;
}

/** A running proxy in front of a registry. */
export interface FaultProxy {
  /** `127.0.0.1:<port>` (use it as the registry host). */
  readonly host: string;
  readonly url: string;
  /**
   * Every request so far, with the status answered (0 when the client gave up before the answer)
   * and when it arrived (`Date.now()`).
   */
  readonly requests: ReadonlyArray<ProxiedRequest & { readonly status: number; readonly at: number }>;
  /** Replaces the rule (undefined: forward everything). */
  setRule(rule: ProxyRule | undefined): void;
  /** The registry goes down: stops listening and drops open connections (clients get "connection refused"). */
  down(): Promise<void>;
  /** Listens again, on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

/**
 * A small HTTP proxy on 127.0.0.1 in front of the real local registry, for tests: injects faults
 * (5xx, 429 with Retry-After, malformed bodies, wrong media types, wrong digests, endless
 * pagination) by rule, and can paginate tag lists. Everything else reaches the registry unchanged.
 */
export async function startFaultProxy(upstream: string, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  let rule: ProxyRule | undefined;
  let count = 0;
  const requests: Array<ProxiedRequest & { status: number; at: number }> = [];

  const forward = (req: http.IncomingMessage, body: Buffer, pathOverride?: string): Promise<ProxyResponse> =>
    new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: pathOverride ?? req.url, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
            // The registry writes absolute Location/Link URLs with its own host: point them at the proxy.
            for (const k of ['location', 'link']) if (out[k]) out[k] = (out[k] as string).split(upstream).join(`http://${req.headers.host}`);
            resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const paginate = async (req: http.IncomingMessage, body: Buffer, url: URL, pageSize: number): Promise<ProxyResponse> => {
    const upstreamRes = await forward(req, body, url.pathname);
    if (upstreamRes.status !== 200) return upstreamRes;
    const doc = JSON.parse(upstreamRes.body.toString('utf8')) as { name: string; tags: string[] | null };
    const all = [...(doc.tags ?? [])].sort();
    const n = Math.min(pageSize, Number(url.searchParams.get('n') ?? pageSize) || pageSize);
    const last = url.searchParams.get('last');
    const start = last === null ? 0 : all.findIndex((t) => t > last);
    const page = start < 0 ? [] : all.slice(start, start + n);
    const headers: Record<string, string> = { ...upstreamRes.headers, 'content-type': 'application/json; charset=utf-8' };
    delete headers.link;
    const lastOfPage = page[page.length - 1];
    if (start >= 0 && start + n < all.length && lastOfPage !== undefined) {
      headers.link = `<${url.pathname}?last=${encodeURIComponent(lastOfPage)}&n=${n}>; rel="next"`;
    }
    return { status: 200, headers, body: Buffer.from(JSON.stringify({ name: doc.name, tags: page })) };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const info: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', authorized: req.headers.authorization !== undefined };
        const at = Date.now();
        count++;
        const action = rule?.(info, count) ?? { kind: 'forward' };
        let out: ProxyResponse;
        try {
          if (action.kind === 'stall') {
            await new Promise((r) => setTimeout(r, action.ms));
            if (res.destroyed) {
              requests.push({ ...info, status: 0, at });
              return;
            }
          }
          if (action.kind === 'respond') {
            out = { status: action.status, headers: action.headers ?? {}, body: Buffer.from(action.body ?? '') };
          } else {
            const url = new URL(info.path, 'http://proxy');
            const base =
              opts.pageSize !== undefined && info.method === 'GET' && /^\/v2\/.+\/tags\/list$/.test(url.pathname)
                ? await paginate(req, body, url, opts.pageSize)
                : await forward(req, body);
            out = action.kind === 'rewrite' ? action.rewrite(base) : base;
          }
        } catch (err) {
          out = { status: 502, headers: {}, body: Buffer.from(`proxy: ${(err as Error).message}`) };
        }
        requests.push({ ...info, status: out.status, at });
        const headers: Record<string, string> = { ...out.headers };
        if (info.method !== 'HEAD') headers['content-length'] = String(out.body.length);
        res.writeHead(out.status, headers);
        res.end(info.method === 'HEAD' ? undefined : out.body);
      })();
    });
  });
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  let stopping: Promise<void> | undefined;
  let isDown = false;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    setRule(r) {
      rule = r;
    },
    async down() {
      if (isDown || stopping) return;
      isDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    async up() {
      if (!isDown || stopping) return;
      await listen(port);
      isDown = false;
    },
    stop() {
      stopping ??= (async () => {
        if (isDown) return;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
