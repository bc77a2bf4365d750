import { z } from 'zod';
import type { WebhookDecision } from '../../http';

/**
 * Registries whose push notifications FluxOps understands: `distribution` (the CNCF/Docker
 * registry's `notifications.endpoints`, also used by GitLab's and many self-hosted registries),
 * `dockerhub` (Docker Hub repository webhooks) and `harbor` (Harbor project webhooks, Default payload format).
 */
export type RegistryProvider = 'distribution' | 'dockerhub' | 'harbor';

/** Every {@link RegistryProvider}, for routes and table-driven tests. */
export const REGISTRY_PROVIDERS: readonly RegistryProvider[] = ['distribution', 'dockerhub', 'harbor'];

/** One manifest pushed to a registry. The caller maps it to a scan of that repository. */
export interface ImagePushEvent {
  /** Registry host as the sender names it (`registry.local:5000`, `docker.io`), when it says. */
  readonly registryHost?: string;
  /** Repository path inside the registry, e.g. `edge/sensor-gateway`. */
  readonly repository: string;
  /** The tag pushed, if the push was by tag. */
  readonly tag?: string;
  /** Digest of the pushed manifest or index, when the sender reports it. */
  readonly digest?: string;
}

/**
 * Why an authenticated, well-formed notification triggers nothing: `event-not-push` (a pull,
 * delete, scan or other event type), `no-manifest-push` (only blob pushes or other actions).
 */
export type RegistryPushIgnoreReason = 'event-not-push' | 'no-manifest-push';

/** What a registry push receiver decided about one notification. */
export type RegistryPushDecision = WebhookDecision<readonly ImagePushEvent[], RegistryPushIgnoreReason>;

/** An OCI repository name (distribution spec: lowercase path components separated by `/`). */
export const repositoryNameSchema = z
  .string()
  .max(255)
  .regex(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/, 'must be a repository name such as edge/app (lowercase, "/"-separated)');

/** An OCI tag. */
export const tagSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a tag (letters, digits, "_.-", at most 128)');

/** An OCI digest, e.g. `sha256:<64 hex>`. */
export const digestSchema = z.string().regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/, 'must be a digest such as sha256:<64 hex digits>');

/** Whether `value` has the shape of a digest (Harbor reports digest-only pushes with the digest as `tag`). */
export function looksLikeDigest(value: string): boolean {
  return digestSchema.safeParse(value).success;
}
