import { RegistryInvalidResponseError, RegistryUnavailableError, type RegistryErrorContext } from './errors';
import { parseRetryAfter } from './http-headers';

/** Time and randomness, injectable so retries are deterministic in tests. */
export interface RegistryClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

/** The real clock. */
export const SYSTEM_CLOCK: RegistryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** How faults are retried. */
export interface RetryOptions {
  /** Attempts in total, the first included. @default 4 */
  readonly attempts: number;
  /** Backoff before the first retry (doubles each time, with jitter). @default 250 */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff. @default 8000 */
  readonly maxDelayMs: number;
  /** Upper bound of a wait the registry asks for with `Retry-After`. @default 60000 */
  readonly maxRetryAfterMs: number;
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

/**
 * Delay before retry number `retry` (1 for the first retry): exponential, capped, with "equal
 * jitter" (half fixed, half random) so clients that failed together do not retry together.
 */
export function backoffDelay(retry: number, opts: RetryOptions, random: () => number): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** Statuses worth retrying: request timeout, rate limiting, and server errors other than "not implemented". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** One HTTP request. */
export interface TransportRequest {
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Bodies larger than this are refused (`too-large`). */
  readonly maxBytes: number;
}

/** A response with its body read. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  /** Final URL (after redirects). */
  readonly url: string;
}

/** Options of {@link RegistryTransport}. */
export interface TransportOptions {
  readonly fetch: typeof fetch;
  readonly clock: RegistryClock;
  readonly retry: RetryOptions;
  /** Per attempt, body included. */
  readonly timeoutMs: number;
}

/**
 * `fetch` with a timeout per attempt, a body size limit, and retries with exponential backoff and
 * jitter on network errors, timeouts, 5xx and 429 (honouring `Retry-After`, capped). Returns the
 * last response for any other status; throws {@link RegistryUnavailableError} when retries run out.
 */
export class RegistryTransport {
  constructor(private readonly opts: TransportOptions) {}

  async send(req: TransportRequest, ctx: RegistryErrorContext): Promise<TransportResponse> {
    const { retry, clock } = this.opts;
    let lastStatus: number | undefined;
    let lastError: unknown;
    let detail = '';
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      let wait: number | undefined;
      try {
        const res = await this.once(req, ctx);
        if (!isRetryableStatus(res.status)) return res;
        lastStatus = res.status;
        lastError = undefined;
        detail = `${req.method} ${redactUrl(req.url)} answered HTTP ${res.status}`;
        const after = parseRetryAfter(res.headers.get('retry-after'), clock.now());
        if (after !== undefined) wait = Math.min(after, retry.maxRetryAfterMs);
      } catch (err) {
        if (err instanceof RegistryInvalidResponseError) throw err;
        lastError = err;
        lastStatus = undefined;
        detail = `${req.method} ${redactUrl(req.url)} failed: ${networkReason(err)}`;
      }
      if (attempt < retry.attempts) await clock.sleep(wait ?? backoffDelay(attempt, retry, clock.random));
    }
    throw new RegistryUnavailableError(ctx, detail, { attempts: retry.attempts, lastStatus, cause: lastError });
  }

  private async once(req: TransportRequest, ctx: RegistryErrorContext): Promise<TransportResponse> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    const res = await this.opts.fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: 'follow', signal });
    const declared = Number(res.headers.get('content-length') ?? 'NaN');
    if (req.method !== 'HEAD' && Number.isFinite(declared) && declared > req.maxBytes) {
      await res.body?.cancel();
      throw new RegistryInvalidResponseError(ctx, 'too-large', `body of ${declared} bytes exceeds the limit of ${req.maxBytes}`, { status: res.status });
    }
    const body = req.method === 'HEAD' ? Buffer.alloc(0) : await readLimited(res, req.maxBytes, ctx);
    return { status: res.status, headers: res.headers, body, url: res.url || req.url };
  }
}

async function readLimited(res: Response, maxBytes: number, ctx: RegistryErrorContext): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new RegistryInvalidResponseError(ctx, 'too-large', `body exceeds the limit of ${maxBytes} bytes`, { status: res.status });
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/** A network error in words: the system error code when there is one (ECONNREFUSED, timeout). */
function networkReason(err: unknown): string {
  // AbortSignal.timeout rejects with a DOMException named TimeoutError.
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timed out';
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** A URL for messages: no userinfo, no query (token requests carry scopes, never secrets, but stay terse). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
