import { z } from 'zod';
import { headerValue, InvalidRequestError, parseJsonPayload, requireHmacSignature } from '../../../http';
import { commitIdSchema, isZeroCommit, urlList, type GitPushProvider } from '../git-push-provider';

const pushSchema = z.object({
  ref: z.string().min(1),
  after: commitIdSchema,
  deleted: z.boolean().optional(),
  repository: z
    .object({ clone_url: z.string().optional(), ssh_url: z.string().optional(), html_url: z.string().optional() })
    .refine((r) => urlList(r.clone_url, r.ssh_url, r.html_url).length > 0, 'needs at least one of clone_url, ssh_url, html_url'),
});

/**
 * GitHub (github.com and GitHub Enterprise Server): `X-Hub-Signature-256: sha256=<hex>` over the
 * raw body, `X-GitHub-Event: push` (or `ping` when the hook is created), `X-GitHub-Delivery`.
 * The hook's content type must be `application/json` (GitHub's default is form-encoded).
 */
export const githubProvider: GitPushProvider = {
  provider: 'github',
  contentTypes: ['application/json'],
  contentTypeHint: 'set the webhook\'s "Content type" to application/json',
  deliveryHeader: 'X-GitHub-Delivery',
  authenticate(req, secrets, input) {
    requireHmacSignature({ headers: req.headers, body: req.body, header: 'X-Hub-Signature-256', prefix: 'sha256=', secrets, input });
  },
  classify(req, input) {
    const event = headerValue(req.headers, 'X-GitHub-Event')?.trim();
    if (!event) throw new InvalidRequestError({ input, field: 'X-GitHub-Event', reason: 'is missing (not a GitHub webhook delivery?)' });
    if (event === 'push') return { kind: 'push' };
    if (event === 'ping') return { kind: 'ping' };
    return { kind: 'other', name: event };
  },
  parsePush(body, input) {
    const p = parseJsonPayload(pushSchema, body, input);
    return {
      ref: p.ref,
      commit: p.after,
      deleted: p.deleted === true || isZeroCommit(p.after),
      repositoryUrls: urlList(p.repository.clone_url, p.repository.ssh_url, p.repository.html_url),
    };
  },
};
