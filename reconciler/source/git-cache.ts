import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { FluxOpsError } from '../../errors';
import {
  GitClient,
  GitCommitNotFoundError,
  KeyedMutex,
  checkBranchName,
  checkCommitId,
  parseGitUrl,
  type GitAuth,
  type GitClientOptions,
} from '../git';

/** Options of {@link GitCache.open}. */
export interface GitCacheOptions extends GitClientOptions {
  /** The cache directory (created if missing). One directory per reconciler. */
  readonly dir: string;
  /**
   * Checkouts kept per remote, the most recently used ones; older ones are removed after a new
   * checkout (never one that is still in use in this process).
   * @default 3
   */
  readonly keep?: number;
  /**
   * When the server refuses to serve a commit by id and the branch is fetched instead, how deep
   * the branch history is searched for the commit (depth 1, then 10, 100, ... up to this).
   * @default 1000
   */
  readonly maxFallbackDepth?: number;
  /** Temporary directories older than this, left by a killed process, are removed. @default 600000 */
  readonly staleTempMs?: number;
}

/** Options of {@link GitCache.checkout}. */
export interface CheckoutOptions {
  /**
   * Branch the commit is on. Needed only for servers that refuse to fetch a commit by its id
   * (`uploadpack.allowReachableSHA1InWant` off, protocol v0/v1): the branch is fetched instead
   * and the commit looked for in its history.
   */
  readonly branch?: string;
}

/** A read-only directory holding the files of one commit. */
export interface GitCheckout {
  /** Absolute path of the files (read-only; do not write into it). */
  readonly dir: string;
  /** The commit. */
  readonly commit: string;
  /** Repository URL without credentials. */
  readonly repository: string;
  /** Whether an existing, intact checkout was reused (no fetch, no file written). */
  readonly reused: boolean;
  /** Whether objects were fetched from the remote for it. */
  readonly fetched: boolean;
  /** Whether the commit was found through its branch because the server refused to serve it by id. */
  readonly viaBranch: boolean;
  /** Tells the cache this checkout is no longer used, so it may be removed. Idempotent. */
  release(): void;
}

/** What a finished checkout is, shared by concurrent callers of the same commit. */
interface Materialized {
  readonly dir: string;
  readonly entryDir: string;
  readonly reused: boolean;
  readonly fetched: boolean;
  readonly viaBranch: boolean;
}

/** The cache directory cannot be used (not writable, a file in the way). */
export class GitCacheError extends FluxOpsError {
  override readonly name = 'GitCacheError';
  /** The cache directory. */
  readonly dir: string;
  constructor(dir: string, reason: string, options?: { cause?: unknown }) {
    super('git-cache-unusable', `git cache ${dir}: ${reason}`, options);
    this.dir = dir;
  }
}

const TREE = 'tree';
const INDEX = 'index';
const META = 'checkout.json';

/**
 * The reconciler's own git cache: one shallow bare repository per remote URL and read-only
 * checkouts of single commits.
 *
 * `checkout(url, commit, auth)` fetches exactly that commit (`git fetch --depth 1 <url> <sha>`),
 * falling back to the branch when the server refuses to serve commits by id, and returns a
 * directory with its files. A checkout is built in a temporary directory and renamed into place,
 * so a process killed half-way never leaves a checkout that a later call would return; an
 * existing checkout is reused only after git confirms it still matches the commit. Concurrent
 * calls for the same commit share one build; fetches into one repository run one at a time.
 */
