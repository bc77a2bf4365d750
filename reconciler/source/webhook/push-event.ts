import type { WebhookDecision } from '../../http';

/** Git hosts whose push webhooks FluxOps understands; `generic` is FluxOps' own signed format for CI jobs and scripts. */
export type GitProvider = 'github' | 'gitlab' | 'gitea' | 'generic';

/** Every {@link GitProvider}, for routes and table-driven tests. */
export const GIT_PROVIDERS: readonly GitProvider[] = ['github', 'gitlab', 'gitea', 'generic'];

/** A push to a branch, as any provider reports it. */
export interface PushEvent {
  readonly provider: GitProvider;
  /** Every URL the payload gives for the repository (https clone, ssh, web), as sent. */
  readonly repositoryUrls: readonly string[];
  /** Branch name without `refs/heads/`. */
  readonly branch: string;
  /** The commit the branch points at after the push (40 or 64 lowercase hex digits). */
  readonly commit: string;
  /** The provider's delivery id (`X-GitHub-Delivery`, `X-Gitlab-Event-UUID`, `X-Gitea-Delivery`, `X-Delivery-Id`), for logs. */
  readonly deliveryId?: string;
}

/**
 * Why an authenticated, well-formed delivery triggers nothing:
 * `ping` (GitHub's hook test), `event-not-push` (another event type), `other-repository`,
 * `other-branch`, `not-a-branch` (a tag or other ref), `branch-deleted` (the push removed the branch).
 */
export type GitPushIgnoreReason = 'ping' | 'event-not-push' | 'other-repository' | 'other-branch' | 'not-a-branch' | 'branch-deleted';

/** What a git push receiver decided about one delivery. */
export type GitPushDecision = WebhookDecision<PushEvent, GitPushIgnoreReason>;
