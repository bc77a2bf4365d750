import { webhookResponse, type HttpRoute } from '../../http';
import type { ImagePushEvent, RegistryPushDecision } from './image-push-event';
import type { RegistryPushReceiver } from './registry-push-receiver';

/** Options for {@link registryPushRoute}. */
export interface RegistryPushRouteOptions {
  /** Called with the pushes of every accepted notification, before the 202 is sent; typically maps them to repository scans. */
  readonly onPush: (events: readonly ImagePushEvent[]) => void;
  /** Called for every decision (accepted, ignored, rejected), e.g. to log or count it. Decisions hold no secrets. */
  readonly onDecision?: (decision: RegistryPushDecision) => void;
  /** @default `/hooks/registry/<provider>` */
  readonly path?: string;
}

/**
 * Mounts a registry receiver as `POST /hooks/registry/<provider>`: 202 accepted, 200 ignored,
 * 401/400/413/415 with a JSON error body. (distribution retries a delivery until it gets a 2xx or
 * 3xx, so a misconfigured secret shows up as repeated 401s in its log and in the webhook metrics.)
 */
export function registryPushRoute(receiver: RegistryPushReceiver, opts: RegistryPushRouteOptions): HttpRoute {
  return {
    method: 'POST',
    path: opts.path ?? `/hooks/registry/${receiver.provider}`,
    contentTypes: receiver.contentTypes,
    contentTypeHint: receiver.contentTypeHint,
    maxBodyBytes: receiver.maxBodyBytes,
    handle(req) {
      const decision = receiver.receive(req);
      opts.onDecision?.(decision);
      if (decision.kind === 'accepted') opts.onPush(decision.event);
      return webhookResponse(decision, (events) => ({
        events: events.map((e) => ({ repository: e.repository, ...(e.tag ? { tag: e.tag } : {}), ...(e.digest ? { digest: e.digest } : {}) })),
      }));
    },
    onRefused(error) {
      opts.onDecision?.({ kind: 'rejected', provider: receiver.provider, error });
    },
  };
}
