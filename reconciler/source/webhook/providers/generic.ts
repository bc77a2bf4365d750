import { z } from 'zod';
import { parseJsonPayload, requireHmacSignature } from '../../../http';
import { commitIdSchema, type GitPushProvider } from '../git-push-provider';

/** The generic push payload: the repository URL, the branch name and the new commit. */
export const genericPushSchema = z.object({
  repository: z.string().min(1),
  branch: z
    .string()
    .min(1)
    .regex(/^(?!refs\/)(?!.*\.\.)(?!.*\/\/)[^\s~^:?*[\\]+$/, 'must be a branch name without refs/heads/ (no spaces, "..", "~^:?*[\\")'),
  commit: commitIdSchema,
});

/** What a sender posts to the generic receiver (see {@link genericProvider}). */
export type GenericPushPayload = z.infer<typeof genericPushSchema>;

/**
 * FluxOps' own push notification, for CI jobs and hosts without a supported webhook format:
 * `POST` a JSON body `{ "repository": "<url>", "branch": "<name>", "commit": "<sha>" }` with
 * `Content-Type: application/json` and `X-Signature-256: sha256=<hex HMAC-SHA256 of the body>`;
 * an optional `X-Delivery-Id` is echoed in logs. Every delivery is a push.
 */
export const genericProvider: GitPushProvider = {
  provider: 'generic',
  contentTypes: ['application/json'],
  contentTypeHint: 'send Content-Type: application/json',
  deliveryHeader: 'X-Delivery-Id',
  authenticate(req, secrets, input) {
    requireHmacSignature({ headers: req.headers, body: req.body, header: 'X-Signature-256', prefix: 'sha256=', secrets, input });
  },
  classify() {
    return { kind: 'push' };
  },
  parsePush(body, input) {
    const p = parseJsonPayload(genericPushSchema, body, input);
    return { ref: `refs/heads/${p.branch}`, commit: p.commit, deleted: false, repositoryUrls: [p.repository] };
  },
};
