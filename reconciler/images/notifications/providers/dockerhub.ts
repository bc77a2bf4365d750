import { z } from 'zod';
import { parseJsonPayload } from '../../../http';
import { repositoryNameSchema, tagSchema } from '../image-push-event';
import type { RegistryPushProvider } from '../registry-push-provider';

const payloadSchema = z.object({
  push_data: z.object({ tag: tagSchema.optional() }),
  repository: z.object({ repo_name: repositoryNameSchema }),
});

/**
 * Docker Hub repository webhooks. Docker Hub neither signs deliveries nor lets you set headers,
 * so the shared secret travels in the webhook URL (`?token=<secret>`); a proxy in front may
 * instead send it as `X-FluxOps-Token`. Every delivery is a push; the digest is not reported.
 */
export const dockerhubProvider: RegistryPushProvider = {
  provider: 'dockerhub',
  contentTypes: ['application/json'],
  contentTypeHint: 'Docker Hub sends application/json; check proxies in between',
  defaultAuth: [
    { kind: 'query', name: 'token' },
    { kind: 'header', name: 'X-FluxOps-Token', scheme: '' },
  ],
  parse(body, input) {
    const p = parseJsonPayload(payloadSchema, body, input);
    const tag = p.push_data.tag;
    return { kind: 'pushes', events: [{ registryHost: 'docker.io', repository: p.repository.repo_name, ...(tag ? { tag } : {}) }], total: 1 };
  },
};
