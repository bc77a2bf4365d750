import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitCommandError, identityEnv, runGit, TEST_IDENTITY, type GitIdentity } from './git-cli';
import { readLog, type CommitInfo, type LogOptions } from './remote-log';

/** Options for {@link cloneWorkdir}. */
export interface CloneWorkdirOptions {
  /** Where to clone (must not exist or be empty). @default a fresh temp dir, removed by `dispose()` */
  readonly dir?: string;
  /** Branch to work on; created on first push if the remote does not have it yet. @default 'main' */
  readonly branch?: string;
  /** Author and committer of every commit. @default {@link TEST_IDENTITY} */
  readonly identity?: GitIdentity;
}

/** Options for {@link GitWorkdir.commit}. */
export interface CommitOptions {
  /** Author and committer date, for reproducible shas. @default now */
  readonly date?: Date | string;
  /** Commit even if nothing changed. @default false */
  readonly allowEmpty?: boolean;
}

/** Content to write per relative path; `null` deletes the file. */
export type FileChanges = Readonly<Record<string, string | Buffer | null>>;

/** A clone of a remote that tests write, commit and push in, always as a fixed identity. */
export interface GitWorkdir {
  /** Absolute path of the working tree. */
  readonly dir: string;
  readonly remoteUrl: string;
  readonly branch: string;
  readonly identity: GitIdentity;
  /** Writes (or with `null` deletes) files relative to the working tree; parent directories are created. */
  writeFiles(files: FileChanges): Promise<void>;
  /** Applies `files` (if given), stages everything and commits; returns the new commit's sha. */
  commit(message: string, files?: FileChanges, opts?: CommitOptions): Promise<string>;
  /** Pushes the branch to `origin`. */
  push(opts?: { readonly force?: boolean }): Promise<void>;
  /** Fetches `origin` and fast-forwards the branch. */
  pull(): Promise<void>;
  /** sha of HEAD, or `undefined` before the first commit. */
  head(): Promise<string | undefined>;
  /** Commits of the local branch, newest first. */
  log(opts?: LogOptions): Promise<CommitInfo[]>;
  /** Runs any other git command in the working tree (isolated config, test identity). */
  git(args: readonly string[]): Promise<string>;
  /** Removes the working tree if it was created in a temp dir. Idempotent. */
  dispose(): Promise<void>;
}

/** A path given to {@link GitWorkdir.writeFiles} that would land outside the working tree or inside `.git`. */
export class InvalidWorkdirPathError extends Error {
  override readonly name = 'InvalidWorkdirPathError';
  constructor(readonly filePath: string) {
    super(`path ${JSON.stringify(filePath)} must be relative, inside the working tree and outside .git`);
  }
}

/** Clones `remoteUrl` (a `file://`, `git://` URL or path) and checks out `branch`, which may not exist yet. */
export async function cloneWorkdir(remoteUrl: string, opts: CloneWorkdirOptions = {}): Promise<GitWorkdir> {
  const branch = opts.branch ?? 'main';
  const tempRoot = opts.dir === undefined ? await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-workdir-')) : undefined;
  const dir = opts.dir !== undefined ? path.resolve(opts.dir) : path.join(tempRoot as string, 'work');
  try {
    await runGit(['clone', '--quiet', '--origin', 'origin', remoteUrl, dir]);
    const remoteHas = (await runGit(['-C', dir, 'ls-remote', '--heads', 'origin', `refs/heads/${branch}`])).trim() !== '';
    if (remoteHas) {
      await runGit(['-C', dir, 'checkout', '--quiet', '-B', branch, `origin/${branch}`]);
    } else if ((await headSha(dir)) === undefined) {
      await runGit(['-C', dir, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    } else {
      await runGit(['-C', dir, 'switch', '--quiet', '--orphan', branch]);
    }
  } catch (err) {
    await fs.rm(tempRoot ?? dir, { recursive: true, force: true });
    throw err;
  }
  return new Workdir(dir, remoteUrl, branch, opts.identity ?? TEST_IDENTITY, tempRoot);
}

async function headSha(dir: string): Promise<string | undefined> {
  try {
    return (await runGit(['-C', dir, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim();
  } catch (err) {
    if (err instanceof GitCommandError && err.exitCode === 1) return undefined;
    throw err;
  }
}

class Workdir implements GitWorkdir {
  private disposed: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly remoteUrl: string,
    readonly branch: string,
    readonly identity: GitIdentity,
    private readonly tempRoot: string | undefined,
  ) {}

  async writeFiles(files: FileChanges): Promise<void> {
    const targets = Object.entries(files).map(([rel, content]) => [this.resolveInside(rel), content] as const);
    for (const [abs, content] of targets) {
      if (content === null) {
        await fs.rm(abs, { force: true });
      } else {
        await fs.mkdir(path.dirname(abs), { recursive: true });
        await fs.writeFile(abs, content);
      }
    }
  }

  async commit(message: string, files?: FileChanges, opts: CommitOptions = {}): Promise<string> {
    if (files) await this.writeFiles(files);
    await this.git(['add', '--all']);
    const env = identityEnv(this.identity, opts.date);
    await runGit(['-C', this.dir, 'commit', '--quiet', '--no-verify', ...(opts.allowEmpty ? ['--allow-empty'] : []), '-m', message], { env });
    return (await this.head()) as string;
  }

  async push(opts: { readonly force?: boolean } = {}): Promise<void> {
    await this.git(['push', '--quiet', ...(opts.force ? ['--force'] : []), 'origin', `HEAD:refs/heads/${this.branch}`]);
  }

  async pull(): Promise<void> {
    await this.git(['pull', '--quiet', '--ff-only', 'origin', this.branch]);
  }

  head(): Promise<string | undefined> {
    return headSha(this.dir);
  }

  log(opts: LogOptions = {}): Promise<CommitInfo[]> {
    return readLog(['-C', this.dir], 'HEAD', opts);
  }

  git(args: readonly string[]): Promise<string> {
    return runGit(['-C', this.dir, ...args], { env: identityEnv(this.identity) });
  }

  dispose(): Promise<void> {
    this.disposed ??= this.tempRoot ? fs.rm(this.tempRoot, { recursive: true, force: true }) : Promise.resolve();
    return this.disposed;
  }

  private resolveInside(rel: string): string {
    const abs = path.resolve(this.dir, rel);
    const inside = path.relative(this.dir, abs);
    if (path.isAbsolute(rel) || inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || inside.split(path.sep)[0] === '.git') {
      throw new InvalidWorkdirPathError(rel);
    }
    return abs;
  }
}
