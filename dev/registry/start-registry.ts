import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { freePort, waitFor } from '../net';
import { isAddressInUse, ManagedProcess, ProcessExitedError } from '../process';

/** Options for {@link startRegistry}. */
export interface StartRegistryOptions {
  /**
   * Directory that keeps the registry's storage, config and log across restarts (`fluxops demo`).
   * It is created if missing and left in place by `stop()`.
   * @default a fresh temporary directory, removed by `stop()`
   */
  readonly stateDir?: string;
  /** How long to wait for `GET /v2/` to answer 200. @default 30000 */
  readonly startTimeoutMs?: number;
  /**
   * Keep the registry running after this Node process exits (see {@link ManagedProcess}).
   * @default false
   */
  readonly detached?: boolean;
  /** Path of the `docker-registry` binary (distribution v2). @default '/usr/bin/docker-registry' */
  readonly binary?: string;
}

/** A running local OCI registry (distribution v2, plain HTTP, no auth) on 127.0.0.1. */
export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the form used in image references (`<host>/<repo>:<tag>`). */
  readonly host: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Holds `config.yml`, `registry.log` and `storage/`. */
  readonly stateDir: string;
  readonly logFile: string;
  /** Process id of the watchdog that leads the registry's process group. */
  readonly pid: number;
  /** Stops the registry and, unless a `stateDir` was given, removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** The registry could not be started (it exited, or never answered `GET /v2/`). */
export class RegistryStartError extends Error {
  override readonly name = 'RegistryStartError';
  constructor(message: string, readonly logFile: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Port races (another process took the free port first) are retried this many times in total. */
const START_ATTEMPTS = 3;

/**
 * Starts `docker-registry serve` on a free 127.0.0.1 port with filesystem storage, deletion
 * enabled, no auth and no reporting or notifications, and waits until it serves the v2 API.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<LocalRegistry> {
  const ownsDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir !== undefined ? path.resolve(opts.stateDir) : await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-registry-'));
  try {
    const storageDir = path.join(stateDir, 'storage');
    await fs.mkdir(storageDir, { recursive: true });
    const configFile = path.join(stateDir, 'config.yml');
    const logFile = path.join(stateDir, 'registry.log');
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = await freePort();
      await fs.writeFile(configFile, registryConfig(storageDir, port));
      const proc = ManagedProcess.start({
        name: 'docker-registry',
        command: opts.binary ?? '/usr/bin/docker-registry',
        args: ['serve', configFile],
        logFile,
        env: registryEnv(),
        cwd: stateDir,
        detached: opts.detached ?? false,
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitFor(
          async () => {
            const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
            await res.arrayBuffer();
            return res.status === 200;
          },
          { what: `docker-registry on ${url}/v2/`, timeoutMs: opts.startTimeoutMs ?? 30_000, abortIf: () => proc.assertRunning() },
        );
      } catch (err) {
        await proc.stop();
        lastError = err;
        if (err instanceof ProcessExitedError && isAddressInUse(err.logTail)) continue;
        throw new RegistryStartError(`docker-registry did not start: ${(err as Error).message}`, logFile, { cause: err });
      }
      return handle(proc, port, stateDir, logFile, ownsDir);
    }
    throw new RegistryStartError(`docker-registry did not start after ${START_ATTEMPTS} port attempts`, logFile, { cause: lastError });
  } catch (err) {
    if (ownsDir) await fs.rm(stateDir, { recursive: true, force: true });
    throw err;
  }
}

function handle(proc: ManagedProcess, port: number, stateDir: string, logFile: string, ownsDir: boolean): LocalRegistry {
  let stopping: Promise<void> | undefined;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    port,
    stateDir,
    logFile,
    pid: proc.pid,
    stop() {
      stopping ??= (async () => {
        await proc.stop();
        if (ownsDir) await fs.rm(stateDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** The distribution v0.1 config: only what is listed here is enabled. */
export function registryConfig(storageDir: string, port: number): string {
  return stringify({
    version: '0.1',
    log: { level: 'warn', formatter: 'text', accesslog: { disabled: true }, fields: { service: 'fluxops-dev-registry' } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      // Background upload purging is noise for a short-lived test registry. No blob descriptor cache
      // either (none configured), so deletes and re-pushes are visible at once.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      // A fixed secret per run silences the "generated random secret" warning; it only signs upload state.
      secret: randomBytes(16).toString('hex'),
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    health: { storagedriver: { enabled: false } },
  });
}

/** The caller's environment without `REGISTRY_*` variables, which would silently override the config file. */
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
}
