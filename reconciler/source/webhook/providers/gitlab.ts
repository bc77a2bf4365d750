import { z } from 'zod';
import { headerValue, InvalidRequestError, parseJsonPayload, requireToken } from '../../../http';
import { commitIdSchema, isZeroCommit, urlList, type GitPushProvider } from '../git-push-provider';

const urls = z.object({ git_http_url: z.string().optional(), git_ssh_url: z.string().optional(), web_url: z.string().optional() });

const pushSchema = z.object({
  ref: z.string().min(1),
  after: commitIdSchema,
  // null when the push deleted the branch
  checkout_sha: commitIdSchema.nullish(),
  project: urls.refine((p) => urlList(p.git_http_url, p.git_ssh_url, p.web_url).length > 0, 'needs at least one of git_http_url, git_ssh_url, web_url'),
});

/**
 * GitLab: `X-Gitlab-Token` carries the hook's secret token as is (GitLab does not sign the body),
 * compared by hash in constant time; `X-Gitlab-Event: Push Hook`; `X-Gitlab-Event-UUID`.
 * Tag pushes (`Tag Push Hook`) and other events are ignored.
 */
export const gitlabProvider: GitPushProvider = {
  provider: 'gitlab',
  contentTypes: ['application/json'],
  contentTypeHint: 'GitLab always sends application/json; check proxies in between',
  deliveryHeader: 'X-Gitlab-Event-UUID',
  authenticate(req, secrets, input) {
    requireToken({ headers: req.headers, locations: [{ kind: 'header', name: 'X-Gitlab-Token', scheme: '' }], secrets, input });
  },
  classify(req, input) {
    const event = headerValue(req.headers, 'X-Gitlab-Event')?.trim();
    if (!event) throw new InvalidRequestError({ input, field: 'X-Gitlab-Event', reason: 'is missing (not a GitLab webhook delivery?)' });
    return event === 'Push Hook' ? { kind: 'push' } : { kind: 'other', name: event };
  },
  parsePush(body, input) {
    const p = parseJsonPayload(pushSchema, body, input);
    const commit = p.checkout_sha ?? p.after;
    return {
      ref: p.ref,
      commit,
      deleted: isZeroCommit(p.after),
      repositoryUrls: urlList(p.project.git_http_url, p.project.git_ssh_url, p.project.web_url),
    };
  },
};
