/** User agent of every notification request (GitHub refuses requests without one). */
export const USER_AGENT = 'fluxops-notify/1';

/**
 * One HTTP request a renderer produced, ready to send. `url` and `headers` may hold secrets (a
 * Slack webhook URL, an Authorization header): only `target` may be shown in logs and errors.
 */
export interface OutgoingRequest {
  readonly method: 'POST';
  /** Where to send it (secret for webhook, Slack and Teams destinations). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes sent (as UTF-8). */
  readonly body: string;
  /** What the request is, for logs: never a secret (`slack ops-alerts`, `github api.github.com acme/fleet statuses abc1234 fluxops/factory-a`). */
  readonly target: string;
}

/** What a renderer made of an event for one destination. */
export type RenderResult =
  /** Send these, in order. */
  | { readonly kind: 'requests'; readonly requests: readonly OutgoingRequest[] }
  /** The event has nothing for this destination (an image refusal has no commit to set a status on). */
  | { readonly kind: 'not-applicable'; readonly reason: string };
