import { GitClient, checkBranchName, remoteHead, type GitAuth, type GitClientOptions } from '../git';
import type { GitCache, GitCheckout } from './git-cache';

/** Options of {@link GitRepository}. */
export interface GitRepositoryOptions extends GitClientOptions {
  /** Remote URL (https, http, ssh, git, file or scp-like); never with credentials in it. */
  readonly url: string;
  /** Branch followed. */
  readonly branch: string;
  /** Credentials, read by the caller from files or the environment. @default { kind: 'none' } */
  readonly auth?: GitAuth;
  /** Where commits are fetched and checked out. */
  readonly cache: GitCache;
}

/** Outcome of {@link GitRepository.poll}. */
export type GitPollResult =
  /** The branch still points at the commit seen last: nothing was fetched. */
  | { readonly changed: false; readonly commit: string }
  /** The branch moved (or nothing was seen before): the new commit, checked out. */
  | { readonly changed: true; readonly commit: string; readonly previous?: string; readonly checkout: GitCheckout };

/**
 * A config repository followed by the reconciler: one branch of one remote. `poll()` asks the
 * remote where the branch points (one `ls-remote` round trip) and fetches and checks out only
 * when that changed; `checkout(commit)` gives the files of any commit of it (webhooks name one).
 */
export class GitRepository {
  private readonly auth: GitAuth;
  private client: Promise<GitClient> | undefined;

  constructor(private readonly opts: GitRepositoryOptions) {
    checkBranchName('branch', opts.branch);
    this.auth = opts.auth ?? { kind: 'none' };
  }

  /** The branch followed. */
  get branch(): string {
    return this.opts.branch;
  }

  /** The commit the branch points at now (`headOf`: no fetch). */
  async head(): Promise<string> {
    return remoteHead(await this.getClient(), this.opts.branch);
  }

  /** A read-only checkout of `commit` (fetched through the branch if the server refuses to serve it by id). */
  checkout(commit: string): Promise<GitCheckout> {
    return this.opts.cache.checkout(this.opts.url, commit, this.auth, { branch: this.opts.branch });
  }

  /** Where the branch points; fetched and checked out only if it differs from `lastSeen`. */
  async poll(lastSeen?: string): Promise<GitPollResult> {
    const commit = await this.head();
    if (commit === lastSeen) return { changed: false, commit };
    const checkout = await this.checkout(commit);
    return lastSeen === undefined ? { changed: true, commit, checkout } : { changed: true, commit, previous: lastSeen, checkout };
  }

  private getClient(): Promise<GitClient> {
    this.client ??= GitClient.create(this.opts.url, this.auth, this.opts).catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }
}