export class GitCache {
  /** Creates the directory layout and removes temporary directories a killed process left behind. */
  static async open(opts: GitCacheOptions): Promise<GitCache> {
    const dir = path.resolve(opts.dir);
    try {
      await fs.mkdir(path.join(dir, 'repos'), { recursive: true });
      await fs.mkdir(path.join(dir, 'checkouts'), { recursive: true });
      await fs.access(dir, fs.constants.W_OK);
    } catch (cause) {
      throw new GitCacheError(dir, `cannot create or write it (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
    }
    const cache = new GitCache(dir, opts);
    await cache.removeStaleTemp();
    return cache;
  }

  private readonly keep: number;
  private readonly repoLocks = new KeyedMutex();
  private readonly building = new Map<string, Promise<Materialized>>();
  private readonly inUse = new Map<string, number>();

  private constructor(
    /** The cache directory. */
    readonly dir: string,
    private readonly opts: GitCacheOptions,
  ) {
    this.keep = Math.max(1, opts.keep ?? 3);
  }

  /**
   * A read-only checkout of `commit` of the remote at `url` (see the class comment). Throws
   * `GitCommitNotFoundError` when the remote does not have the commit, and the other typed git
   * errors (`GitUnreachableError` after retries, `GitAuthError`, `GitRepositoryNotFoundError`,
   * `GitConfigError`).
   */
  async checkout(url: string, commit: string, auth: GitAuth, opts: CheckoutOptions = {}): Promise<GitCheckout> {
    checkCommitId('commit', commit);
    if (opts.branch !== undefined) checkBranchName('branch', opts.branch);
    const client = await GitClient.create(url, auth, this.opts);
    const key = repoKey(client.display);
    const id = `${key}/${commit}`;
    let pending = this.building.get(id);
    if (!pending) {
      pending = this.materialize(client, key, commit, opts.branch).finally(() => this.building.delete(id));
      this.building.set(id, pending);
    }
    const m = await pending;
    this.inUse.set(m.entryDir, (this.inUse.get(m.entryDir) ?? 0) + 1);
    let released = false;
    const checkout: GitCheckout = {
      dir: m.dir,
      commit,
      repository: client.display,
      reused: m.reused,
      fetched: m.fetched,
      viaBranch: m.viaBranch,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.inUse.get(m.entryDir) ?? 1) - 1;
        if (n <= 0) this.inUse.delete(m.entryDir);
        else this.inUse.set(m.entryDir, n);
      },
    };
    // Pruning runs after the caller holds its reference, so it never removes the checkout it returns.
    if (!m.reused) await this.prune(client, key);
    return checkout;
  }

  /** Commits with a checkout in the cache for `url`, most recently used first. */
  async checkouts(url: string): Promise<string[]> {
    const key = repoKey(parseGitUrl(url).display);
    return (await this.listEntries(key)).map((e) => e.commit);
  }

  private repoDir(key: string): string {
    return path.join(this.dir, 'repos', `${key}.git`);
  }

  private checkoutsDir(key: string): string {
    return path.join(this.dir, 'checkouts', key);
  }

  private async materialize(client: GitClient, key: string, commit: string, branch: string | undefined): Promise<Materialized> {
    const repo = this.repoDir(key);
    const entryDir = path.join(this.checkoutsDir(key), commit);
    const dir = path.join(entryDir, TREE);
    if (await this.isIntact(client, repo, entryDir, commit)) {
      await touch(path.join(entryDir, META));
      return { dir, entryDir, reused: true, fetched: false, viaBranch: false };
    }
    // Not there, or damaged (a file changed or removed): rebuild it from the repository.
    await removeTree(entryDir);
    const { fetched, viaBranch } = await this.repoLocks.run(key, async () => {
      await this.ensureRepository(client, repo);
      return this.ensureCommit(client, repo, commit, branch);
    });
    await fs.mkdir(this.checkoutsDir(key), { recursive: true });
    const tmp = path.join(this.checkoutsDir(key), `.tmp-${commit.slice(0, 12)}-${randomBytes(6).toString('hex')}`);
    try {
      await fs.mkdir(path.join(tmp, TREE), { recursive: true });
      const env = { GIT_INDEX_FILE: path.join(tmp, INDEX) };
      const git = ['--git-dir', repo, '--work-tree', path.join(tmp, TREE)];
      await client.local('checkout', [...git, 'read-tree', commit], { env, ref: commit });
      await client.local('checkout', [...git, 'checkout-index', '--all', '--force'], { env, ref: commit, config: [['core.symlinks', 'true']] });
      await makeReadOnly(path.join(tmp, TREE));
      // chmod changed the files' ctime; refresh the index so later integrity checks compare stat data, not contents.
      await client.local('checkout', [...git, 'update-index', '-q', '--refresh'], { env, ref: commit, okExitCodes: [1] });
      await fs.writeFile(path.join(tmp, META), `${JSON.stringify({ repository: client.display, commit, createdAt: new Date().toISOString() })}\n`);
      try {
        await fs.rename(tmp, entryDir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another process finished the same checkout first: use theirs if it is good.
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await this.isIntact(client, repo, entryDir, commit))) {
          await removeTree(tmp);
          return { dir, entryDir, reused: true, fetched, viaBranch };
        }
        throw err;
      }
    } catch (err) {
      await removeTree(tmp);
      throw err;
    }
    return { dir, entryDir, reused: false, fetched, viaBranch };
  }

  private async ensureRepository(client: GitClient, repo: string): Promise<void> {
    if (await exists(path.join(repo, 'HEAD'))) return;
    // Initialised under a temporary name and renamed, so a half-initialised repository is never used.
    const tmp = `${repo}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await client.local('init', ['init', '--quiet', '--bare', tmp]);
      await fs.rename(tmp, repo);
    } catch (err) {
      await removeTree(tmp);
      if (await exists(path.join(repo, 'HEAD'))) return;
      throw err;
    }
  }

  private async hasCommit(client: GitClient, repo: string, commit: string): Promise<boolean> {
    const r = await client.local('cat-file', ['--git-dir', repo, 'cat-file', '-e', `${commit}^{commit}`], { okExitCodes: [1, 128], ref: commit });
    return r.exitCode === 0;
  }

  private async ensureCommit(client: GitClient, repo: string, commit: string, branch: string | undefined): Promise<{ fetched: boolean; viaBranch: boolean }> {
    const keepRef = `refs/fluxops/commits/${commit}`;
    if (await this.hasCommit(client, repo, commit)) {
      await client.local('update-ref', ['--git-dir', repo, 'update-ref', keepRef, commit], { ref: commit });
      return { fetched: false, viaBranch: false };
    }
    const byId = await client.tryNetwork('fetch', ['--git-dir', repo, 'fetch', '--quiet', '--depth', '1', '--no-tags', '--no-write-fetch-head', client.url, `+${commit}:${keepRef}`], { ref: commit });
    if ('result' in byId) {
      if (await this.hasCommit(client, repo, commit)) return { fetched: true, viaBranch: false };
      throw new GitCommitNotFoundError({ repository: client.display, operation: 'fetch', ref: commit }, 'the fetch succeeded but the commit is not in the repository');
    }
    if (byId.failure.kind !== 'commit-not-found') throw client.toError(byId.failure, { repository: client.display, operation: 'fetch', ref: commit });
    if (branch === undefined) {
      throw new GitCommitNotFoundError(
        { repository: client.display, operation: 'fetch', ref: commit },
        'the remote does not have this commit, or refuses to serve commits by id (give the branch to find it through the branch)',
        { detail: client.redact(byId.failure.result.stderr) },
      );
    }
    // The server does not serve unadvertised commits: fetch the branch, deeper until the commit shows up.
    const branchRef = `refs/fluxops/branches/${branch}`;
    const max = Math.max(1, this.opts.maxFallbackDepth ?? 1000);
    for (let depth = 1; ; depth = Math.min(max, depth * 10)) {
      await client.network('fetch', ['--git-dir', repo, 'fetch', '--quiet', '--depth', String(depth), '--no-tags', '--no-write-fetch-head', client.url, `+refs/heads/${branch}:${branchRef}`], { ref: branch });
      if (await this.hasCommit(client, repo, commit)) {
        await client.local('update-ref', ['--git-dir', repo, 'update-ref', keepRef, commit], { ref: commit });
        await client.local('update-ref', ['--git-dir', repo, 'update-ref', '-d', branchRef], { ref: branch });
        return { fetched: true, viaBranch: true };
      }
      if (depth >= max) break;
    }
    await client.local('update-ref', ['--git-dir', repo, 'update-ref', '-d', branchRef], { ref: branch });
    throw new GitCommitNotFoundError(
      { repository: client.display, operation: 'fetch', ref: commit },
      `the remote refuses to serve commits by id, and the commit is not within ${max} commits of branch ${branch}`,
    );
  }

  private async isIntact(client: GitClient, repo: string, entryDir: string, commit: string): Promise<boolean> {
    const meta = await fs.readFile(path.join(entryDir, META), 'utf8').catch(() => undefined);
    if (meta === undefined || !(await exists(path.join(entryDir, INDEX))) || !(await exists(path.join(repo, 'HEAD')))) return false;
    let recorded: unknown;
    try {
      recorded = JSON.parse(meta);
    } catch {
      return false;
    }
    if ((recorded as { commit?: unknown }).commit !== commit) return false;
    const env = { GIT_INDEX_FILE: path.join(entryDir, INDEX) };
    const git = ['--git-dir', repo, '--work-tree', path.join(entryDir, TREE)];
    // Exit 1: a tracked file was changed or removed.
    const modified = await client.local('verify', [...git, 'diff-files', '--quiet'], { env, ref: commit, okExitCodes: [1, 128] });
    if (modified.exitCode !== 0) return false;
    const untracked = await client.local('verify', [...git, 'ls-files', '--others', '-z'], { env, ref: commit, okExitCodes: [128] });
    return untracked.exitCode === 0 && untracked.stdout.length === 0;
  }

  private async listEntries(key: string): Promise<{ commit: string; dir: string; usedAt: number }[]> {
    const base = this.checkoutsDir(key);
    const names = await fs.readdir(base).catch(() => [] as string[]);
    const out: { commit: string; dir: string; usedAt: number }[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(name)) continue;
      const st = await fs.stat(path.join(base, name, META)).catch(() => undefined);
      out.push({ commit: name, dir: path.join(base, name), usedAt: st?.mtimeMs ?? 0 });
    }
    return out.sort((a, b) => b.usedAt - a.usedAt || a.commit.localeCompare(b.commit));
  }

