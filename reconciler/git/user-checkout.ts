import * as path from 'node:path';
import { FluxOpsError } from '../../errors';
import { runGitProcess, type GitProcessResult } from './run-git';

/** What went wrong in the user's own checkout. */
export type UserCheckoutProblem =
  /** The directory is not inside a git work tree. */
  | 'not-a-checkout'
  /** git has no author identity (`user.name`/`user.email`) for commits. */
  | 'identity-unknown'
  /** A git command failed (a hook refused the commit, a fetch failed, ...); `detail` has git's message. */
  | 'command-failed';

/** A git operation in the user's checkout failed; `detail` carries git's own message. */
export class UserCheckoutError extends FluxOpsError {
  override readonly name = 'UserCheckoutError';
  /** What went wrong. */
  readonly problem: UserCheckoutProblem;
  /** The checkout (or the directory asked about). */
  readonly dir: string;
  /** The git operation (`commit`, `fetch`, ...). */
  readonly operation: string;
  /** git's stderr, shortened. */
  readonly detail?: string;

  constructor(init: { problem: UserCheckoutProblem; dir: string; operation: string; reason: string; detail?: string }) {
    super(`checkout-${init.problem}`, `${init.dir}: git ${init.operation}: ${init.reason}${init.detail ? `\n${init.detail}` : ''}`);
    this.problem = init.problem;
    this.dir = init.dir;
    this.operation = init.operation;
    this.detail = init.detail;
  }
}

/** An author identity (`Name <email>`). */
export interface CheckoutIdentity {
  readonly name: string;
  readonly email: string;
}

/** How a file stands in the checkout compared with HEAD. */
export type CheckoutFileState = 'clean' | 'modified' | 'untracked' | 'absent';

const shorten = (text: string) => (text.length > 2000 ? `${text.slice(0, 2000)}…` : text).trim();

/**
 * The user's own checkout of a config repository, for the CLI: git runs as the user would run it
 * (their identity, hooks, signing; no prompts), because a commit made here is theirs. FluxOps's
 * own repositories and remotes go through `GitClient` instead.
 */
export class UserCheckout {
  /** Opens the checkout that contains `dir`; throws {@link UserCheckoutError} (`not-a-checkout`) outside one. */
  static async open(dir: string): Promise<UserCheckout> {
    const abs = path.resolve(dir);
    const r = await runGitProcess({ args: ['-C', abs, 'rev-parse', '--show-toplevel'], isolation: 'user', timeoutMs: 30_000 });
    if (r.exitCode !== 0) {
      throw new UserCheckoutError({ problem: 'not-a-checkout', dir: abs, operation: 'rev-parse', reason: 'is not inside a git checkout (use --no-commit to only edit the file)', detail: shorten(r.stderr) });
    }
    return new UserCheckout(r.stdout.toString('utf8').trim());
  }

  private constructor(
    /** Top directory of the work tree. */
    readonly root: string,
  ) {}

  /** Path of `file` relative to the top of the work tree, with `/` separators (as git names it). */
  relative(file: string): string {
    return path.relative(this.root, path.resolve(file)).split(path.sep).join('/');
  }

