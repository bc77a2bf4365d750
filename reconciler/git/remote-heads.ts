import { gitRefNameProblem } from '../../constructs/validation/git';
import type { GitClient } from './git-client';
import { GitCommandError, GitConfigError, GitRefNotFoundError } from './git-errors';

/** A full commit id (SHA-1 or SHA-256), lower case. */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Throws {@link GitConfigError} unless `branch` is a valid branch name (short form, no `refs/heads/`). */
export function checkBranchName(field: string, branch: string): void {
  const problem = typeof branch !== 'string' ? 'must be a branch name' : branch.startsWith('refs/') ? 'must be a short branch name, without "refs/"' : gitRefNameProblem(branch);
  if (problem) throw new GitConfigError({ field, value: String(branch), reason: problem });
}

/** Throws {@link GitConfigError} unless `commit` is a full, lower-case commit id. */
export function checkCommitId(field: string, commit: string): void {
  if (typeof commit !== 'string' || !COMMIT_ID.test(commit)) {
    throw new GitConfigError({ field, value: String(commit), reason: 'must be a full commit id (40 or 64 lower-case hex digits)' });
  }
}

/**
 * The commit each branch points at, in one round trip (`git ls-remote`, nothing fetched);
 * `undefined` for a branch the remote does not have. Branch names are exact: `main` does not
 * match `feature/main`.
 */
export async function remoteHeads(client: GitClient, branches: readonly string[]): Promise<Map<string, string | undefined>> {
  branches.forEach((b, i) => checkBranchName(`branches[${i}]`, b));
  const refs = branches.map((b) => `refs/heads/${b}`);
  const result = await client.network('ls-remote', ['ls-remote', client.url, ...refs], { ref: branches.join(', '), cwd: '/' });
  const found = new Map<string, string>();
  for (const line of result.stdout.toString('utf8').split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const sha = line.slice(0, tab);
    const ref = line.slice(tab + 1);
    if (tab < 0 || !COMMIT_ID.test(sha)) {
      throw new GitCommandError({ repository: client.display, operation: 'ls-remote' }, { exitCode: 0, detail: `unexpected output line ${JSON.stringify(line.slice(0, 200))}` });
    }
    found.set(ref, sha);
  }
  return new Map(branches.map((b) => [b, found.get(`refs/heads/${b}`)]));
}

/** The commit `branch` points at; {@link GitRefNotFoundError} if the remote has no such branch. */
export async function remoteHead(client: GitClient, branch: string): Promise<string> {
  const sha = (await remoteHeads(client, [branch])).get(branch);
  if (sha === undefined) throw new GitRefNotFoundError({ repository: client.display, operation: 'ls-remote', ref: branch });
  return sha;
}
