import * as fs from 'node:fs/promises';
import { GitConfigError } from './git-errors';
import { isLoopbackHost, type GitRemoteUrl } from './git-url';
import { sshCommand } from './ssh-command';

/** No credentials (public repositories, `git://`, local paths; for ssh, the user's own ssh setup). */
export interface GitNoAuth {
  /** Discriminator. */
  readonly kind: 'none';
}

/**
 * An access token for an http(s) remote, sent as an `Authorization` header. With the default
 * `basic` scheme the header is `Basic base64(<username>:<token>)`, which GitHub
 * (`x-access-token`), GitLab (`oauth2`) and Gitea (any name) accept; `bearer` sends
 * `Bearer <token>` (Azure DevOps, some proxies).
 */
export interface GitTokenAuth {
  /** Discriminator. */
  readonly kind: 'token';
  /** The token, as read by the caller from a file or the environment. */
  readonly token: string;
  /** User name paired with the token. @default 'x-access-token' */
  readonly username?: string;
  /** Header scheme. @default 'basic' */
  readonly scheme?: 'basic' | 'bearer';
}

/** User name and password for an http(s) remote, sent as a `Basic` `Authorization` header. */
export interface GitBasicAuth {
  /** Discriminator. */
  readonly kind: 'basic';
  /** User name (no `:`). */
  readonly username: string;
  /** Password, as read by the caller from a file or the environment. */
  readonly password: string;
}

/** A private key file for an ssh remote, checked against a known_hosts file. */
export interface GitSshAuth {
  /** Discriminator. */
  readonly kind: 'ssh';
  /** Path of the private key (unencrypted: nobody is there to type a passphrase). */
  readonly privateKeyFile: string;
  /** Path of the known_hosts file holding the server's host key. Required unless `insecureIgnoreHostKey`. */
  readonly knownHostsFile?: string;
  /**
   * Accept any host key. Off unless the caller explicitly turns it on: it allows a
   * man-in-the-middle to receive pushes and serve forged commits.
   * @default false
   */
  readonly insecureIgnoreHostKey?: boolean;
}

/** How FluxOps authenticates to a git remote. Credentials are passed to git only through its environment. */
export type GitAuth = GitNoAuth | GitTokenAuth | GitBasicAuth | GitSshAuth;

/** No credentials. */
export const NO_GIT_AUTH: GitNoAuth = { kind: 'none' };

/** Options of {@link gitAuthEnvironment}. */
export interface GitAuthEnvironmentOptions {
  /**
   * Allow sending a token or password over plain `http://` to a host that is not a loopback
   * address. Off by default: the credential would cross the network in clear.
   * @default false
   */
  readonly allowInsecureHttp?: boolean;
  /** Seconds ssh waits for the TCP connection. @default 15 */
  readonly connectTimeoutSec?: number;
}

/** What git needs for one remote's credentials: environment variables and git config entries. */
export interface GitAuthEnvironment {
  /** Variables to set (`GIT_SSH_COMMAND`, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Config entries, passed as `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` (never `-c`, which shows in `ps`). */
  readonly config: ReadonlyArray<readonly [key: string, value: string]>;
  /** Every secret string in `env` or `config`, for redacting anything git prints. */
  readonly secrets: readonly string[];
  /** Whether credentials are sent at all. */
  readonly withCredentials: boolean;
}

const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * Checks `auth` against the remote and turns it into environment for git. Tokens and passwords
 * become an `Authorization` header scoped to the remote's scheme, host and port
 * (`http.<origin>/.extraHeader`), so a redirect to another host never receives it; ssh keys
 * become `GIT_SSH_COMMAND`. Throws {@link GitConfigError} (naming the field, never the secret)
 * when the combination is wrong or a file is missing.
 */
