import { classifyGitFailure, isTransientGitFailure, type GitFailureKind } from './classify-git-failure';
import { gitAuthEnvironment, type GitAuth, type GitAuthEnvironment } from './git-auth';
import {
  GitAbortedError,
  GitAuthError,
  GitCommandError,
  GitCommitNotFoundError,
  GitHostKeyError,
  GitRefNotFoundError,
  GitRepositoryNotFoundError,
  GitUnreachableError,
  type GitError,
  type GitErrorContext,
} from './git-errors';
import { DEFAULT_GIT_RETRY, SYSTEM_GIT_CLOCK, gitBackoffDelay, type GitClock, type GitRetryOptions } from './git-retry';
import { parseGitUrl, type GitRemoteUrl } from './git-url';
import { redactGitOutput } from './redact';
import { runGitProcess, type GitProcessResult } from './run-git';

/** Options of {@link GitClient.create}. */
export interface GitClientOptions {
  /** Time limit of one network command (one attempt). @default 60000 */
  readonly timeoutMs?: number;
  /** Time limit of one local command. @default 120000 */
  readonly localTimeoutMs?: number;
  /** Retries of network faults. @default DEFAULT_GIT_RETRY */
  readonly retry?: Partial<GitRetryOptions>;
  /** Clock and randomness for backoff. @default SYSTEM_GIT_CLOCK */
  readonly clock?: GitClock;
  /** See `GitAuthEnvironmentOptions.allowInsecureHttp`. @default false */
  readonly allowInsecureHttp?: boolean;
  /** Cancels running commands (they are stopped) and pending retries. */
  readonly signal?: AbortSignal;
}

/** Options of one command run by a {@link GitClient}. */
export interface GitCommandOptions {
  /** Branch or commit the command is about (named in errors). */
  readonly ref?: string;
  /** Working directory. */
  readonly cwd?: string;
  /** Extra environment (for example `GIT_INDEX_FILE`, author variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** stdin. */
  readonly input?: string | Buffer;
  /** Extra git config entries (after the base config and the credentials, so they win). */
  readonly config?: ReadonlyArray<readonly [key: string, value: string]>;
  /** Exit statuses that are results rather than failures (`ls-remote --exit-code` answers 2 for "no match"). */
  readonly okExitCodes?: readonly number[];
  /** Retry transient failures. @default true for network commands */
  readonly retry?: boolean;
}

/** A classified failure before it becomes an error (for callers that branch on the kind first). */
export interface GitClassifiedFailure {
  /** What went wrong. */
  readonly kind: GitFailureKind;
  /** The last attempt. */
  readonly result: GitProcessResult;
  /** Attempts made. */
  readonly attempts: number;
}

/**
 * The one place FluxOps runs git against one remote: the URL is checked, the credentials are
 * turned into environment (never arguments), every network command has a time limit and is
 * retried with backoff and jitter on faults, and every failure is classified once and thrown as
 * a typed {@link GitError} naming the repository (without credentials) and the ref.
 */
export class GitClient {
  /** Checks `url` and `auth` (throws `GitConfigError`) and prepares the environment. Runs nothing. */
  static async create(url: string, auth: GitAuth, opts: GitClientOptions = {}): Promise<GitClient> {
    const remote = parseGitUrl(url);
    const authEnv = await gitAuthEnvironment(remote, auth, { allowInsecureHttp: opts.allowInsecureHttp });
    return new GitClient(remote, authEnv, opts);
  }

  private readonly retry: GitRetryOptions;
  private readonly clock: GitClock;

  private constructor(
    /** The remote. */
    readonly remote: GitRemoteUrl,
    private readonly auth: GitAuthEnvironment,
    private readonly opts: GitClientOptions,
  ) {
    this.retry = { ...DEFAULT_GIT_RETRY, ...(opts.retry ?? {}) };
    this.clock = opts.clock ?? SYSTEM_GIT_CLOCK;
  }

  /** The URL git is given. */
  get url(): string {
    return this.remote.url;
  }

  /** The URL for messages (no credentials). */
  get display(): string {
    return this.remote.display;
  }

  /** Whether credentials are sent. */
  get withCredentials(): boolean {
    return this.auth.withCredentials;
  }

  /** Anything git printed, with this remote's secrets removed. */
  redact(text: string): string {
    return redactGitOutput(text, this.auth.secrets);
  }