  private async prune(client: GitClient, key: string): Promise<void> {
    const entries = await this.listEntries(key);
    const doomed = entries.slice(this.keep).filter((e) => !this.inUse.has(e.dir) && !this.building.has(`${key}/${e.commit}`));
    if (doomed.length === 0) return;
    for (const e of doomed) {
      // Renamed first (atomic) so nobody can pick up a half-removed checkout.
      const trash = path.join(this.checkoutsDir(key), `.tmp-trash-${randomBytes(6).toString('hex')}`);
      await fs.rename(e.dir, trash).then(() => removeGarbage(trash), () => undefined);
    }
    await this.repoLocks.run(key, async () => {
      const repo = this.repoDir(key);
      for (const e of doomed) {
        await client.local('update-ref', ['--git-dir', repo, 'update-ref', '-d', `refs/fluxops/commits/${e.commit}`], { ref: e.commit, okExitCodes: [1] });
      }
      // Objects of removed commits go when git decides a gc is due; unreachable ones only after an
      // hour, so another process fetching into the same repository right now never loses objects.
      await client.local('gc', ['--git-dir', repo, 'gc', '--auto', '--quiet'], {
        config: [
          ['gc.auto', '1000'],
          ['gc.autoPackLimit', '20'],
          ['gc.autoDetach', 'false'],
          ['gc.pruneExpire', '1.hour.ago'],
        ],
      });
    });
  }

