/**
 * Repository identity across the URL forms a Git host uses for one repository: `https://`,
 * `ssh://`, `git://`, scp-style `git@host:org/repo.git`, and the web URL.
 *
 * The identity is `host/path`: host lowercased without user info or port, path without leading or
 * trailing slashes and without a `.git` suffix, compared case-insensitively. GitHub, GitLab and
 * Gitea treat repository paths case-insensitively; and a webhook match only makes FluxOps fetch
 * the repository it is configured for, so a false match costs one fetch while a false mismatch
 * would delay a deployment until the next poll.
 */

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
// user@host:path, as git itself reads it: no scheme, and a colon before the first slash.
const SCP = /^(?:[^@/]+@)?([^:/]+):(.*)$/;

/** The comparable identity (`github.com/acme/fleet`) of a repository URL, or `undefined` if it has no usable host or path. */
export function repositoryIdentity(url: string): string | undefined {
  const text = url.trim();
  if (text === '') return undefined;
  let host: string;
  let path: string;
  if (SCHEME.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return undefined;
    }
    host = parsed.protocol === 'file:' ? '' : parsed.hostname;
    if (host === '' && parsed.protocol !== 'file:') return undefined;
    path = decodePath(parsed.pathname);
  } else if (text.startsWith('/')) {
    host = '';
    path = text; // a local path, as a file:// URL without the scheme
  } else {
    const scp = SCP.exec(text);
    if (scp) {
      host = scp[1] ?? '';
      path = scp[2] ?? '';
    } else {
      const slash = text.indexOf('/');
      if (slash <= 0) return undefined;
      host = text.slice(0, slash);
      path = text.slice(slash);
    }
  }
  host = host.toLowerCase().replace(/^\[|\]$/g, '');
  path = path
    .split('/')
    .filter((seg) => seg !== '')
    .join('/')
    .replace(/\.git$/i, '')
    .toLowerCase();
  if (path === '') return undefined;
  return `${host}/${path}`;
}

/** Whether two repository URLs name the same repository (see {@link repositoryIdentity}). */
export function sameRepository(a: string, b: string): boolean {
  const ia = repositoryIdentity(a);
  return ia !== undefined && ia === repositoryIdentity(b);
}

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    // A stray `%` is not an escape: compare the path as written (both sides go through here).
    return pathname;
  }
}
