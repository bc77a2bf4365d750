/** Git URL schemes FluxOps understands. Flux's GitRepository accepts only http, https and ssh. */
export type GitUrlScheme = 'https' | 'http' | 'ssh' | 'file';

/** Validates a Git remote URL; scp-like `git@host:org/repo` is rejected with a hint. */
export function gitUrlProblem(url: string): string | undefined {
  if (typeof url !== 'string' || url === '') return 'must be a non-empty URL';
  if (/^[\w.-]+@[\w.-]+:/.test(url)) return 'scp-like URLs are not supported; write ssh://user@host/path instead';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL (https://, http://, ssh:// or file://)';
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!['https', 'http', 'ssh', 'file'].includes(scheme)) return `unsupported scheme "${scheme}"; use https, http, ssh or file`;
  if (scheme !== 'file' && parsed.hostname === '') return 'must name a host';
  // Credentials in a URL end up in Git, in synthesized objects and in logs. An ssh user name
  // (ssh://git@host/...) is not a credential; anything in the userinfo of an http(s) URL is.
  if (parsed.password) return 'must not embed credentials (user:password@); use secretRef';
  if ((scheme === 'https' || scheme === 'http') && parsed.username) return 'must not embed credentials (token@ or user@); use secretRef';
  return undefined;
}

/** The scheme of a URL that passed {@link gitUrlProblem}. */
export function gitUrlScheme(url: string): GitUrlScheme {
  return new URL(url).protocol.replace(/:$/, '') as GitUrlScheme;
}

/** Validates a branch or tag name with the rules of `git check-ref-format`. */
export function gitRefNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty ref name';
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'must not contain spaces, control characters or ~ ^ : ? * [ \\';
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return 'must not contain "..", "@{" or "//"';
  if (name.startsWith('/') || name.endsWith('/') || name.startsWith('-') || name.endsWith('.') || name === '@') {
    return 'must not start with "/" or "-", end with "/" or ".", or be "@"';
  }
  if (name.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'))) {
    return 'path components must not start with "." or end with ".lock"';
  }
  return undefined;
}

/** Validates a full commit id (SHA-1, or SHA-256 for sha256 repositories). */
export function commitShaProblem(sha: string): string | undefined {
  if (typeof sha !== 'string' || !/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(sha)) {
    return 'must be a full lower-case commit id (40 hex characters, or 64 for SHA-256 repositories)';
  }
  return undefined;
}

/** Validates a commit author e-mail address (shape only). */
export function emailProblem(email: string): string | undefined {
  if (typeof email !== 'string' || !/^[^\s@<>]+@[^\s@<>]+$/.test(email)) return 'must be an e-mail address like bot@example.com';
  return undefined;
}
