import type { FleetTopology } from '../../../constructs';
import { shortSha } from '../describe-event';
import type { FluxOpsEvent } from '../events';
import { USER_AGENT, type OutgoingRequest, type RenderResult } from './outgoing-request';

/**
 * Commit statuses on the config repository (GitHub and Gitea): each site gets its own context,
 * `fluxops/<site>`, so a commit shows per site whether it is applied (success), failed (failure)
 * or recorded and waiting to be applied (pending, after an image update or rollback).
 */

/** State of a commit status (the subset GitHub and Gitea share). */
export type CommitState = 'success' | 'failure' | 'pending';

/** One status to set. */
export interface CommitStatus {
  /** Full commit SHA. */
  readonly sha: string;
  readonly state: CommitState;
  /** `fluxops/<site>`. */
  readonly context: string;
  /** At most {@link MAX_DESCRIPTION} characters. */
  readonly description: string;
}

/** GitHub's limit on a status description. */
export const MAX_DESCRIPTION = 140;

/** The context of a site's statuses. */
export function statusContext(site: string): string {
  return `fluxops/${site}`;
}

/**
 * The statuses an event sets on `repository` (`owner/repo`). Events without a commit (an image
 * refusal, a failure before a commit was known) or about another repository set none. A
 * fleet-wide image update sets `pending` for every site whose apps follow the policy.
 */
export function commitStatusesFor(event: FluxOpsEvent, repository: string, topology: FleetTopology): CommitStatus[] | { notApplicable: string } {
  const commit = 'commit' in event ? event.commit : undefined;
  if (!commit) return { notApplicable: `${event.kind} event has no commit` };
  if (commit.repository !== undefined && !sameRepository(commit.repository, repository)) {
    return { notApplicable: `commit is in ${commit.repository}, not ${repository}` };
  }
  const one = (site: string, state: CommitState, description: string): CommitStatus => ({
    sha: commit.sha,
    state,
    context: statusContext(site),
    description: clip(description),
  });
  switch (event.kind) {
    case 'reconcile.succeeded': {
      const { created, configured, deleted } = event.summary;
      return [one(event.site, 'success', `applied: ${created} created, ${configured} configured, ${deleted} deleted in ${(event.durationMs / 1000).toFixed(1)} s`)];
    }
    case 'reconcile.failed':
      return [one(event.site, 'failure', `${event.stalled ? 'stalled' : 'failed'}: ${event.reason}`)];
    case 'drift.corrected':
      return [one(event.site, 'success', `drift corrected on ${event.corrected.length} object${event.corrected.length === 1 ? '' : 's'}`)];
    case 'image.updated':
    case 'image.rolledback': {
      const sites = event.site !== undefined ? [event.site] : sitesFollowing(topology, event.policy);
      if (sites.length === 0) return { notApplicable: `no site follows policy ${event.policy}` };
      const change =
        event.kind === 'image.updated'
          ? `${event.policy} ${event.from ? `${event.from.tag} -> ` : ''}${event.to.tag}`
          : `${event.policy} rolled back ${event.badTag.tag} -> ${event.restoredTag.tag} (${event.podState.reason})`;
      return sites.map((site) => one(site, 'pending', `${change}; waiting for ${site} to apply`));
    }
    case 'image.refused':
      return { notApplicable: 'image.refused event has no commit' };
  }
}

/** Sites whose apps follow `policy`, sorted. */
function sitesFollowing(topology: FleetTopology, policy: string): string[] {
  return Object.keys(topology.sites)
    .filter((s) => topology.sites[s].policies.includes(policy))
    .sort();
}

/**
 * Whether a repository given as a URL (`https://host/owner/repo.git`, `git@host:owner/repo.git`,
 * `ssh://git@host/owner/repo`) or as `owner/repo` is `owner/repo` (case-insensitive, as forges
 * treat names).
 */
export function sameRepository(given: string, ownerRepo: string): boolean {
  const path = given
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i, '')
    .replace(/^[^@/\s]+@[^:/\s]+:/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const parts = path.split('/').filter((p) => p !== '');
  return parts.length >= 2 && `${parts[parts.length - 2]}/${parts[parts.length - 1]}`.toLowerCase() === ownerRepo.toLowerCase();
}

/** Where and how to set statuses. */
export interface ForgeTarget {
  readonly kind: 'github' | 'gitea';
  /** `owner/repo`. */
  readonly repository: string;
  /** GitHub: the REST root (`https://api.github.com`); Gitea: the server root. No trailing slash. */
  readonly apiUrl: string;
  /** Access token (secret). */
  readonly token: string;
}

/**
 * The request that sets one status:
 * - GitHub: `POST {apiUrl}/repos/{owner}/{repo}/statuses/{sha}` with `Authorization: Bearer <token>`;
 * - Gitea: `POST {apiUrl}/api/v1/repos/{owner}/{repo}/statuses/{sha}` with `Authorization: token <token>`.
 */
export function renderCommitStatus(status: CommitStatus, target: ForgeTarget): OutgoingRequest {
  const [owner, repo] = target.repository.split('/').map(encodeURIComponent);
  const prefix = target.kind === 'github' ? target.apiUrl : `${target.apiUrl}/api/v1`;
  const url = `${prefix}/repos/${owner}/${repo}/statuses/${status.sha}`;
  const headers: Record<string, string> =
    target.kind === 'github'
      ? {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${target.token}`,
          'X-GitHub-Api-Version': '2022-11-28',
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
        }
      : { Accept: 'application/json', Authorization: `token ${target.token}`, 'Content-Type': 'application/json', 'User-Agent': USER_AGENT };
  return {
    method: 'POST',
    url,
    headers,
    body: JSON.stringify({ state: status.state, context: status.context, description: status.description }),
    target: `${target.kind} ${hostOf(target.apiUrl)} ${target.repository} status ${shortSha(status.sha)} ${status.context}`,
  };
}

/** Every request an event needs on a forge (one per status), or why none. */
export function renderCommitStatuses(event: FluxOpsEvent, target: ForgeTarget, topology: FleetTopology): RenderResult {
  const statuses = commitStatusesFor(event, target.repository, topology);
  if (!Array.isArray(statuses)) return { kind: 'not-applicable', reason: statuses.notApplicable };
  return { kind: 'requests', requests: statuses.map((s) => renderCommitStatus(s, target)) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_DESCRIPTION ? oneLine : `${oneLine.slice(0, MAX_DESCRIPTION - 1)}…`;
}
