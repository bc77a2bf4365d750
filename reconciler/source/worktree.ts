import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { FluxOpsError } from '../../errors';

const run = promisify(execFile);

/** A ref of the config repository that cannot be checked out. */
export class GitRefError extends FluxOpsError {
  override readonly name = 'GitRefError';
  constructor(
    readonly repo: string,
    readonly ref: string,
    readonly reason: string,
  ) {
    super('git-ref', `${repo}: cannot check out ${JSON.stringify(ref)}: ${reason}`);
  }
}

/** A temporary checkout of one ref; `remove()` deletes it (and its worktree record). */
export interface TemporaryCheckout {
  readonly dir: string;
  readonly commit: string;
  remove(): Promise<void>;
}

/**
 * Checks out `ref` (a branch, `origin/<branch>`, a tag or a commit) of the repository at `repoDir`
 * into a temporary detached worktree, leaving the user's working tree untouched.
 */
export async function checkoutRef(repoDir: string, ref: string): Promise<TemporaryCheckout> {
  const git = (...args: string[]) => run('git', ['-C', repoDir, ...args], { maxBuffer: 16 << 20 });
  let commit: string | undefined;
  for (const candidate of [ref, `origin/${ref}`, `refs/remotes/origin/${ref}`]) {
    try {
      commit = (await git('rev-parse', '--verify', '-q', `${candidate}^{commit}`)).stdout.trim();
      if (commit) break;
    } catch {
      // try the next spelling
    }
  }
  if (!commit) throw new GitRefError(repoDir, ref, 'no such branch, tag or commit (fetch it first?)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-ref-'));
  try {
    await git('worktree', 'add', '--detach', '--quiet', dir, commit);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new GitRefError(repoDir, ref, (err as { stderr?: string }).stderr?.trim() || (err as Error).message);
  }
  return {
    dir,
    commit,
    async remove() {
      await git('worktree', 'remove', '--force', dir).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      await git('worktree', 'prune').catch(() => undefined);
    },
  };
}
