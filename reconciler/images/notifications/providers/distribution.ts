import { z } from 'zod';
import { parseJsonPayload, validatePayload } from '../../../http';
import { digestSchema, repositoryNameSchema, tagSchema, type ImagePushEvent } from '../image-push-event';
import type { RegistryPushProvider } from '../registry-push-provider';

/** The media type distribution sends its event envelopes with. */
export const DISTRIBUTION_EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

// Only the action is read for every event; other actions (pull, delete, mount) vary in shape.
const envelopeSchema = z.object({ events: z.array(z.looseObject({ action: z.string() })) });

const pushEventSchema = z.object({
  action: z.literal('push'),
  target: z.object({
    mediaType: z.string().optional(),
    digest: digestSchema.optional(),
    repository: repositoryNameSchema,
    tag: tagSchema.optional(),
    url: z.string().optional(),
  }),
  request: z.object({ host: z.string().optional() }).optional(),
});

/** Manifest media types; pushes of anything else (`application/octet-stream` blobs, layers) do not change a tag. */
const MANIFEST_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/**
 * The distribution registry (Debian's `docker-registry`, `registry:2`, GitLab's container
 * registry, ...): an envelope `{ "events": [...] }` posted to each `notifications.endpoints` URL
 * with the headers configured there. Manifest pushes become events (children of a multi-arch index
 * are pushed by digest, so only the index carries the tag); blob pushes, pulls and deletes do not.
 */
export const distributionProvider: RegistryPushProvider = {
  provider: 'distribution',
  contentTypes: [DISTRIBUTION_EVENTS_MEDIA_TYPE, 'application/json'],
  contentTypeHint: 'distribution sends this type itself; check proxies in between',
  defaultAuth: [{ kind: 'header', name: 'Authorization', scheme: 'Bearer' }],
  parse(body, input) {
    const envelope = parseJsonPayload(envelopeSchema, body, input);
    const events: ImagePushEvent[] = [];
    envelope.events.forEach((e, i) => {
      if (e.action !== 'push') return;
      const push = validatePayload(pushEventSchema, e, input, ['events', i]);
      const t = push.target;
      // A tag means a manifest; otherwise the media type decides, and the URL only when there is none.
      const isManifest = t.tag !== undefined || (t.mediaType !== undefined ? MANIFEST_MEDIA_TYPES.has(t.mediaType) : (t.url?.includes('/manifests/') ?? false));
      if (!isManifest) return;
      events.push({
        ...(push.request?.host ? { registryHost: push.request.host } : {}),
        repository: t.repository,
        ...(t.tag !== undefined ? { tag: t.tag } : {}),
        ...(t.digest !== undefined ? { digest: t.digest } : {}),
      });
    });
    return { kind: 'pushes', events, total: envelope.events.length };
  },
};
