import {
  compareMastermindsVersions,
  mastermindsSatisfies,
  parseFluxVersion,
  parseMastermindsConstraints,
  type MastermindsVersion,
  type PrereleaseHandling,
} from '../../../constructs/validation';
import { InvalidTagPolicyError } from './errors';
import { compareGoStrings, preferLastListedTag, type OrderingKey, type TagOrdering } from './tag-ordering';

/**
 * Highest version in a range, with Flux's semver semantics (Masterminds v3 behind
 * `version.ParseVersion`; see constructs/validation/masterminds-semver.ts).
 *
 * Ties (`1.0.0`, `v1.0.0`, `1.0.0+b1` are equal versions): the lexically smallest value wins, which
 * is what Flux picks from a registry's sorted tag list (it keeps the first of equal versions).
 */
export function semverOrdering(range: string, prereleases: PrereleaseHandling = 'exclude'): TagOrdering<MastermindsVersion> {
  const parsed = parseMastermindsConstraints(range);
  if (!parsed.ok) throw new InvalidTagPolicyError({ field: 'rule.range', value: range, reason: parsed.problem });
  const constraints = parsed.value;
  const include = prereleases === 'include';
  return {
    kind: 'semver',
    description: `semver ${range}${include ? ' (prereleases included)' : ''}`,
    key(value: string): OrderingKey<MastermindsVersion> {
      const v = parseFluxVersion(value);
      if (!v) {
        return { rejection: { code: 'not-a-version', message: `"${value}" is not a semver version (major.minor.patch, optional "v")` } };
      }
      if (!mastermindsSatisfies(v, constraints, include)) {
        const why = v.pre !== '' && !include ? ' (prerelease; the range names none and prereleases are excluded)' : '';
        return { key: v, rejection: { code: 'out-of-range', message: `version ${value} is not in range "${range}"${why}` } };
      }
      return { key: v };
    },
    compareKeys: compareMastermindsVersions,
    // Flux keeps the first of equal versions it sees; with a filter, the last tag per extracted value.
    tieBreak: (a, b) => (a.value !== b.value ? -compareGoStrings(a.value, b.value) : preferLastListedTag(a, b)),
  };
}
