/** What `git push --porcelain` says about one ref. */
export type PushRefStatus =
  /** Updated, created, or already at that commit. */
  | { readonly kind: 'updated'; readonly flag: string; readonly summary: string }
  /** Lost a race: the branch moved (`fetch first`, `non-fast-forward`, a lease that no longer holds, a ref locked on the server). */
  | { readonly kind: 'moved'; readonly reason: string }
  /** The remote refused it for another reason (hooks, branch protection): retrying does not help. */
  | { readonly kind: 'refused'; readonly reason: string };

const MOVED = /fetch first|non-fast-forward|stale info|cannot lock ref|failed to update ref|incorrect old value|reference already exists/i;

/**
 * Reads the status line of `ref` (`refs/heads/main`) from `git push --porcelain` output:
 * `<flag>\t<from>:<to>\t<summary>`. `undefined` when git printed none (the push failed before
 * talking about refs: auth, network; classify stderr instead).
 */
export function parsePushStatus(stdout: string, ref: string): PushRefStatus | undefined {
  for (const line of stdout.split('\n')) {
    const parts = line.split('\t');
    if (parts.length < 3) continue;
    const [flag, refs, summary] = parts as [string, string, string];
    if (!refs.endsWith(`:${ref}`)) continue;
    if (flag === ' ' || flag === '+' || flag === '*' || flag === '=') return { kind: 'updated', flag, summary };
    const reason = /\(([^)]*)\)\s*$/.exec(summary)?.[1] ?? summary;
    if (flag === '!' && MOVED.test(summary)) return { kind: 'moved', reason };
    return { kind: 'refused', reason };
  }
  return undefined;
}
