import { parseRetryAfter } from '../images/registry/http-headers';
import type { OutgoingRequest } from './render';

/** How failed deliveries are retried. */
export interface NotifyRetryOptions {
  /** Attempts in total, the first included. @default 5 */
  readonly attempts: number;
  /** Backoff before the first retry; doubles with each retry. @default 1000 */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff. @default 60000 */
  readonly maxDelayMs: number;
  /** Upper bound of a wait a receiver asks for with `Retry-After` (longer requests wait this long). @default 300000 */
  readonly maxRetryAfterMs: number;
}

/** Defaults of {@link NotifyRetryOptions}. */
export const DEFAULT_NOTIFY_RETRY: NotifyRetryOptions = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, maxRetryAfterMs: 300_000 };

/**
 * Delay before retry number `retry` (1 for the first): exponential, capped, with "equal jitter"
 * (half fixed, half random) so destinations that failed together do not retry in lockstep.
 */
export function notifyBackoff(retry: number, opts: NotifyRetryOptions, random: () => number): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** Statuses worth retrying: request timeout, rate limiting, server errors other than "not implemented". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** The outcome of one attempt. `detail` may quote the receiver: redact before showing it. */
export type AttemptOutcome =
  /** 2xx. */
  | { readonly kind: 'delivered'; readonly status: number }
  /** A fault worth retrying: network error, timeout, 408, 429, 5xx. */
  | { readonly kind: 'retryable'; readonly status?: number; readonly retryAfterMs?: number; readonly detail: string }
  /** The receiver refused the request for good (other 3xx/4xx): retrying would not help. */
  | { readonly kind: 'rejected'; readonly status: number; readonly detail: string };

/** Options of {@link sendOnce}. */
export interface SendOptions {
  readonly fetch: typeof fetch;
  /** Whole attempt, response body included. */
  readonly timeoutMs: number;
  /** Aborts the attempt (shutdown). */
  readonly signal?: AbortSignal;
  /** For `Retry-After` dates. */
  readonly now: number;
}

/** Bytes of a response body quoted in `detail` (GitHub's and Slack's error texts are short). */
const SNIPPET_BYTES = 300;

/** Sends one request once and classifies the outcome; never throws. */
export async function sendOnce(req: OutgoingRequest, opts: SendOptions): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    // Redirects are not followed: a webhook that redirects is misconfigured, and following one
    // would resend the signed body (and an Authorization header) to wherever it points.
    const res = await opts.fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual', signal });
    const snippet = await readSnippet(res);
    if (res.status >= 200 && res.status < 300) return { kind: 'delivered', status: res.status };
    const detail = `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`;
    if (isRetryableStatus(res.status)) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), opts.now);
      return { kind: 'retryable', status: res.status, detail, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    return { kind: 'rejected', status: res.status, detail };
  } catch (err) {
    if (timeout.aborted) return { kind: 'retryable', detail: `timed out after ${opts.timeoutMs} ms` };
    if (opts.signal?.aborted) return { kind: 'retryable', detail: 'aborted by shutdown' };
    return { kind: 'retryable', detail: networkReason(err) };
  }
}

async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** A network error in words: the system error code when there is one. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') {
    const words: Record<string, string> = { ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset', ENOTFOUND: 'host not found', EAI_AGAIN: 'DNS lookup failed' };
    return words[cause.code] ? `${words[cause.code]} (${cause.code})` : cause.code;
  }
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
