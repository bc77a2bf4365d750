import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GitRemote } from './create-git-remote';
import { GitCommandError, runGit } from './git-cli';

/** A person and time recorded on a commit. */
export interface CommitSignature {
  readonly name: string;
  readonly email: string;
  /** ISO 8601 with offset, as git prints it (`%aI` / `%cI`). */
  readonly date: string;
}

/** One commit as the dev helpers report it. */
export interface CommitInfo {
  readonly sha: string;
  readonly parents: readonly string[];
  readonly subject: string;
  /** Message body after the subject, trimmed; '' if none. */
  readonly body: string;
  readonly author: CommitSignature;
  readonly committer: CommitSignature;
  /** Paths changed against the first parent (all paths for a root commit; none listed for merges). */
  readonly files: readonly string[];
}

/** Options for {@link remoteLog} and `GitWorkdir.log`. */
export interface LogOptions {
  /** Newest commits first, at most this many. @default all */
  readonly maxCount?: number;
}

const RS = '\x1e';
const US = '\x1f';
const FORMAT = `${RS}%H${US}%P${US}%an${US}%ae${US}%aI${US}%cn${US}%ce${US}%cI${US}%s${US}%b${US}`;

/**
 * Commits of `branch` in a remote, newest first: a {@link GitRemote}, a bare repository path, a
 * `file://` URL, or any URL git can fetch (read through a temporary bare clone). A branch that
 * does not exist yet (an empty remote) has no commits: the result is `[]`.
 */
export async function remoteLog(remote: GitRemote | string, branch?: string, opts: LogOptions = {}): Promise<CommitInfo[]> {
  const ref = branch ?? (typeof remote === 'string' ? 'main' : remote.defaultBranch);
  const local = typeof remote === 'string' ? localGitDir(remote) : remote.dir;
  if (local !== undefined) return readLog(['--git-dir', local], `refs/heads/${ref}`, opts);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-git-log-'));
  try {
    const mirror = path.join(tmp, 'mirror.git');
    await runGit(['clone', '--quiet', '--bare', '--no-tags', '--single-branch', '--branch', ref, remote as string, mirror]).catch(async (err: unknown) => {
      // Cloning a missing branch fails; tell "no such branch" apart from "cannot reach the remote".
      if (err instanceof GitCommandError && /Remote branch .* not found|remote HEAD refers to nonexistent ref/i.test(err.stderr)) return;
      throw err;
    });
    if (!(await exists(mirror))) return [];
    // `return await`: the finally below must not remove the mirror while git log still reads it.
    return await readLog(['--git-dir', mirror], `refs/heads/${ref}`, opts);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs `git log` for `rev` in the repository selected by `repoArgs` (`['--git-dir', dir]` or
 * `['-C', worktree]`) and parses it. Returns `[]` if `rev` does not resolve to a commit.
 */
export async function readLog(repoArgs: readonly string[], rev: string, opts: LogOptions = {}): Promise<CommitInfo[]> {
  try {
    await runGit([...repoArgs, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch (err) {
    if (err instanceof GitCommandError && err.exitCode === 1) return [];
    throw err;
  }
  const max = opts.maxCount !== undefined ? [`--max-count=${opts.maxCount}`] : [];
  const out = await runGit([...repoArgs, 'log', `--format=${FORMAT}`, '--name-only', '--no-renames', ...max, rev, '--']);
  return parseLog(out);
}

/** Parses the output of `git log --format=<FORMAT> --name-only`. */
export function parseLog(out: string): CommitInfo[] {
  return out
    .split(RS)
    .slice(1)
    .map((record) => {
      const f = record.split(US);
      if (f.length !== 11) throw new Error(`unexpected git log record with ${f.length} fields: ${JSON.stringify(record.slice(0, 200))}`);
      const [sha, parents, an, ae, ad, cn, ce, cd, subject, body, files] = f as [string, string, string, string, string, string, string, string, string, string, string];
      return {
        sha,
        parents: parents === '' ? [] : parents.split(' '),
        subject,
        body: body.trim(),
        author: { name: an, email: ae, date: ad },
        committer: { name: cn, email: ce, date: cd },
        files: files.split('\n').filter((l) => l !== ''),
      };
    });
}

function localGitDir(remote: string): string | undefined {
  if (remote.startsWith('file://')) return fileURLToPath(remote);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return undefined;
  return path.resolve(remote);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
