import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const WATCHDOG = path.join(__dirname, 'watchdog.sh');

/** Options for {@link ManagedProcess.start}. */
export interface StartOptions {
  /** Short name used in logs and errors, e.g. `kube-apiserver`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** File that receives stdout and stderr. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Keep running after this Node process exits (used by `fluxops dev up`).
   * Otherwise a watchdog stops the server as soon as this process is gone, even after SIGKILL.
   * @default false
   */
  readonly detached?: boolean;
}

/** A server process that FluxOps started and is responsible for stopping. */
export class ManagedProcess {
  /** Starts `command` under the watchdog with output appended to `logFile`. */
  static start(opts: StartOptions): ManagedProcess {
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const out = fs.openSync(opts.logFile, 'a');
    const owner = opts.detached ? '0' : String(process.pid);
    const child = spawn('bash', [WATCHDOG, owner, opts.command, ...opts.args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', out, out],
      // Own process group: a terminal Ctrl-C reaches the test runner, which stops us in order.
      detached: true,
    });
    fs.closeSync(out);
    if (opts.detached) child.unref();
    return new ManagedProcess(opts.name, child, opts.logFile);
  }

  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(readonly name: string, private readonly child: ChildProcess, readonly logFile: string) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve();
      });
      child.once('error', () => {
        this.exitCode = -1;
        resolve();
      });
    });
  }

  /** Process id of the watchdog (its process group contains the server). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** True while the server has not exited. */
  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Throws a {@link ProcessExitedError} with the log tail if the server is gone. */
  assertRunning(): void {
    if (!this.running) throw new ProcessExitedError(this.name, this.exitCode ?? null, tail(this.logFile));
  }

  /** Stops the server: SIGTERM, then SIGKILL to the whole group after `graceMs`. Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    killGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    killGroup(this.pid, 'SIGKILL'); // anything the server itself left in its group
  }
}

/** A managed server exited while it was expected to run. */
export class ProcessExitedError extends Error {
  override readonly name = 'ProcessExitedError';
  constructor(readonly processName: string, readonly code: number | null, readonly logTail: string) {
    super(`${processName} exited (code ${code}); last log lines:\n${logTail}`);
  }
}

/** Sends `signal` to the process group led by `pid`; ignores groups that are already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True if a process with this id exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
