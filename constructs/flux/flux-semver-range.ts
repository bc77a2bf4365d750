import * as semver from 'semver';
import type { SemverPolicyRule } from '../image-policy';

/**
 * The range to give Flux (Masterminds semver) for a rule. With prereleases excluded the range
 * is passed as written. With prereleases included, each comparator gets a `-0` prerelease,
 * which is how Masterminds is told to consider prereleases: `^1.2.0` becomes
 * `>=1.2.0-0 <2.0.0-0`.
 */
export function toFluxSemverRange(rule: SemverPolicyRule): string {
  if ((rule.prereleases ?? 'exclude') === 'exclude') return rule.range;
  const range = new semver.Range(rule.range, { includePrerelease: true });
  return range.set
    .map((comparators) =>
      comparators
        .map((c) => {
          if (c.value === '') return '*';
          const v = c.semver.prerelease.length > 0 ? c.semver.version : `${c.semver.version}-0`;
          return `${c.operator}${v}`;
        })
        .join(' '),
    )
    .join(' || ');
}
