import {
  checkMaxBodyBytes,
  deliveryIdFrom,
  HttpRequestError,
  normalizeSecrets,
  requireBodyWithin,
  requireContentType,
  WebhookConfigError,
  type SecretInput,
  type WebhookRequest,
} from '../../http';
import type { GitPushProvider } from './git-push-provider';
import { genericProvider } from './providers/generic';
import { giteaProvider } from './providers/gitea';
import { githubProvider } from './providers/github';
import { gitlabProvider } from './providers/gitlab';
import type { GitProvider, GitPushDecision, PushEvent } from './push-event';
import { repositoryIdentity } from './repository-url';

/** The provider implementations, by name. */
export const GIT_PUSH_PROVIDERS: Readonly<Record<GitProvider, GitPushProvider>> = {
  github: githubProvider,
  gitlab: gitlabProvider,
  gitea: giteaProvider,
  generic: genericProvider,
};

/** Options for {@link createGitPushReceiver}. */
export interface GitPushReceiverOptions {
  readonly provider: GitProvider;
  /**
   * The webhook secret (GitHub/Gitea/generic: HMAC key; GitLab: the secret token), or several
   * while rotating. The caller reads it from a file or the environment; it is never logged.
   */
  readonly secret: SecretInput;
  /** The repository this receiver watches, in any URL form (https, ssh, scp-style, web). */
  readonly repositoryUrl: string;
  /** The branch this receiver watches (without `refs/heads/`). */
  readonly branch: string;
  /** Largest body accepted. @default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** Turns deliveries of one provider into decisions about one repository and branch. Pure: no I/O. */
export interface GitPushReceiver {
  readonly provider: GitProvider;
  readonly contentTypes: readonly string[];
  readonly contentTypeHint: string;
  readonly maxBodyBytes: number;
  readonly repositoryUrl: string;
  readonly branch: string;
  /**
   * Decides about one delivery: content type (415), size (413), signature or token (401), event
   * header and payload (400), then repository and branch. Never throws for bad input.
   */
  receive(req: WebhookRequest): GitPushDecision;
}

/** Builds a receiver; throws {@link WebhookConfigError} for an empty secret, an unusable URL or branch. */
export function createGitPushReceiver(opts: GitPushReceiverOptions): GitPushReceiver {
  const spec = GIT_PUSH_PROVIDERS[opts.provider];
  const name = `${String(opts.provider)} push receiver`;
  if (spec === undefined) {
    throw new WebhookConfigError({ input: 'push receiver', field: 'provider', value: opts.provider, reason: `must be one of ${Object.keys(GIT_PUSH_PROVIDERS).join(', ')}` });
  }
  const secrets = normalizeSecrets(opts.secret, name);
  const wanted = repositoryIdentity(opts.repositoryUrl);
  if (wanted === undefined) {
    throw new WebhookConfigError({ input: name, field: 'repositoryUrl', value: opts.repositoryUrl, reason: 'is not a repository URL (https://host/org/repo, ssh://git@host/org/repo or git@host:org/repo)' });
  }
  if (opts.branch.trim() === '' || opts.branch.startsWith('refs/')) {
    throw new WebhookConfigError({ input: name, field: 'branch', value: opts.branch, reason: 'must be a branch name without refs/heads/' });
  }
  const maxBodyBytes = checkMaxBodyBytes(opts.maxBodyBytes, name);

  return {
    provider: spec.provider,
    contentTypes: spec.contentTypes,
    contentTypeHint: spec.contentTypeHint,
    maxBodyBytes,
    repositoryUrl: opts.repositoryUrl,
    branch: opts.branch,
    receive(req) {
      const input = req.input ?? `${spec.provider} push webhook`;
      const provider = spec.provider;
      const deliveryId = deliveryIdFrom(req.headers, spec.deliveryHeader);
      const id = deliveryId !== undefined ? { deliveryId } : {};
      try {
        requireContentType(req.headers, spec.contentTypes, input, spec.contentTypeHint);
        requireBodyWithin(req.body, maxBodyBytes, input);
        // Nothing below looks at the payload until the credentials are checked.
        spec.authenticate(req, secrets, input);
        const kind = spec.classify(req, input);
        if (kind.kind === 'ping') return { kind: 'ignored', provider, ...id, reason: 'ping', detail: 'ping received; the hook reaches FluxOps' };
        if (kind.kind === 'other') return { kind: 'ignored', provider, ...id, reason: 'event-not-push', detail: `event ${JSON.stringify(kind.name)} is not a push` };

        const push = spec.parsePush(req.body, input);
        if (!push.ref.startsWith('refs/heads/')) {
          return { kind: 'ignored', provider, ...id, reason: 'not-a-branch', detail: `ref ${JSON.stringify(push.ref)} is not a branch` };
        }
        const branch = push.ref.slice('refs/heads/'.length);
        if (!push.repositoryUrls.some((u) => repositoryIdentity(u) === wanted)) {
          return {
            kind: 'ignored',
            provider,
            ...id,
            reason: 'other-repository',
            detail: `push to ${push.repositoryUrls.join(', ')}, watching ${opts.repositoryUrl}`,
          };
        }
        if (branch !== opts.branch) {
          return { kind: 'ignored', provider, ...id, reason: 'other-branch', detail: `push to branch ${JSON.stringify(branch)}, watching ${JSON.stringify(opts.branch)}` };
        }
        if (push.deleted) {
          return { kind: 'ignored', provider, ...id, reason: 'branch-deleted', detail: `the push deleted branch ${JSON.stringify(branch)}` };
        }
        const event: PushEvent = { provider, repositoryUrls: push.repositoryUrls, branch, commit: push.commit, ...id };
        return { kind: 'accepted', provider, ...id, event };
      } catch (err) {
        if (err instanceof HttpRequestError) return { kind: 'rejected', provider, ...id, error: err };
        throw err;
      }
    },
  };
}