export async function gitAuthEnvironment(remote: GitRemoteUrl, auth: GitAuth, opts: GitAuthEnvironmentOptions = {}): Promise<GitAuthEnvironment> {
  const connectTimeoutSec = opts.connectTimeoutSec ?? 15;
  switch (auth?.kind) {
    case 'none':
      return remote.transport === 'ssh'
        ? { env: { GIT_SSH_COMMAND: sshCommand({ connectTimeoutSec }), GIT_SSH_VARIANT: 'ssh' }, config: [], secrets: [], withCredentials: false }
        : { env: {}, config: [], secrets: [], withCredentials: false };
    case 'token':
    case 'basic': {
      if (remote.transport !== 'https' && remote.transport !== 'http') {
        throw new GitConfigError({ field: 'auth.kind', value: auth.kind, reason: `a ${auth.kind} credential needs an https URL, not ${remote.transport} (${remote.display})` });
      }
      if (remote.transport === 'http' && !isLoopbackHost(remote.hostname) && !opts.allowInsecureHttp) {
        throw new GitConfigError({
          field: 'url',
          value: remote.display,
          reason: 'credentials would be sent in clear over plain http; use https (or allowInsecureHttp for a trusted network)',
        });
      }
      const header = authorizationHeader(auth);
      const origin = new URL(remote.url).origin;
      return {
        env: {},
        config: [[`http.${origin}/.extraHeader`, `Authorization: ${header}`]],
        secrets: secretsOf(auth, header),
        withCredentials: true,
      };
    }
    case 'ssh': {
      if (remote.transport !== 'ssh') {
        throw new GitConfigError({ field: 'auth.kind', value: 'ssh', reason: `an ssh key needs an ssh URL (ssh://... or user@host:path), not ${remote.transport} (${remote.display})` });
      }
      await requireReadableFile('auth.privateKeyFile', auth.privateKeyFile);
      if (!auth.insecureIgnoreHostKey) {
        if (auth.knownHostsFile === undefined || auth.knownHostsFile === '') {
          throw new GitConfigError({ field: 'auth.knownHostsFile', reason: 'is required to check the server host key (or set insecureIgnoreHostKey explicitly)' });
        }
        await requireReadableFile('auth.knownHostsFile', auth.knownHostsFile);
      }
      const command = sshCommand({
        privateKeyFile: auth.privateKeyFile,
        knownHostsFile: auth.insecureIgnoreHostKey ? undefined : auth.knownHostsFile,
        insecureIgnoreHostKey: auth.insecureIgnoreHostKey === true,
        connectTimeoutSec,
      });
      return { env: { GIT_SSH_COMMAND: command, GIT_SSH_VARIANT: 'ssh' }, config: [], secrets: [], withCredentials: true };
    }
    default:
      throw new GitConfigError({ field: 'auth.kind', value: String((auth as { kind?: unknown } | undefined)?.kind), reason: 'must be "none", "token", "basic" or "ssh"' });
  }
}

function authorizationHeader(auth: GitTokenAuth | GitBasicAuth): string {
  if (auth.kind === 'token') {
    if (typeof auth.token !== 'string' || !HEADER_SAFE.test(auth.token)) {
      throw new GitConfigError({ field: 'auth.token', reason: 'must be a non-empty token of printable characters without spaces or line breaks' });
    }
    const scheme = auth.scheme ?? 'basic';
    if (scheme === 'bearer') return `Bearer ${auth.token}`;
    if (scheme !== 'basic') throw new GitConfigError({ field: 'auth.scheme', value: String(scheme), reason: 'must be "basic" or "bearer"' });
    const username = auth.username ?? 'x-access-token';
    checkUsername('auth.username', username);
    return `Basic ${Buffer.from(`${username}:${auth.token}`, 'utf8').toString('base64')}`;
  }
  checkUsername('auth.username', auth.username);
  if (typeof auth.password !== 'string' || auth.password === '' || /[\r\n\0]/.test(auth.password)) {
    throw new GitConfigError({ field: 'auth.password', reason: 'must be a non-empty string without line breaks' });
  }
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

function checkUsername(field: string, username: string): void {
  if (typeof username !== 'string' || username === '' || /[:\s\0]/.test(username)) {
    throw new GitConfigError({ field, value: typeof username === 'string' ? username : String(username), reason: 'must be a non-empty name without ":" or spaces' });
  }
}

function secretsOf(auth: GitTokenAuth | GitBasicAuth, header: string): string[] {
  const raw = auth.kind === 'token' ? auth.token : auth.password;
  const encoded = header.replace(/^\S+ /, '');
  return [...new Set([header, encoded, raw].filter((s) => s.length >= 4))];
}

async function requireReadableFile(field: string, file: string): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new GitConfigError({ field, reason: 'must be a file path' });
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) throw new GitConfigError({ field, value: file, reason: 'is not a regular file' });
    await fs.access(file, fs.constants.R_OK);
  } catch (err) {
    if (err instanceof GitConfigError) throw err;
    throw new GitConfigError({ field, value: file, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
  }
}