  private async git(operation: string, args: readonly string[], opts: { okExitCodes?: readonly number[]; timeoutMs?: number; input?: string } = {}): Promise<GitProcessResult> {
    const r = await runGitProcess({ args: ['-C', this.root, ...args], isolation: 'user', timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    if (r.exitCode === 0 || (r.exitCode !== null && opts.okExitCodes?.includes(r.exitCode))) return r;
    throw new UserCheckoutError({
      problem: 'command-failed',
      dir: this.root,
      operation,
      reason: r.timedOut ? 'timed out' : `exited with ${r.exitCode ?? r.signal}`,
      detail: shorten(r.stderr || r.stdout.toString('utf8')),
    });
  }

  /** The author identity git would record for a commit here. */
  async identity(): Promise<CheckoutIdentity> {
    const r = await runGitProcess({ args: ['-C', this.root, 'var', 'GIT_AUTHOR_IDENT'], isolation: 'user', timeoutMs: 30_000 });
    const m = r.exitCode === 0 ? /^(.*) <([^>]*)> \d+ [+-]\d{4}$/.exec(r.stdout.toString('utf8').trim()) : null;
    if (!m || m[1].trim() === '' || m[2].trim() === '') {
      throw new UserCheckoutError({
        problem: 'identity-unknown',
        dir: this.root,
        operation: 'var GIT_AUTHOR_IDENT',
        reason: 'no author identity: set it with git config user.name "..." and git config user.email "..."',
        detail: shorten(r.stderr),
      });
    }
    return { name: m[1].trim(), email: m[2].trim() };
  }

  /** The branch checked out, or `undefined` on a detached HEAD. */
  async branch(): Promise<string | undefined> {
    const r = await this.git('symbolic-ref', ['symbolic-ref', '--quiet', '--short', 'HEAD'], { okExitCodes: [1] });
    return r.exitCode === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  /** The URL of a configured remote. */
  async remoteUrl(remote: string): Promise<string> {
    return (await this.git('remote get-url', ['remote', 'get-url', '--', remote])).stdout.toString('utf8').trim();
  }

  /** The commit HEAD points at, or `undefined` in a repository without commits. */
  async head(): Promise<string | undefined> {
    const r = await this.git('rev-parse', ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { okExitCodes: [1] });
    return r.exitCode === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  /** How `file` (a path in the work tree) stands against HEAD and the index. */
  async fileState(file: string): Promise<CheckoutFileState> {
    const rel = this.relative(file);
    const r = await this.git('status', ['status', '--porcelain=v1', '--untracked-files=all', '--ignored=no', '--', rel]);
    const line = r.stdout.toString('utf8').split('\n').find((l) => l.length > 0);
    if (line === undefined) {
      const tracked = await this.git('ls-files', ['ls-files', '--error-unmatch', '--', rel], { okExitCodes: [1] });
      return tracked.exitCode === 0 ? 'clean' : 'absent';
    }
    return line.startsWith('??') ? 'untracked' : 'modified';
  }

  /**
   * Commits exactly `file` as it is in the work tree (other staged changes stay staged and out
   * of the commit), as the user, with their hooks. Returns the new commit. When the commit fails
   * (a hook refused it), the file is unstaged again and the error is thrown.
   */
  async commitFile(file: string, message: string): Promise<string> {
    const rel = this.relative(file);
    const hadHead = (await this.head()) !== undefined;
    await this.git('add', ['add', '--', rel]);
    try {
      await this.git('commit', ['commit', '--quiet', '--file=-', '--only', '--', rel], { input: message });
    } catch (err) {
      await this.git('reset', hadHead ? ['reset', '--quiet', '--', rel] : ['rm', '--cached', '--quiet', '--', rel], { okExitCodes: [1, 128] });
      throw err;
    }
    return (await this.head()) as string;
  }

  /**
   * Brings a commit pushed to `remote`'s `branch` into the checkout when that is a fast-forward
   * of HEAD (fetch, then `merge --ff-only`). Returns whether HEAD moved; anything else (local
   * commits, local changes in the way, a fetch that fails) leaves the checkout as it was.
   */
  async fastForward(remote: string, branch: string, commit: string): Promise<boolean> {
    const fetched = await runGitProcess({ args: ['-C', this.root, 'fetch', '--quiet', remote, `refs/heads/${branch}`], isolation: 'user', timeoutMs: 120_000 });
    if (fetched.exitCode !== 0) return false;
    const ancestor = await this.git('merge-base', ['merge-base', '--is-ancestor', 'HEAD', commit], { okExitCodes: [1, 128] });
    if (ancestor.exitCode !== 0) return false;
    const merged = await runGitProcess({ args: ['-C', this.root, 'merge', '--ff-only', '--quiet', commit], isolation: 'user', timeoutMs: 120_000 });
    return merged.exitCode === 0;
  }
}
