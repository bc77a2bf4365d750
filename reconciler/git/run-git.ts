import { spawn } from 'node:child_process';
import { GitNotInstalledError } from './git-errors';

/** One git invocation (see {@link runGitProcess}). */
export interface GitProcessRequest {
  /** Arguments after `git`. Never put a credential here: arguments are visible in `ps`. */
  readonly args: readonly string[];
  /** Working directory. */
  readonly cwd?: string;
  /** Extra environment on top of {@link gitBaseEnvironment} (for example `GIT_SSH_COMMAND`, `GIT_INDEX_FILE`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra git config entries, passed through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`. */
  readonly config?: ReadonlyArray<readonly [key: string, value: string]>;
  /** Written to stdin (then closed); stdin is empty otherwise. */
  readonly input?: string | Buffer;
  /** Ends the command (its whole process group: git, ssh, git-remote-http) after this long. @default 60000 */
  readonly timeoutMs?: number;
  /** Ends the command when aborted. */
  readonly signal?: AbortSignal;
  /** stdout beyond this is an error (the command is ended). @default 256 MiB */
  readonly maxOutputBytes?: number;
  /**
   * `fluxops` (default): the isolated environment and config of {@link gitBaseEnvironment} and
   * {@link GIT_BASE_CONFIG}, for repositories FluxOps owns and remotes it talks to. `user`: git as
   * the person running the CLI would run it in their own checkout (their identity, hooks,
   * signing and credential helpers), only with prompts off and the C locale.
   * @default 'fluxops'
   */
  readonly isolation?: 'fluxops' | 'user';
}

/** How a git invocation ended. Non-zero exits are results, not exceptions: callers classify them. */
export interface GitProcessResult {
  /** Exit status; `null` when ended by a signal. */
  readonly exitCode: number | null;
  /** Signal that ended it, if any. */
  readonly signal: NodeJS.Signals | null;
  /** Standard output, raw bytes (file contents must survive byte for byte). */
  readonly stdout: Buffer;
  /** Standard error as text (at most the last 64 KiB). */
  readonly stderr: string;
  /** Ended by `timeoutMs`. */
  readonly timedOut: boolean;
  /** Ended by `signal`. */
  readonly aborted: boolean;
  /** Ended because stdout passed `maxOutputBytes`. */
  readonly outputLimitExceeded: boolean;
}

/**
 * Git config every FluxOps git command runs with, whatever the machine's config says: no
 * credential helpers (credentials come only from FluxOps), protocol v2, no automatic gc or
 * maintenance in the middle of a reconcile, no hooks, no line-ending conversion, and stalled
 * HTTP transfers aborted.
 */
export const GIT_BASE_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['credential.helper', ''],
  ['protocol.version', '2'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['core.hooksPath', '/dev/null'],
  ['core.autocrlf', 'false'],
  ['core.fsmonitor', 'false'],
  ['commit.gpgSign', 'false'],
  ['init.defaultBranch', 'main'],
  ['advice.detachedHead', 'false'],
  ['http.lowSpeedLimit', '1'],
  ['http.lowSpeedTime', '60'],
];

/**
 * The environment of every FluxOps git command: the process environment without inherited
 * `GIT_*` variables (a surrounding hook's `GIT_DIR`, a user's `GIT_TRACE_CURL` that would print
 * headers), system and global config ignored, prompts impossible (no terminal prompt, no askpass
 * program: a missing credential fails at once instead of hanging), and C locale so error
 * messages are the ones `classifyGitFailure` knows.
 */
export function gitBaseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('GIT_') || k === 'SSH_ASKPASS' || k === 'SSH_ASKPASS_REQUIRE' || k === 'LANGUAGE' || k.startsWith('LC_')) continue;
    env[k] = v;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    LC_ALL: 'C',
    LANG: 'C',
  };
}

/** The environment of git run as the user (`isolation: 'user'`): theirs, without prompts, in the C locale. */
function userGitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'LANGUAGE' || k.startsWith('LC_')) continue;
    env[k] = v;
  }
  return { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', LANG: 'C' };
}

const MAX_STDERR = 64 * 1024;

/**
 * Runs `git <args>` without a shell, in its own process group so that a timeout or an abort
 * ends git and everything it started (ssh, git-remote-http). Config entries travel in the
 * environment, never on the command line. Resolves with the outcome (also for non-zero exits);
 * rejects only when git cannot be started ({@link GitNotInstalledError}).
 */
export function runGitProcess(req: GitProcessRequest): Promise<GitProcessResult> {
  const user = req.isolation === 'user';
  const config = [...(user ? [] : GIT_BASE_CONFIG), ...(req.config ?? [])];
  const base = user ? userGitEnvironment() : gitBaseEnvironment();
  const env: Record<string, string> = { ...base, ...(req.env ?? {}), ...(user && config.length === 0 ? {} : { GIT_CONFIG_COUNT: String(config.length) }) };
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  const timeoutMs = req.timeoutMs ?? 60_000;
  const maxOut = req.maxOutputBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: Buffer.alloc(0), stderr: '', timedOut: false, aborted: true, outputLimitExceeded: false });
      return;
    }
    const child = spawn('git', [...req.args], { cwd: req.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let timedOut = false;
    let aborted = false;
    let outputLimitExceeded = false;
    let killTimer: NodeJS.Timeout | undefined;
    let spawnFailed = false;

    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is gone already.
      }
    };
    const end = () => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), 2_000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      end();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      end();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOut) {
        if (!outputLimitExceeded) {
          outputLimitExceeded = true;
          end();
        }
        return;
      }
      out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
      if (err.length > MAX_STDERR * 2) err = err.slice(err.length - MAX_STDERR);
    });
    child.stdin.on('error', () => {
      // git may exit before reading all of stdin (EPIPE); its exit status tells what happened.
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnFailed = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      reject(e.code === 'ENOENT' ? new GitNotInstalledError(e) : e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      req.signal?.removeEventListener('abort', onAbort);
      if (spawnFailed) return;
      // Anything git started and left behind (an ssh stuck on a dead connection) goes with it.
      if (timedOut || aborted || outputLimitExceeded) killGroup('SIGKILL');
      resolve({
        exitCode: code,
        signal,
        stdout: Buffer.concat(out),
        stderr: err.length > MAX_STDERR ? err.slice(err.length - MAX_STDERR) : err,
        timedOut,
        aborted,
        outputLimitExceeded,
      });
    });
    if (req.input !== undefined) child.stdin.end(req.input);
    else child.stdin.end();
  });
}
