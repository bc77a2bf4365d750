import type { HttpRequestError } from './errors';
import { errorResponse, jsonResponse, type HttpResponse } from './request';

/**
 * What a webhook receiver decided about one delivery, as data. The caller logs it (it holds no
 * secret) and acts only on `accepted`; the route turns it into an HTTP answer with
 * {@link webhookResponse}.
 *
 * - `accepted`: authenticated, well-formed and relevant: `event` says what changed (202).
 * - `ignored`: authenticated and well-formed, but not for us (another repository or branch, a
 *   ping, a deleted branch, a pull event); `reason` is a stable code, `detail` a sentence (200,
 *   so the sender does not retry or mark the hook as failing).
 * - `rejected`: bad or missing credentials, wrong content type, too large, malformed (4xx).
 *   Nothing is triggered.
 */
export type WebhookDecision<E, R extends string = string> =
  | { readonly kind: 'accepted'; readonly provider: string; readonly deliveryId?: string; readonly event: E }
  | { readonly kind: 'ignored'; readonly provider: string; readonly deliveryId?: string; readonly reason: R; readonly detail: string }
  | { readonly kind: 'rejected'; readonly provider: string; readonly deliveryId?: string; readonly error: HttpRequestError };

/** Turns a decision into the HTTP answer: 202 accepted, 200 ignored, the error's status for rejected (JSON bodies). */
export function webhookResponse<E>(decision: WebhookDecision<E>, summarize: (event: E) => Record<string, unknown>): HttpResponse {
  const id = decision.deliveryId !== undefined ? { deliveryId: decision.deliveryId } : {};
  switch (decision.kind) {
    case 'accepted':
      return jsonResponse(202, { result: 'accepted', provider: decision.provider, ...id, ...summarize(decision.event) });
    case 'ignored':
      return jsonResponse(200, { result: 'ignored', provider: decision.provider, ...id, reason: decision.reason, detail: decision.detail });
    case 'rejected':
      return errorResponse(decision.error);
  }
}
