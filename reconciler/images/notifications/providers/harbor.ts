import { z } from 'zod';
import { parseJsonPayload, validatePayload } from '../../../http';
import { digestSchema, looksLikeDigest, repositoryNameSchema, tagSchema, type ImagePushEvent } from '../image-push-event';
import type { RegistryPushProvider } from '../registry-push-provider';

const typeSchema = z.looseObject({ type: z.string().min(1) });

const pushSchema = z.object({
  type: z.literal('PUSH_ARTIFACT'),
  event_data: z.object({
    resources: z
      .array(
        z.object({
          digest: digestSchema.optional(),
          // A push by digest reports the digest here.
          tag: z.union([tagSchema, digestSchema]).optional(),
          resource_url: z.string().optional(),
        }),
      )
      .min(1),
    repository: z.object({ repo_full_name: repositoryNameSchema }),
  }),
});

/**
 * Harbor project webhooks (payload format "Default"): `type: PUSH_ARTIFACT` with
 * `event_data.resources[]` (tag, digest, resource_url) and `event_data.repository.repo_full_name`.
 * The policy's "Auth Header" is sent verbatim as `Authorization`; set it to `Bearer <secret>`.
 * Other event types (pull, delete, scans, quota) are ignored.
 */
export const harborProvider: RegistryPushProvider = {
  provider: 'harbor',
  contentTypes: ['application/json'],
  contentTypeHint: 'choose the "Default" payload format (CloudEvents is not supported)',
  defaultAuth: [{ kind: 'header', name: 'Authorization', scheme: 'Bearer' }],
  parse(body, input) {
    const data = parseJsonPayload(typeSchema, body, input);
    if (data.type !== 'PUSH_ARTIFACT') return { kind: 'other', name: data.type };
    const p = validatePayload(pushSchema, data, input);
    const repository = p.event_data.repository.repo_full_name;
    const events: ImagePushEvent[] = p.event_data.resources.map((r) => {
      const host = hostFromResourceUrl(r.resource_url, repository);
      const tag = r.tag !== undefined && !looksLikeDigest(r.tag) ? r.tag : undefined;
      return { ...(host ? { registryHost: host } : {}), repository, ...(tag ? { tag } : {}), ...(r.digest ? { digest: r.digest } : {}) };
    });
    return { kind: 'pushes', events, total: events.length };
  },
};

/** `harbor.example.com/library/app:1.0` -> `harbor.example.com`, when the URL starts with `<host>/<repository>`. */
function hostFromResourceUrl(url: string | undefined, repository: string): string | undefined {
  if (!url) return undefined;
  const at = url.indexOf(`/${repository}`);
  if (at <= 0) return undefined;
  const rest = url.slice(at + repository.length + 1);
  if (rest !== '' && !rest.startsWith(':') && !rest.startsWith('@')) return undefined;
  return url.slice(0, at).toLowerCase();
}
