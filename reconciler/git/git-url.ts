import * as path from 'node:path';
import { GitConfigError } from './git-errors';

/** How git reaches a remote. */
export type GitTransport = 'https' | 'http' | 'ssh' | 'git' | 'file';

/** A remote URL checked by {@link parseGitUrl}. */
export interface GitRemoteUrl {
  /** The URL as git is given it (never contains credentials). */
  readonly url: string;
  /** Transport it uses. */
  readonly transport: GitTransport;
  /** Host (and `:port`) for network transports. */
  readonly host?: string;
  /** Host name alone, lower case (no port), for network transports. */
  readonly hostname?: string;
  /** Form for messages, logs and cache keys: no user info of http(s) URLs, no query, no fragment. */
  readonly display: string;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** `user@host:path` (scp-like ssh); a colon before the first slash and no scheme. */
const SCP_LIKE = /^(?:([^@/]+)@)?(\[[^\]]+\]|[^:/]+):(?!\/\/)(.*)$/;

/**
 * Checks a remote URL and tells its transport. Credentials never belong in a URL (they would be
 * visible in `ps` and in git's own messages): an http(s) URL with user info is refused with a
 * {@link GitConfigError}; pass them as `GitAuth` instead. Accepts `https://`, `http://`,
 * `ssh://`, `git://`, `file://`, scp-like `git@host:org/repo.git` and absolute local paths.
 */
export function parseGitUrl(url: string): GitRemoteUrl {
  if (typeof url !== 'string' || url.trim() === '' || url !== url.trim() || /[\x00-\x1f\x7f]/.test(url)) {
    throw new GitConfigError({ field: 'url', value: typeof url === 'string' ? displayGitUrl(url) : String(url), reason: 'must be a non-empty URL without spaces around it or control characters' });
  }
  if (url.startsWith('-')) throw new GitConfigError({ field: 'url', value: url, reason: 'must not start with "-"' });
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new GitConfigError({ field: 'url', value: displayGitUrl(url), reason: 'is not a valid URL' });
    }
    if (scheme === 'file') {
      if (parsed.host !== '' && parsed.host !== 'localhost') throw new GitConfigError({ field: 'url', value: url, reason: 'file:// URLs must name a local path' });
      return { url, transport: 'file', display: `file://${parsed.pathname}` };
    }
    if (scheme !== 'https' && scheme !== 'http' && scheme !== 'ssh' && scheme !== 'git') {
      throw new GitConfigError({ field: 'url', value: displayGitUrl(url), reason: `unsupported scheme "${scheme}" (use https, http, ssh, git or file)` });
    }
    if (parsed.hostname === '') throw new GitConfigError({ field: 'url', value: displayGitUrl(url), reason: 'has no host' });
    if ((scheme === 'https' || scheme === 'http') && (parsed.username !== '' || parsed.password !== '')) {
      throw new GitConfigError({
        field: 'url',
        value: displayGitUrl(url),
        reason: 'must not contain credentials (they would show in process lists and git messages); pass them as auth instead',
      });
    }
    if (parsed.password !== '') throw new GitConfigError({ field: 'url', value: displayGitUrl(url), reason: 'must not contain a password' });
    return { url, transport: scheme, host: parsed.host, hostname: parsed.hostname.toLowerCase().replace(/^\[|\]$/g, ''), display: displayGitUrl(url) };
  }
  if (path.isAbsolute(url)) return { url, transport: 'file', display: url };
  const scp = SCP_LIKE.exec(url);
  if (scp && scp[2] !== undefined && scp[3] !== undefined && scp[3] !== '') {
    const host = scp[2];
    return { url, transport: 'ssh', host, hostname: host.toLowerCase().replace(/^\[|\]$/g, ''), display: url };
  }
  throw new GitConfigError({ field: 'url', value: displayGitUrl(url), reason: 'is neither a URL (https, http, ssh, git, file), an scp-like "user@host:path" nor an absolute path' });
}

/**
 * A URL fit for messages and logs: user info of http(s) URLs, any password, the query and the
 * fragment removed. Works on strings that are not valid URLs too (best effort, never throws).
 */
export function displayGitUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return url.replace(/^[^@/:]*:[^@/]*@/, '');
  try {
    const u = new URL(url);
    if (scheme === 'ssh' || scheme === 'git') u.password = '';
    else {
      u.username = '';
      u.password = '';
    }
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    // Not parseable: cut anything between the scheme and an @ that could be credentials.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1').replace(/[?#].*$/, '');
  }
}

/** Whether the host is a loopback address (plain-http credentials are allowed there only by default). */
export function isLoopbackHost(hostname: string | undefined): boolean {
  return hostname === 'localhost' || hostname === '::1' || (hostname !== undefined && /^127(\.\d{1,3}){3}$/.test(hostname));
}
