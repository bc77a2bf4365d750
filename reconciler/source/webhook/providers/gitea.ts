import { z } from 'zod';
import { headerValue, InvalidRequestError, parseJsonPayload, requireHmacSignature } from '../../../http';
import { commitIdSchema, isZeroCommit, urlList, type GitPushProvider } from '../git-push-provider';

const pushSchema = z.object({
  ref: z.string().min(1),
  after: commitIdSchema,
  repository: z
    .object({ clone_url: z.string().optional(), ssh_url: z.string().optional(), html_url: z.string().optional() })
    .refine((r) => urlList(r.clone_url, r.ssh_url, r.html_url).length > 0, 'needs at least one of clone_url, ssh_url, html_url'),
});

/**
 * Gitea (and Forgejo, which sends the same headers): `X-Gitea-Signature: <hex>` (HMAC-SHA256 of
 * the raw body, no prefix), `X-Gitea-Event: push`, `X-Gitea-Delivery`. The hook's "POST content
 * type" must be `application/json`.
 */
export const giteaProvider: GitPushProvider = {
  provider: 'gitea',
  contentTypes: ['application/json'],
  contentTypeHint: 'set the webhook\'s "POST content type" to application/json',
  deliveryHeader: 'X-Gitea-Delivery',
  authenticate(req, secrets, input) {
    requireHmacSignature({ headers: req.headers, body: req.body, header: 'X-Gitea-Signature', prefix: '', secrets, input });
  },
  classify(req, input) {
    const event = headerValue(req.headers, 'X-Gitea-Event')?.trim();
    if (!event) throw new InvalidRequestError({ input, field: 'X-Gitea-Event', reason: 'is missing (not a Gitea webhook delivery?)' });
    return event === 'push' ? { kind: 'push' } : { kind: 'other', name: event };
  },
  parsePush(body, input) {
    const p = parseJsonPayload(pushSchema, body, input);
    return {
      ref: p.ref,
      commit: p.after,
      deleted: isZeroCommit(p.after),
      repositoryUrls: urlList(p.repository.clone_url, p.repository.ssh_url, p.repository.html_url),
    };
  },
};