  /**
   * Runs a command that talks to the remote (`ls-remote`, `fetch`, `push`; the caller puts
   * `this.url` in `args`). Transient failures are retried; the result of the first successful
   * attempt (or one with an `okExitCodes` status) is returned; anything else throws a typed error.
   */
  async network(operation: string, args: readonly string[], opts: GitCommandOptions = {}): Promise<GitProcessResult> {
    const outcome = await this.tryNetwork(operation, args, opts);
    if ('failure' in outcome) throw this.toError(outcome.failure, { repository: this.display, operation, ref: opts.ref });
    return outcome.result;
  }

  /**
   * Like {@link network}, but a non-transient failure (or transient after all retries) is returned
   * classified instead of thrown, for callers that handle some kinds themselves (a fallback when
   * the server refuses to fetch by commit id, a rejected push).
   */
  async tryNetwork(operation: string, args: readonly string[], opts: GitCommandOptions = {}): Promise<{ result: GitProcessResult } | { failure: GitClassifiedFailure }> {
    const attempts = opts.retry === false ? 1 : Math.max(1, this.retry.attempts);
    let last: GitClassifiedFailure | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      this.throwIfAborted(operation, opts.ref);
      const result = await runGitProcess({
        args,
        cwd: opts.cwd,
        env: { ...this.auth.env, ...(opts.env ?? {}) },
        config: [...this.auth.config, ...(opts.config ?? [])],
        input: opts.input,
        timeoutMs: this.opts.timeoutMs ?? 60_000,
        signal: this.opts.signal,
      });
      if (result.aborted) throw new GitAbortedError({ repository: this.display, operation, ref: opts.ref });
      if (result.exitCode === 0 || (result.exitCode !== null && opts.okExitCodes?.includes(result.exitCode))) return { result };
      const kind = classifyGitFailure({ exitCode: result.exitCode, stderr: result.stderr, timedOut: result.timedOut });
      last = { kind, result, attempts: attempt };
      if (!isTransientGitFailure(kind) || attempt === attempts) break;
      await this.clock.sleep(gitBackoffDelay(attempt, this.retry, this.clock.random));
    }
    return { failure: last as GitClassifiedFailure };
  }

  /**
   * Runs a local command (in a repository FluxOps owns: the cache, a work repository). A
   * non-zero exit outside `okExitCodes` throws {@link GitCommandError}.
   */
  async local(operation: string, args: readonly string[], opts: GitCommandOptions = {}): Promise<GitProcessResult> {
    this.throwIfAborted(operation, opts.ref);
    const result = await runGitProcess({
      args,
      cwd: opts.cwd,
      env: opts.env,
      config: opts.config,
      input: opts.input,
      timeoutMs: this.opts.localTimeoutMs ?? 120_000,
      signal: this.opts.signal,
    });
    if (result.aborted) throw new GitAbortedError({ repository: this.display, operation, ref: opts.ref });
    if (result.exitCode === 0 || (result.exitCode !== null && opts.okExitCodes?.includes(result.exitCode))) return result;
    throw new GitCommandError(
      { repository: this.display, operation, ref: opts.ref },
      { exitCode: result.exitCode, detail: this.redact(result.timedOut ? `timed out; ${result.stderr}` : result.stderr) },
    );
  }

  /** The typed error for a classified failure. */
  toError(failure: GitClassifiedFailure, ctx: GitErrorContext): GitError {
    const detail = this.redact(failure.result.stderr) || undefined;
    switch (failure.kind) {
      case 'timeout':
        return new GitUnreachableError(ctx, `no answer within ${this.opts.timeoutMs ?? 60_000} ms`, { detail, attempts: failure.attempts, timedOut: true });
      case 'unreachable':
        return new GitUnreachableError(ctx, 'cannot reach the remote', { detail, attempts: failure.attempts, timedOut: false });
      case 'auth':
        return new GitAuthError(ctx, this.auth.withCredentials ? 'the remote refused the credentials' : 'the remote requires credentials', {
          detail,
          withCredentials: this.auth.withCredentials,
        });
      case 'host-key':
        return new GitHostKeyError(ctx, { detail });
      case 'repository-not-found':
        return new GitRepositoryNotFoundError(ctx, { detail });
      case 'ref-not-found':
        if (ctx.ref !== undefined) return new GitRefNotFoundError({ ...ctx, ref: ctx.ref }, { detail });
        break;
      case 'commit-not-found':
        if (ctx.ref !== undefined) return new GitCommitNotFoundError({ ...ctx, ref: ctx.ref }, 'the remote does not have this commit', { detail });
        break;
      default:
        break;
    }
    return new GitCommandError(ctx, { exitCode: failure.result.exitCode, detail });
  }

  private throwIfAborted(operation: string, ref: string | undefined): void {
    if (this.opts.signal?.aborted) throw new GitAbortedError({ repository: this.display, operation, ref });
  }
}
