import { webhookResponse, type HttpRoute } from '../../http';
import type { GitPushReceiver } from './git-push-receiver';
import type { GitPushDecision, PushEvent } from './push-event';

/** Options for {@link gitPushRoute}. */
export interface GitPushRouteOptions {
  /**
   * Called for every accepted push, before the 202 is sent; typically `trigger.fire(event)`
   * without awaiting the run. Not called for ignored or rejected deliveries.
   */
  readonly onPush: (event: PushEvent) => void;
  /** Called for every decision (accepted, ignored, rejected), e.g. to log it or count it. Decisions hold no secrets. */
  readonly onDecision?: (decision: GitPushDecision) => void;
  /** @default `/hooks/git/<provider>` */
  readonly path?: string;
}

/**
 * Mounts a push receiver as `POST /hooks/git/<provider>`: 202 for an accepted push, 200 for an
 * ignored one, 401/400/413/415 with a JSON error body for a rejected one.
 */
export function gitPushRoute(receiver: GitPushReceiver, opts: GitPushRouteOptions): HttpRoute {
  return {
    method: 'POST',
    path: opts.path ?? `/hooks/git/${receiver.provider}`,
    contentTypes: receiver.contentTypes,
    contentTypeHint: receiver.contentTypeHint,
    maxBodyBytes: receiver.maxBodyBytes,
    handle(req) {
      const decision = receiver.receive(req);
      opts.onDecision?.(decision);
      if (decision.kind === 'accepted') opts.onPush(decision.event);
      return webhookResponse(decision, (e) => ({ branch: e.branch, commit: e.commit }));
    },
    onRefused(error) {
      opts.onDecision?.({ kind: 'rejected', provider: receiver.provider, error });
    },
  };
}