  private async removeStaleTemp(): Promise<void> {
    const maxAge = this.opts.staleTempMs ?? 600_000;
    const now = Date.now();
    const stale = async (p: string) => {
      const st = await fs.stat(p).catch(() => undefined);
      return st !== undefined && now - st.mtimeMs > maxAge;
    };
    for (const key of await fs.readdir(path.join(this.dir, 'checkouts')).catch(() => [] as string[])) {
      const base = this.checkoutsDir(key);
      for (const name of await fs.readdir(base).catch(() => [] as string[])) {
        if (name.startsWith('.tmp-') && (await stale(path.join(base, name)))) await removeGarbage(path.join(base, name));
      }
    }
    for (const name of await fs.readdir(path.join(this.dir, 'repos')).catch(() => [] as string[])) {
      if (/\.git\.tmp-/.test(name) && (await stale(path.join(this.dir, 'repos', name)))) await removeGarbage(path.join(this.dir, 'repos', name));
    }
  }
}

/** A file-system-safe, stable name per remote: the last path segment plus a hash of the whole URL (without credentials). */
export function repoKey(displayUrl: string): string {
  const base = displayUrl.replace(/[/:]+$/, '').split(/[/:]/).pop() ?? 'repo';
  const name = base.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'repo';
  return `${name}-${createHash('sha256').update(displayUrl).digest('hex').slice(0, 16)}`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function touch(p: string): Promise<void> {
  const now = new Date();
  await fs.utimes(p, now, now).catch(() => undefined);
}

/** Removes files' write bits and makes directories read-only (symlinks are left alone). */
async function makeReadOnly(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeReadOnly(p);
    else if (entry.isFile()) {
      const st = await fs.stat(p);
      await fs.chmod(p, st.mode & 0o555);
    }
  }
  await fs.chmod(dir, 0o555);
}

/**
 * Removes a leftover (an interrupted build, a pruned checkout). Never returned to anyone, so a
 * failure (a process killed mid-checkout whose git child still writes into it) only delays the
 * removal to the next `open()` or prune; it must not fail the checkout that triggered it.
 */
async function removeGarbage(dir: string): Promise<boolean> {
  try {
    await removeTree(dir);
    return true;
  } catch {
    return false;
  }
}

/** Removes a directory made read-only by {@link makeReadOnly} (directories need their write bit back first). */
export async function removeTree(dir: string): Promise<void> {
  const open = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      await fs.chmod(d, 0o755);
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) await open(path.join(d, e.name));
  };
  await open(dir);
  await fs.rm(dir, { recursive: true, force: true });
}
