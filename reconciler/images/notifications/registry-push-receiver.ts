import {
  checkMaxBodyBytes,
  HttpRequestError,
  normalizeSecrets,
  requireBodyWithin,
  requireContentType,
  requireToken,
  WebhookConfigError,
  type SecretInput,
  type TokenLocation,
  type WebhookRequest,
} from '../../http';
import type { ImagePushEvent, RegistryProvider, RegistryPushDecision } from './image-push-event';
import { distributionProvider } from './providers/distribution';
import { dockerhubProvider } from './providers/dockerhub';
import { harborProvider } from './providers/harbor';
import type { RegistryPushProvider } from './registry-push-provider';

/** The provider implementations, by name. */
export const REGISTRY_PUSH_PROVIDERS: Readonly<Record<RegistryProvider, RegistryPushProvider>> = {
  distribution: distributionProvider,
  dockerhub: dockerhubProvider,
  harbor: harborProvider,
};

/** Options for {@link createRegistryPushReceiver}. */
export interface RegistryPushReceiverOptions {
  readonly provider: RegistryProvider;
  /** The shared secret (or several while rotating), read by the caller from a file or the environment. Never logged. */
  readonly secret: SecretInput;
  /**
   * Header that carries the secret, for `distribution` (whatever its `headers:` config sends) and
   * `harbor`. Docker Hub always takes the `token` query parameter and also this header.
   * @default 'Authorization' (distribution, harbor); 'X-FluxOps-Token' (dockerhub)
   */
  readonly authHeader?: string;
  /** Scheme before the secret in that header; `''` for the bare secret. @default 'Bearer' for Authorization, otherwise '' */
  readonly authScheme?: string;
  /** Largest body accepted. @default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** Turns notifications of one registry into decisions. Pure: no I/O. */
export interface RegistryPushReceiver {
  readonly provider: RegistryProvider;
  readonly contentTypes: readonly string[];
  readonly contentTypeHint: string;
  readonly maxBodyBytes: number;
  /** Decides about one notification: 415, 413, 401, 400, then push or not. Never throws for bad input. */
  receive(req: WebhookRequest): RegistryPushDecision;
}

/** Builds a receiver; throws {@link WebhookConfigError} for an empty secret or a bad option. */
export function createRegistryPushReceiver(opts: RegistryPushReceiverOptions): RegistryPushReceiver {
  const spec = REGISTRY_PUSH_PROVIDERS[opts.provider];
  const name = `${String(opts.provider)} registry receiver`;
  if (spec === undefined) {
    throw new WebhookConfigError({ input: 'registry receiver', field: 'provider', value: opts.provider, reason: `must be one of ${Object.keys(REGISTRY_PUSH_PROVIDERS).join(', ')}` });
  }
  const secrets = normalizeSecrets(opts.secret, name);
  const maxBodyBytes = checkMaxBodyBytes(opts.maxBodyBytes, name);
  const locations = authLocations(spec, opts, name);

  return {
    provider: spec.provider,
    contentTypes: spec.contentTypes,
    contentTypeHint: spec.contentTypeHint,
    maxBodyBytes,
    receive(req) {
      const input = req.input ?? `${spec.provider} registry webhook`;
      const provider = spec.provider;
      try {
        requireContentType(req.headers, spec.contentTypes, input, spec.contentTypeHint);
        requireBodyWithin(req.body, maxBodyBytes, input);
        requireToken({ headers: req.headers, ...(req.query ? { query: req.query } : {}), locations, secrets, input });
        const parsed = spec.parse(req.body, input);
        if (parsed.kind === 'other') {
          return { kind: 'ignored', provider, reason: 'event-not-push', detail: `event ${JSON.stringify(parsed.name)} is not a push` };
        }
        const events = dedupe(parsed.events);
        if (events.length === 0) {
          return { kind: 'ignored', provider, reason: 'no-manifest-push', detail: `none of the ${parsed.total} event(s) is a manifest push` };
        }
        return { kind: 'accepted', provider, event: events };
      } catch (err) {
        if (err instanceof HttpRequestError) return { kind: 'rejected', provider, error: err };
        throw err;
      }
    },
  };
}

function authLocations(spec: RegistryPushProvider, opts: RegistryPushReceiverOptions, name: string): readonly TokenLocation[] {
  if (opts.authHeader === undefined && opts.authScheme === undefined) return spec.defaultAuth;
  const header = opts.authHeader ?? (spec.provider === 'dockerhub' ? 'X-FluxOps-Token' : 'Authorization');
  if (!/^[A-Za-z0-9-]+$/.test(header)) throw new WebhookConfigError({ input: name, field: 'authHeader', value: header, reason: 'must be a header name' });
  const scheme = opts.authScheme ?? (header.toLowerCase() === 'authorization' ? 'Bearer' : '');
  if (/\s/.test(scheme)) throw new WebhookConfigError({ input: name, field: 'authScheme', value: scheme, reason: 'must be one word such as Bearer, or empty' });
  const headerLoc: TokenLocation = { kind: 'header', name: header, scheme };
  return spec.provider === 'dockerhub' ? [{ kind: 'query', name: 'token' }, headerLoc] : [headerLoc];
}

function dedupe(events: readonly ImagePushEvent[]): ImagePushEvent[] {
  const seen = new Set<string>();
  const out: ImagePushEvent[] = [];
  for (const e of events) {
    const key = `${e.registryHost ?? ''}|${e.repository}|${e.tag ?? ''}|${e.digest ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
