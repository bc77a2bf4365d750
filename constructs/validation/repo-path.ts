import * as path from 'node:path';

/** Validates a path inside a Git repository: relative, POSIX, never escaping the root. */
export function repoPathProblem(value: string): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty relative path like "./clusters"';
  if (value.startsWith('/') || value.includes('\\')) return 'must be a relative POSIX path inside the repository';
  if (value.split('/').includes('..')) return 'must not contain ".." segments';
  return undefined;
}

/** Normalises a repository path to Flux's `./dir/sub` form (`.` becomes `./`). */
export function normalizeRepoPath(value: string): string {
  const n = path.posix.normalize(value).replace(/\/+$/, '');
  return n === '.' || n === '' ? './' : `./${n.replace(/^\.\//, '')}`;
}

/** Joins repository path segments, normalised. */
export function joinRepoPath(...segments: string[]): string {
  return normalizeRepoPath(path.posix.join(...segments));
}

/** Validates an absolute path inside a container (mount paths). */
export function containerPathProblem(value: string): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/')) return 'must be an absolute path inside the container';
  if (value.split('/').includes('..')) return 'must not contain ".." segments';
  if (value.includes(':')) return 'must not contain ":"';
  return undefined;
}
