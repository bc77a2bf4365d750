import * as semver from 'semver';

/** Whether prerelease versions (`1.3.0-rc.1`) may be selected by a semver rule. */
export type PrereleaseHandling = 'exclude' | 'include';

const PRERELEASE_IN_RANGE = /\d+\.\d+\.\d+-[0-9A-Za-z]/;

/**
 * Validates a semver range. With `exclude`, a range that itself names a prerelease is rejected:
 * node-semver and Flux (Masterminds) disagree on what such a range admits, so the intent must
 * be spelled out with `prereleases: 'include'` instead.
 */
export function semverRangeProblem(range: string, prereleases: PrereleaseHandling = 'exclude'): string | undefined {
  if (typeof range !== 'string' || range.trim() === '') return 'must be a non-empty semver range like "^1.2.0"';
  if (semver.validRange(range, { includePrerelease: prereleases === 'include' }) === null) {
    return 'is not a valid semver range (examples: "^1.2.0", "~2.0.18", ">=1.0.0 <2.0.0", "1.x")';
  }
  if (prereleases === 'exclude' && PRERELEASE_IN_RANGE.test(range)) {
    return 'names a prerelease but prereleases are excluded; set prereleases: "include" to select prereleases';
  }
  return undefined;
}

/** Whether `version` satisfies `range` under the given prerelease handling. */
export function satisfiesRange(version: string, range: string, prereleases: PrereleaseHandling = 'exclude'): boolean {
  const parsed = semver.parse(version, { loose: false });
  if (!parsed) return false;
  if (prereleases === 'exclude' && parsed.prerelease.length > 0) return false;
  return semver.satisfies(parsed, range, { includePrerelease: prereleases === 'include' });
}
