import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, waitFor } from '../net';
import { isAddressInUse, ManagedProcess, ProcessExitedError } from '../process';
import { isolatedGitEnv, runGit } from './git-cli';

/** Options for {@link createGitRemote}. */
export interface CreateGitRemoteOptions {
  /**
   * Path of the bare repository. Created if missing; an existing bare repository is reused (the
   * demo keeps its fleet repo across runs) and left in place by `stop()`.
   * @default `<fresh temp dir>/<name>`, removed by `stop()`
   */
  readonly dir?: string;
  /** Branch that HEAD of the bare repository names. @default 'main' */
  readonly defaultBranch?: string;
  /** Repository directory name when `dir` is not given; also the path in `git://` URLs. @default 'fleet.git' */
  readonly name?: string;
}

/** Options for {@link GitRemote.serve}. */
export interface ServeOptions {
  /** How long to wait for the daemon to accept connections. @default 15000 */
  readonly startTimeoutMs?: number;
  /** Keep the daemon running after this Node process exits (see {@link ManagedProcess}). @default false */
  readonly detached?: boolean;
}

/** A bare Git repository acting as the fleet's remote, optionally served by `git daemon` on 127.0.0.1. */
export interface GitRemote {
  /** Absolute path of the bare repository. */
  readonly dir: string;
  /** Directory name of the repository, the path part of its `git://` URL. */
  readonly name: string;
  /** `file://` URL of the bare repository. */
  readonly url: string;
  readonly defaultBranch: string;
  /** `git://127.0.0.1:<port>/<name>` while served, otherwise `undefined`. */
  readonly daemonUrl: string | undefined;
  /** Process id of the watchdog that leads the daemon's process group, while served. */
  readonly daemonPid: number | undefined;
  /**
   * Starts `git daemon` (read and push enabled, no auth) on a free 127.0.0.1 port, waits until it
   * accepts connections and returns the `git://` URL. Calling it again returns the same URL.
   */
  serve(opts?: ServeOptions): Promise<string>;
  /** Stops the daemon (if any) and removes the repository if it lives in a temp dir created here. Idempotent. */
  stop(): Promise<void>;
}

/** `git daemon` could not be started. */
export class GitDaemonStartError extends Error {
  override readonly name = 'GitDaemonStartError';
  constructor(message: string, readonly logFile: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The remote was stopped and cannot be served again. */
export class GitRemoteStoppedError extends Error {
  override readonly name = 'GitRemoteStoppedError';
  constructor(readonly dir: string) {
    super(`git remote ${dir} was stopped`);
  }
}

const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<![./])$/;

/** Creates (or reuses) a bare repository whose HEAD names `defaultBranch`. */
export async function createGitRemote(opts: CreateGitRemoteOptions = {}): Promise<GitRemote> {
  const defaultBranch = opts.defaultBranch ?? 'main';
  if (!BRANCH.test(defaultBranch)) throw new RangeError(`createGitRemote: invalid defaultBranch ${JSON.stringify(defaultBranch)}`);
  const name = opts.dir !== undefined ? path.basename(path.resolve(opts.dir)) : opts.name ?? 'fleet.git';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new RangeError(`createGitRemote: invalid repository name ${JSON.stringify(name)}`);

  const tempRoot = opts.dir === undefined ? await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-git-')) : undefined;
  const dir = opts.dir !== undefined ? path.resolve(opts.dir) : path.join(tempRoot as string, name);
  try {
    if (!(await isBareRepo(dir))) {
      await fs.mkdir(dir, { recursive: true });
      await runGit(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, dir]);
    }
  } catch (err) {
    if (tempRoot) await fs.rm(tempRoot, { recursive: true, force: true });
    throw err;
  }
  return new BareRemote(dir, name, defaultBranch, tempRoot);
}

async function isBareRepo(dir: string): Promise<boolean> {
  try {
    await fs.access(path.join(dir, 'HEAD'));
    return (await runGit(['--git-dir', dir, 'rev-parse', '--is-bare-repository'])).trim() === 'true';
  } catch {
    return false;
  }
}

class BareRemote implements GitRemote {
  readonly url: string;
  private daemon: { proc: ManagedProcess; url: string; runtimeDir: string } | undefined;
  private serving: Promise<string> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(readonly dir: string, readonly name: string, readonly defaultBranch: string, private readonly tempRoot: string | undefined) {
    this.url = pathToFileURL(dir).href;
  }

  get daemonUrl(): string | undefined {
    return this.daemon?.url;
  }

  get daemonPid(): number | undefined {
    return this.daemon?.proc.pid;
  }

  serve(opts: ServeOptions = {}): Promise<string> {
    if (this.stopping) return Promise.reject(new GitRemoteStoppedError(this.dir));
    this.serving ??= this.startDaemon(opts).catch((err: unknown) => {
      this.serving = undefined;
      throw err;
    });
    return this.serving;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.serving?.catch(() => undefined);
      const daemon = this.daemon;
      this.daemon = undefined;
      if (daemon) {
        await daemon.proc.stop();
        await fs.rm(daemon.runtimeDir, { recursive: true, force: true });
      }
      if (this.tempRoot) await fs.rm(this.tempRoot, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  private async startDaemon(opts: ServeOptions): Promise<string> {
    // The log lives outside the repository's parent so serving never writes next to a caller's dir.
    const runtimeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-git-daemon-'));
    const logFile = path.join(runtimeDir, 'git-daemon.log');
    const basePath = path.dirname(this.dir);
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const port = await freePort();
      const proc = ManagedProcess.start({
        name: 'git-daemon',
        command: 'git',
        args: [
          'daemon',
          '--reuseaddr',
          `--base-path=${basePath}`,
          '--export-all',
          '--enable=receive-pack',
          '--informative-errors',
          '--listen=127.0.0.1',
          `--port=${port}`,
          // Whitelist exactly this repository, so siblings under the base path are never exported.
          '--strict-paths',
          this.dir,
        ],
        logFile,
        env: isolatedGitEnv(),
        cwd: runtimeDir,
        detached: opts.detached ?? false,
      });
      try {
        await waitFor(() => canConnect(port), {
          what: `git daemon on 127.0.0.1:${port}`,
          timeoutMs: opts.startTimeoutMs ?? 15_000,
          intervalMs: 50,
          abortIf: () => proc.assertRunning(),
        });
      } catch (err) {
        await proc.stop();
        lastError = err;
        if (err instanceof ProcessExitedError && isAddressInUse(err.logTail)) continue;
        await fs.rm(runtimeDir, { recursive: true, force: true });
        throw new GitDaemonStartError(`git daemon did not start: ${(err as Error).message}`, logFile, { cause: err });
      }
      const url = `git://127.0.0.1:${port}/${this.name}`;
      // If stop() was called meanwhile, it awaits this promise and then stops the daemon set here.
      this.daemon = { proc, url, runtimeDir };
      return url;
    }
    await fs.rm(runtimeDir, { recursive: true, force: true });
    throw new GitDaemonStartError('git daemon did not start after 3 port attempts', logFile, { cause: lastError });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}
