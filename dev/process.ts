import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { FluxOpsError } from '../errors';
import { assertLinux, checkIdentity, listProcesses, readProcessIdentity, type ProcessIdentity } from './linux-proc';

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
    assertLinux(`starting ${opts.name}`);
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const out = fs.openSync(opts.logFile, 'a');
    // Output of earlier runs stays in the log; errors and port-race detection look at this run's only.
    const logOffset = fs.fstatSync(out).size;
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
    // spawn() returns once the exec succeeded (libuv waits for it), so this reads the watchdog itself.
    const identity = child.pid === undefined ? undefined : readProcessIdentity(child.pid);
    return new ManagedProcess(opts.name, child, opts.logFile, logOffset, identity, [opts.command, ...opts.args]);
  }

  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;
  private server: ProcessIdentity | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
    private readonly logOffset: number,
    /** The watchdog's identity at start (undefined only if it died at once). */
    readonly identity: ProcessIdentity | undefined,
    /** The server's argument vector, as started. */
    readonly command: readonly string[],
  ) {
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

  /** Throws a {@link ProcessExitedError} with the tail of this run's output if the server is gone. */
  assertRunning(): void {
    if (!this.running) throw new ProcessExitedError(this.name, this.exitCode ?? null, tailOfText(this.output()));
  }

  /** What the server wrote to its log since this start (earlier runs' output excluded). */
  output(): string {
    try {
      const fd = fs.openSync(this.logFile, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.max(0, size - this.logOffset));
        fs.readSync(fd, buf, 0, buf.length, this.logOffset);
        return buf.toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  }

  /**
   * The identity of the server process itself (the watchdog's child running {@link command}),
   * once it has been forked and seen (then remembered, also after it exits); `undefined` before.
   */
  serverIdentity(): ProcessIdentity | undefined {
    if (this.server !== undefined || !this.running) return this.server;
    for (const p of listProcesses()) {
      if (p.ppid !== this.pid || p.state === 'Z') continue;
      const id = readProcessIdentity(p.pid);
      if (id && id.cmdline.length === this.command.length && id.cmdline.every((a, i) => a === this.command[i])) {
        this.server = id;
        break;
      }
    }
    return this.server;
  }

  /**
   * Kills the server process itself with SIGKILL, as a crash would (no chance to clean up), and
   * waits until its watchdog has exited with it. Only the process recorded as this server is
   * signalled; one that cannot be seen (exited already) leaves just the group to clean up.
   * For fault tests. Idempotent.
   */
  async crash(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    const server = this.serverIdentity();
    if (server !== undefined && checkIdentity(server).status === 'ours') {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    } else {
      killGroup(this.pid, 'SIGKILL');
    }
    // The watchdog waits for its child and exits with it; if it does not, the group goes too.
    const timer = setTimeout(() => killGroup(this.pid, 'SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
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

/** A managed server exited while it was expected to run; `logTail` is the end of its output of this run. */
export class ProcessExitedError extends FluxOpsError {
  override readonly name = 'ProcessExitedError';
  constructor(readonly processName: string, readonly exitCode: number | null, readonly logTail: string) {
    super('process-exited', `${processName} exited (code ${exitCode}); last log lines:\n${logTail}`);
  }
}

/** Whether a server's output says it could not bind its port because another process holds it. */
export function isAddressInUse(output: string): boolean {
  return /address already in use/i.test(output);
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
    return tailOfText(fs.readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}

/** The last `lines` lines of a text. */
export function tailOfText(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}
