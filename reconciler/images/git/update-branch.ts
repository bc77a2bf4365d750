import { GitConfigError, checkBranchName } from '../../git';

/** Prefix of per-policy update branches. */
export const UPDATE_BRANCH_PREFIX = 'fluxops/update-';

/**
 * The update branch of one policy (pull-request flow): `fluxops/update-<policy>`, or
 * `fluxops/update-<site>-<policy>` for a site-specific entry. Throws `GitConfigError` when the
 * result is not a valid branch name.
 */
export function policyUpdateBranch(policy: string, opts: { readonly site?: string; readonly prefix?: string } = {}): string {
  const name = `${opts.prefix ?? UPDATE_BRANCH_PREFIX}${opts.site !== undefined ? `${opts.site}-` : ''}${policy}`;
  checkBranchName('pushBranch', name);
  if (name.endsWith('-') || name.endsWith('/')) throw new GitConfigError({ field: 'pushBranch', value: name, reason: 'needs a policy name' });
  return name;
}
