import { FluxOpsError } from '../../errors';

/**
 * Where a git error happened: the repository (its URL without credentials), the ref or commit
 * concerned and the operation. Every {@link GitError} carries these as properties and names them
 * in its message; none ever carries a token, password or key.
 */
export interface GitErrorContext {
  /** Repository URL with any user info and query removed (see `displayGitUrl`). */
  readonly repository: string;
  /** Branch (`refs/heads/...` or a short name) or commit the operation was about. */
  readonly ref?: string;
  /** What was being done: `ls-remote`, `fetch`, `push`, `checkout`, ... */
  readonly operation: string;
}

function where(ctx: GitErrorContext): string {
  return `git ${ctx.operation} ${ctx.repository}${ctx.ref !== undefined ? ` (${ctx.ref})` : ''}`;
}

/** Base of the errors of FluxOps' git plumbing (`reconciler/git`, `reconciler/source`, `reconciler/images/git`). */
export class GitError extends FluxOpsError {
  override readonly name: string = 'GitError';
  /** Repository URL without credentials. */
  readonly repository: string;
  /** Ref or commit concerned, if any. */
  readonly ref?: string;
  /** Operation that failed. */
  readonly operation: string;
  /** What git said (stderr, redacted and shortened), if anything. */
  readonly detail?: string;

  constructor(code: string, ctx: GitErrorContext, reason: string, init: { detail?: string; cause?: unknown } = {}) {
    super(code, `${where(ctx)}: ${reason}${init.detail ? `: ${init.detail}` : ''}`, { cause: init.cause });
    this.repository = ctx.repository;
    if (ctx.ref !== undefined) this.ref = ctx.ref;
    this.operation = ctx.operation;
    if (init.detail) this.detail = init.detail;
  }
}

/**
 * The remote could not be reached, or the connection broke or timed out (DNS, refused, reset,
 * TLS, HTTP 5xx, our own timeout). A fault: retried with backoff before this is thrown.
 */
export class GitUnreachableError extends GitError {
  override readonly name = 'GitUnreachableError';
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** Whether the last attempt was ended by FluxOps' timeout. */
  readonly timedOut: boolean;

  constructor(ctx: GitErrorContext, reason: string, init: { detail?: string; attempts: number; timedOut: boolean; cause?: unknown }) {
    super('git-unreachable', ctx, `${reason} (after ${init.attempts} attempt${init.attempts === 1 ? '' : 's'})`, init);
    this.attempts = init.attempts;
    this.timedOut = init.timedOut;
  }
}

/** The remote refused the credentials (or anonymous access). Not retried: retrying cannot fix it. */
export class GitAuthError extends GitError {
  override readonly name: string = 'GitAuthError';
  /** Whether credentials were sent (false: anonymous access was refused). */
  readonly withCredentials: boolean;

  constructor(ctx: GitErrorContext, reason: string, init: { detail?: string; withCredentials: boolean; code?: string; cause?: unknown }) {
    super(init.code ?? 'git-auth-refused', ctx, reason, init);
    this.withCredentials = init.withCredentials;
  }
}

/** SSH refused the server's host key (unknown host or changed key under `StrictHostKeyChecking=yes`). */
export class GitHostKeyError extends GitAuthError {
  override readonly name = 'GitHostKeyError';
  constructor(ctx: GitErrorContext, init: { detail?: string; cause?: unknown }) {
    super(ctx, 'the SSH host key is not in the known_hosts file, or does not match it', { ...init, withCredentials: true, code: 'git-host-key-rejected' });
  }
}

/** The URL answers but names no repository (or one this identity may not see: hosts answer 404 for both). */
export class GitRepositoryNotFoundError extends GitError {
  override readonly name = 'GitRepositoryNotFoundError';
  constructor(ctx: GitErrorContext, init: { detail?: string; cause?: unknown } = {}) {
    super('git-repository-not-found', ctx, 'no such repository (or no access to it)', init);
  }
}

/** The repository has no such branch. */
export class GitRefNotFoundError extends GitError {
  override readonly name = 'GitRefNotFoundError';
  /** The branch that is missing. */
  readonly branch: string;
  constructor(ctx: GitErrorContext & { readonly ref: string }, init: { detail?: string; cause?: unknown } = {}) {
    super('git-ref-not-found', ctx, 'no such branch', init);
    this.branch = ctx.ref;
  }
}

/** The commit is not in the repository (or not reachable from the branch it was looked for in). */
export class GitCommitNotFoundError extends GitError {
  override readonly name = 'GitCommitNotFoundError';
  /** The commit id. */
  readonly commit: string;
  constructor(ctx: GitErrorContext & { readonly ref: string }, reason: string, init: { detail?: string; cause?: unknown } = {}) {
    super('git-commit-not-found', ctx, reason, init);
    this.commit = ctx.ref;
  }
}

/**
 * The remote refused a push for a reason other than a race: a hook, branch protection, a
 * read-only remote. Not retried.
 */
export class GitPushRejectedError extends GitError {
  override readonly name = 'GitPushRejectedError';
  /** Branch the push was for. */
  readonly branch: string;
  /** The remote's reason as git reports it (`pre-receive hook declined`, ...). */
  readonly reason: string;
  constructor(ctx: GitErrorContext & { readonly ref: string }, reason: string, init: { detail?: string; cause?: unknown } = {}) {
    super('git-push-rejected', ctx, `push refused by the remote (${reason})`, init);
    this.branch = ctx.ref;
    this.reason = reason;
  }
}

/** A git command failed in a way none of the other classes describes; `exitCode` and `detail` say how. */
export class GitCommandError extends GitError {
  override readonly name = 'GitCommandError';
  /** Exit status, or `null` when killed by a signal. */
  readonly exitCode: number | null;
  constructor(ctx: GitErrorContext, init: { exitCode: number | null; detail?: string; cause?: unknown }) {
    super('git-command-failed', ctx, `git exited with ${init.exitCode === null ? 'a signal' : `status ${init.exitCode}`}`, init);
    this.exitCode = init.exitCode;
  }
}

/**
 * Bad input to the git plumbing: a URL with a password in it, a token for a plain-http or ssh
 * URL, a key file that does not exist, a malformed branch name or commit id. Nothing was run.
 */
export class GitConfigError extends FluxOpsError {
  override readonly name = 'GitConfigError';
  /** The option concerned (`url`, `auth.knownHostsFile`, `branch`, ...). */
  readonly field: string;
  /** The bad value, with credentials removed (absent when the value itself is secret). */
  readonly value?: string;
  /** The problem. */
  readonly reason: string;
  constructor(init: { field: string; value?: string; reason: string }) {
    super('git-config-invalid', `git: invalid ${init.field}${init.value !== undefined ? ` ${JSON.stringify(init.value)}` : ''}: ${init.reason}`);
    this.field = init.field;
    if (init.value !== undefined) this.value = init.value;
    this.reason = init.reason;
  }
}

/** The `git` executable could not be started (not installed, not on PATH). */
export class GitNotInstalledError extends FluxOpsError {
  override readonly name = 'GitNotInstalledError';
  constructor(cause: unknown) {
    super('git-not-installed', 'git: the git executable could not be started (is git installed and on PATH?)', { cause });
  }
}

/** The operation was cancelled through its `AbortSignal` (shutdown); git was stopped. */
export class GitAbortedError extends GitError {
  override readonly name = 'GitAbortedError';
  constructor(ctx: GitErrorContext) {
    super('git-aborted', ctx, 'cancelled');
  }
}
