import type { SemverPolicyRule } from '../image-policy';

/**
 * Comparator appended to every `||` group when prereleases are included. In Masterminds semver (what
 * Flux uses) a group that names a prerelease admits prereleases in all its comparators, which is
 * exactly `IncludePrerelease`; `>=0.0.0-0` itself admits every version.
 */
export const FLUX_INCLUDE_PRERELEASES = '>=0.0.0-0';

/**
 * The range to give Flux (Masterminds semver) for a rule. With prereleases excluded the range is
 * passed as written. With prereleases included, every `||` group gets the extra comparator
 * {@link FLUX_INCLUDE_PRERELEASES}, so Flux selects exactly what FluxOps selects: `~2.0.18` becomes
 * `~2.0.18 >=0.0.0-0`, which admits `2.0.19-rc.1` but, like FluxOps, not `2.0.18-rc.1`.
 */
export function toFluxSemverRange(rule: SemverPolicyRule): string {
  if ((rule.prereleases ?? 'exclude') === 'exclude') return rule.range;
  return rule.range
    .split('||')
    .map((group) => `${group.trim()} ${FLUX_INCLUDE_PRERELEASES}`)
    .join(' || ');
}
