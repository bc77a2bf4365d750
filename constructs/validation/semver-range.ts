import { mastermindsSatisfies, parseFluxVersion, parseMastermindsConstraints } from './masterminds-semver';

/**
 * Whether prerelease versions (`1.3.0-rc.1`) may be selected by a semver rule even when the range
 * names none. A range that names a prerelease (`>=1.3.0-rc.1`) admits prereleases for its own
 * comparator group either way, as in Flux.
 */
export type PrereleaseHandling = 'exclude' | 'include';

/**
 * Validates a semver range with the grammar Flux accepts (Masterminds semver v3): `^1.2`, `~1.2.3`,
 * `>=1.0 <2`, `1.x`, `1.2 - 1.4`, `>=1 || ~0.9`, comma-separated ANDs.
 */
export function semverRangeProblem(range: string, prereleases: PrereleaseHandling = 'exclude'): string | undefined {
  if (typeof range !== 'string' || range.trim() === '') return 'must be a non-empty semver range like "^1.2.0"';
  const parsed = parseMastermindsConstraints(range);
  if (!parsed.ok) return `is not a valid semver range: ${parsed.problem} (examples: "^1.2.0", "~2.0.18", ">=1.0.0 <2.0.0", "1.x")`;
  // The Flux rendering adds " >=0.0.0-0" per group (see toFluxSemverRange); Masterminds caps ranges at 512 bytes.
  if (prereleases === 'include' && range.length + parsed.value.groups.length * 11 > 512) {
    return 'is too long to give to Flux with prereleases included (max 512 bytes)';
  }
  return undefined;
}

/**
 * Whether `version` satisfies `range` the way Flux decides it: the version must parse with Flux's
 * `ParseVersion` (at least `major.minor.patch`, optional `v`), and prereleases count only when the
 * comparator group names one or `prereleases` is `include`.
 */
export function satisfiesRange(version: string, range: string, prereleases: PrereleaseHandling = 'exclude'): boolean {
  const v = parseFluxVersion(version);
  if (!v) return false;
  const cs = parseMastermindsConstraints(range);
  if (!cs.ok) return false;
  return mastermindsSatisfies(v, cs.value, prereleases === 'include');
}
