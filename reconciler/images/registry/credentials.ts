import { inspect } from 'node:util';
import { z } from 'zod';
import { DockerConfigError } from './errors';
import { canonicalRegistryHost } from './image-name';

/**
 * A secret string that does not leak: `String()`, JSON and `util.inspect` (so logs, error
 * messages and snapshots) all show `<redacted>`. Only {@link Secret.reveal} gives the value.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The secret value, for building an Authorization header or a token request. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '<redacted>';
  }
  toJSON(): string {
    return '<redacted>';
  }
  [inspect.custom](): string {
    return '<redacted>';
  }
}

/** Credentials for one registry, as Docker's `config.json` can hold them. */
export type RegistryCredential =
  /** Username and password (or personal access token), sent as HTTP basic or to the token service. */
  | { readonly kind: 'basic'; readonly username: string; readonly password: Secret }
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token service. */
  | { readonly kind: 'identity-token'; readonly username?: string; readonly token: Secret }
  /** A bearer token sent as is (`registrytoken`). */
  | { readonly kind: 'registry-token'; readonly token: Secret };

/** Credentials by registry host; lookups match hosts the way Docker does. */
export interface RegistryCredentials {
  /** The credential for a registry (`docker.io`, `ghcr.io`, `registry.local:5000`), if any. */
  lookup(registry: string): RegistryCredential | undefined;
  /** The registries credentials are configured for (canonical hosts). */
  readonly registries: readonly string[];
}

/** No credentials: anonymous access everywhere. */
export const ANONYMOUS: RegistryCredentials = { lookup: () => undefined, registries: [] };

/** Builds a credential store from `host -> credential` (hosts are canonicalized like `config.json` keys). */
export function staticCredentials(entries: Readonly<Record<string, RegistryCredential>>): RegistryCredentials {
  const map = new Map<string, RegistryCredential>();
  for (const [host, cred] of Object.entries(entries)) map.set(canonicalRegistryHost(host), cred);
  return { lookup: (registry) => map.get(canonicalRegistryHost(registry)), registries: [...map.keys()] };
}

const authEntrySchema = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
});
const dockerConfigSchema = z.looseObject({ auths: z.record(z.string(), authEntrySchema).optional() });

/**
 * Reads the `auths` of a Docker `config.json` (already parsed JSON): `auth` (base64
 * `user:password`), or `username` + `password`, or `identitytoken`, or `registrytoken`. Keys may be
 * hosts or URLs (`https://index.docker.io/v1/`). `credsStore`/`credHelpers` are not supported (they
 * run programs); such registries stay anonymous. Throws {@link DockerConfigError} naming `source`
 * and the field, never the value.
 */
export function parseDockerConfig(json: unknown, source: string): RegistryCredentials {
  const parsed = dockerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)';
    throw new DockerConfigError(source, field, issue?.message ?? 'does not match the config.json format');
  }
  const entries: Record<string, RegistryCredential> = {};
  for (const [key, entry] of Object.entries(parsed.data.auths ?? {})) {
    const field = (name: string): string => `auths[${JSON.stringify(key)}]${name ? `.${name}` : ''}`;
    const host = canonicalRegistryHost(key);
    if (host === '') throw new DockerConfigError(source, field(''), 'is not a registry host');
    if (entry.identitytoken) {
      entries[host] = { kind: 'identity-token', ...(entry.username ? { username: entry.username } : {}), token: new Secret(entry.identitytoken) };
    } else if (entry.registrytoken) {
      entries[host] = { kind: 'registry-token', token: new Secret(entry.registrytoken) };
    } else if (entry.auth) {
      const decoded = decodeBasicAuth(entry.auth);
      if (!decoded) throw new DockerConfigError(source, field('auth'), 'is not base64 of "username:password"');
      entries[host] = { kind: 'basic', username: decoded.username, password: new Secret(decoded.password) };
    } else if (entry.username !== undefined || entry.password !== undefined) {
      if (!entry.username || entry.password === undefined) throw new DockerConfigError(source, field(entry.username ? 'password' : 'username'), 'is missing');
      entries[host] = { kind: 'basic', username: entry.username, password: new Secret(entry.password) };
    }
    // An entry with none of these (Docker writes `{}` for credsStore-managed hosts) stays anonymous.
  }
  return staticCredentials(entries);
}

/** {@link parseDockerConfig} for the text of a `config.json`. */
export function parseDockerConfigText(text: string, source: string): RegistryCredentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DockerConfigError(source, '(root)', `is not JSON (${(err as Error).message})`);
  }
  return parseDockerConfig(json, source);
}

/**
 * Credentials from a Kubernetes Secret of type `kubernetes.io/dockerconfigjson` (the object as the
 * API returns it: `data` values base64). Pure: fetching the Secret is the caller's job.
 */
export function credentialsFromDockerConfigSecret(secret: {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}): RegistryCredentials {
  const source = `secret ${secret.metadata?.namespace ?? ''}${secret.metadata?.namespace ? '/' : ''}${secret.metadata?.name ?? '(unnamed)'}`;
  if (secret.type !== 'kubernetes.io/dockerconfigjson') {
    throw new DockerConfigError(source, 'type', `is ${JSON.stringify(secret.type)}, expected "kubernetes.io/dockerconfigjson"`);
  }
  const encoded = secret.data?.['.dockerconfigjson'];
  if (encoded === undefined) throw new DockerConfigError(source, 'data[".dockerconfigjson"]', 'is missing');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new DockerConfigError(source, 'data[".dockerconfigjson"]', 'is not base64');
  return parseDockerConfigText(Buffer.from(encoded, 'base64').toString('utf8'), source);
}

function decodeBasicAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth.trim())) return undefined;
  const text = Buffer.from(auth.trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
