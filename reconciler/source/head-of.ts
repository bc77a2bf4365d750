import { GitClient, remoteHead, type GitAuth, type GitClientOptions } from '../git';

/**
 * The commit `branch` of the remote at `url` points at: one round trip (`git ls-remote`),
 * nothing fetched, so the poll loop can call it often and fetch only when it changed.
 *
 * Throws typed errors: `GitUnreachableError` (after retries with backoff), `GitAuthError`,
 * `GitRepositoryNotFoundError`, `GitRefNotFoundError` (no such branch), `GitConfigError`
 * (bad URL, branch or credentials; nothing run).
 */
export async function headOf(url: string, branch: string, auth: GitAuth, opts: GitClientOptions = {}): Promise<string> {
  const client = await GitClient.create(url, auth, opts);
  return remoteHead(client, branch);
}
