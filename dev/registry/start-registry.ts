import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { FluxOpsError } from '../../errors';
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
  /**
   * Require authentication: HTTP basic against an htpasswd file (bcrypt entries, see
   * `writeHtpasswd`), or the bearer-token flow with a token service (see `startTokenServer`).
   * @default none (anonymous read and write)
   */
  readonly auth?: RegistryAuthOptions;
  /**
   * Endpoints the registry notifies of events (distribution's `notifications.endpoints`), e.g. a
   * FluxOps registry webhook receiver under test. Loopback `http://` URLs only. The endpoints
   * (with their header values, which are usually secrets) reach the registry through its
   * environment (`REGISTRY_NOTIFICATIONS_ENDPOINTS`), never through `config.yml` or any other file.
   * @default none
   */
  readonly notifications?: readonly RegistryNotificationEndpoint[];
}

/** One `notifications.endpoints` entry of the local registry. */
export interface RegistryNotificationEndpoint {
  /** Endpoint name (shows up in the registry's log). */
  readonly name: string;
  /** Where events are POSTed: `http://127.0.0.1:<port>/...` or `http://localhost:<port>/...`. */
  readonly url: string;
  /** Headers sent with every delivery, e.g. `{ Authorization: 'Bearer <secret>' }`. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-delivery timeout. @default 2000 */
  readonly timeoutMs?: number;
  /** Consecutive failures before the registry backs off. @default 3 */
  readonly threshold?: number;
  /** Back-off after `threshold` failures. @default 250 */
  readonly backoffMs?: number;
  /** Event actions not sent (`pull`, `push`, `delete`, `mount`). @default none */
  readonly ignoredActions?: readonly string[];
  /** Target media types not sent, e.g. `application/octet-stream` for blob events. @default none */
  readonly ignoredMediaTypes?: readonly string[];
}

/** How the registry authenticates clients (distribution's `auth` config section). */
export type RegistryAuthOptions =
  | { readonly kind: 'htpasswd'; readonly path: string; /** @default 'fluxops-dev' */ readonly realm?: string }
  | {
      readonly kind: 'token';
      /** Token endpoint URL the registry sends clients to. */
      readonly realm: string;
      /** `service` the tokens are for (their audience). */
      readonly service: string;
      /** `iss` of the tokens. */
      readonly issuer: string;
      /** PEM file with the certificate(s) whose keys sign tokens. */
      readonly rootCertBundle: string;
    };

/** A running local OCI registry (distribution v2, plain HTTP, no auth unless asked for) on 127.0.0.1. */
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
 * enabled, no auth (unless `auth` is given), no reporting and only the notification endpoints
 * asked for, and waits until it serves the v2 API.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<LocalRegistry> {
  // Checked before anything is created, so a bad endpoint leaves nothing behind.
  const notificationsEnv = opts.notifications?.length ? { REGISTRY_NOTIFICATIONS_ENDPOINTS: notificationEndpointsYaml(opts.notifications) } : {};
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
      await fs.writeFile(configFile, registryConfig(storageDir, port, opts.auth));
      const proc = ManagedProcess.start({
        name: 'docker-registry',
        command: opts.binary ?? '/usr/bin/docker-registry',
        args: ['serve', configFile],
        logFile,
        env: { ...registryEnv(), ...notificationsEnv },
        cwd: stateDir,
        detached: opts.detached ?? false,
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitFor(
          async () => {
            const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
            await res.arrayBuffer();
            // With auth configured the API root answers 401 with a challenge once it is up.
            return res.status === 200 || (opts.auth !== undefined && res.status === 401);
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
export function registryConfig(storageDir: string, port: number, auth?: RegistryAuthOptions): string {
  return stringify({
    ...(auth ? { auth: authConfig(auth) } : {}),
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

/**
 * The `notifications.endpoints` list as YAML, for the registry's `REGISTRY_NOTIFICATIONS_ENDPOINTS`
 * variable (distribution parses an override variable as YAML of the field's type). Throws
 * {@link RegistryNotificationConfigError} for a non-loopback URL or a malformed header.
 */
export function notificationEndpointsYaml(endpoints: readonly RegistryNotificationEndpoint[]): string {
  return stringify(
    endpoints.map((e, i) => {
      const field = `notifications[${i}]`;
      let url: URL;
      try {
        url = new URL(e.url);
      } catch {
        throw new RegistryNotificationConfigError(`${field}.url`, e.url, 'is not a URL');
      }
      if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
        throw new RegistryNotificationConfigError(`${field}.url`, e.url, 'must be http://127.0.0.1:<port>/... or http://localhost:<port>/... (the dev registry only talks to this machine)');
      }
      if (!/^[A-Za-z0-9_.-]+$/.test(e.name)) throw new RegistryNotificationConfigError(`${field}.name`, e.name, 'must be letters, digits, "_.-"');
      const headers: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(e.headers ?? {})) {
        if (!/^[A-Za-z0-9-]+$/.test(name)) throw new RegistryNotificationConfigError(`${field}.headers`, name, 'is not a header name');
        // The value is not echoed: it is usually a secret.
        if (/[\r\n]/.test(value)) throw new RegistryNotificationConfigError(`${field}.headers.${name}`, undefined, 'must not contain line breaks');
        headers[name] = [value];
      }
      return {
        name: e.name,
        url: e.url,
        headers,
        timeout: `${e.timeoutMs ?? 2_000}ms`,
        threshold: e.threshold ?? 3,
        backoff: `${e.backoffMs ?? 250}ms`,
        ignore: { mediatypes: [...(e.ignoredMediaTypes ?? [])], actions: [...(e.ignoredActions ?? [])] },
      };
    }),
  );
}

/** A notification endpoint for the local registry that cannot be used; nothing was started. */
export class RegistryNotificationConfigError extends FluxOpsError {
  override readonly name = 'RegistryNotificationConfigError';
  constructor(readonly field: string, readonly value: string | undefined, reason: string) {
    super('registry-notification-config-invalid', `invalid ${field}${value === undefined ? '' : ` ${JSON.stringify(value)}`}: ${reason}`);
  }
}

function authConfig(auth: RegistryAuthOptions): Record<string, unknown> {
  if (auth.kind === 'htpasswd') return { htpasswd: { realm: auth.realm ?? 'fluxops-dev', path: auth.path } };
  return { token: { realm: auth.realm, service: auth.service, issuer: auth.issuer, rootcertbundle: auth.rootCertBundle } };
}

/** The caller's environment without `REGISTRY_*` variables, which would silently override the config file. */
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
}
