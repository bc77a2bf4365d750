/**
 * Semantic versions and ranges exactly as Flux reads them: `github.com/Masterminds/semver/v3`
 * v3.5.0 (what image-reflector-controller v1.2 links) behind `github.com/fluxcd/pkg/version`
 * v0.16.0 `ParseVersion`. Transliterated from the Go source, including its quirks, because a tag
 * that Flux would pick and FluxOps would not (or the reverse) is a bug users cannot see coming:
 *
 * - a version needs at least two dots anywhere (`1.2` is not a version, `1.2-rc.1` is 1.2.0-rc.1);
 * - `v` prefix and leading zeros (`v2025.02.03`) are accepted; numbers are uint64;
 * - numeric prerelease identifiers compare as numbers (`rc.10` > `rc.9`) only while they fit in a
 *   uint64, otherwise as strings;
 * - ranges: `=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`, `=<`, `~`, `~>`, `^`, wildcards `x X *`,
 *   partial versions (`1.2`, `~1`), hyphen ranges (`1.2 - 1.4.5`), AND by space or comma, OR by `||`;
 * - prereleases are candidates only for an AND group that names a prerelease, or when
 *   `includePrerelease` is set (FluxOps's `prereleases: 'include'`).
 */

/** A parsed version (Masterminds `*semver.Version`). */
export interface MastermindsVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Prerelease without the `-`, or `''`. */
  readonly pre: string;
  /** Build metadata without the `+`, or `''` (ignored when comparing). */
  readonly metadata: string;
  /** The string as written. */
  readonly original: string;
}

/** A parsed range (Masterminds `*semver.Constraints`). */
export interface MastermindsConstraints {
  /** The range as written. */
  readonly source: string;
  readonly groups: readonly (readonly Constraint[])[];
  /** Per OR group: whether one of its comparators names a prerelease. */
  readonly containsPre: readonly boolean[];
}

interface Constraint {
  readonly con: MastermindsVersion;
  readonly orig: string;
  readonly op: string;
  readonly minorDirty: boolean;
  readonly dirty: boolean;
  readonly patchDirty: boolean;
}

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_VERSION_LEN = 256;
const MAX_CONSTRAINT_LEN = 512;
const MAX_CONSTRAINT_GROUPS = 32;

/** Go's `\s` is `[\t\n\f\r ]` (no `\v`, nothing outside ASCII); the regexes below are Go's, spelled for JS. */
const S = '[\\t\\n\\f\\r ]';
const LOOSE_VERSION = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const CV = 'v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?';
const OPS = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';
const CONSTRAINT = new RegExp(`^${S}*(${OPS})${S}*(${CV})${S}*$`);
const CONSTRAINT_RANGE = new RegExp(`${S}*(${CV})${S}+-${S}+(${CV})${S}*`, 'g');
const FIND_CONSTRAINT = new RegExp(`(${OPS})${S}*(${CV})`, 'g');
const VALID_CONSTRAINT = new RegExp(`^(${S}*(${OPS})${S}*(${CV})${S}*)((?:${S}+|,${S}*)(${OPS})${S}*(${CV})${S}*)*$`);

const ALLOWED = /^[0-9A-Za-z-]*$/;

/** Masterminds `NewVersion` (coercing: `1`, `1.2`, `v1.2.3`, leading zeros). `undefined` if invalid. */
export function parseMastermindsVersion(v: string): MastermindsVersion | undefined {
  if (v.length > MAX_VERSION_LEN) return undefined;
  const m = LOOSE_VERSION.exec(v);
  if (!m) return undefined;
  const major = parseUint64(m[1] ?? '');
  const minor = m[2] ? parseUint64(m[2].slice(1)) : 0n;
  const patch = m[3] ? parseUint64(m[3].slice(1)) : 0n;
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  const pre = m[5] ?? '';
  const metadata = m[8] ?? '';
  if (pre !== '' && !validPrerelease(pre)) return undefined;
  if (metadata !== '' && !validMetadata(metadata)) return undefined;
  return { major, minor, patch, pre, metadata, original: v };
}

/**
 * Flux's `version.ParseVersion`: Masterminds `NewVersion`, but only for strings with at least two
 * dots, so `1`, `1.2` and `latest` are not versions. This is how Flux reads every tag.
 */
export function parseFluxVersion(tag: string): MastermindsVersion | undefined {
  if (tag.split('.').length < 3) return undefined;
  return parseMastermindsVersion(tag);
}

/** Masterminds `Version.Compare`: -1, 0 or 1; build metadata is ignored. */
export function compareMastermindsVersions(v: MastermindsVersion, o: MastermindsVersion): number {
  const d = cmp(v.major, o.major) || cmp(v.minor, o.minor) || cmp(v.patch, o.patch);
  if (d !== 0) return d;
  if (v.pre === '' && o.pre === '') return 0;
  if (v.pre === '') return 1;
  if (o.pre === '') return -1;
  return comparePrerelease(v.pre, o.pre);
}

/** Result of {@link parseMastermindsConstraints}. */
export type MastermindsConstraintsResult =
  | { readonly ok: true; readonly value: MastermindsConstraints }
  | { readonly ok: false; readonly problem: string };

/** Masterminds `NewConstraint`. */
export function parseMastermindsConstraints(range: string): MastermindsConstraintsResult {
  if (typeof range !== 'string') return { ok: false, problem: 'must be a string' };
  if (range.length > MAX_CONSTRAINT_LEN) return { ok: false, problem: `is too long (max ${MAX_CONSTRAINT_LEN} bytes)` };
  const rewritten = rewriteRange(range);
  const ors = rewritten.split('||');
  if (ors.length > MAX_CONSTRAINT_GROUPS) return { ok: false, problem: `has too many || groups (max ${MAX_CONSTRAINT_GROUPS})` };
  const groups: Constraint[][] = [];
  const containsPre: boolean[] = [];
  for (const or of ors) {
    if (!VALID_CONSTRAINT.test(or)) return { ok: false, problem: `improper constraint: ${JSON.stringify(or)}` };
    const found = or.match(FIND_CONSTRAINT) ?? [or];
    const group: Constraint[] = [];
    let hasPre = false;
    for (const s of found) {
      const c = parseConstraint(s);
      if (typeof c === 'string') return { ok: false, problem: c };
      if (c.con.pre !== '') hasPre = true;
      group.push(c);
    }
    groups.push(group);
    containsPre.push(hasPre);
  }
  return { ok: true, value: { source: range, groups, containsPre } };
}

/** Masterminds `Constraints.Check`, with `IncludePrerelease` as given. */
export function mastermindsSatisfies(v: MastermindsVersion, cs: MastermindsConstraints, includePrerelease = false): boolean {
  return cs.groups.some((group, i) => group.every((c) => check(v, c, includePrerelease || (cs.containsPre[i] ?? false))));
}

function parseUint64(s: string): bigint | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n > MAX_UINT64 ? undefined : n;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validPrerelease(p: string): boolean {
  return p.split('.').every((part) => {
    if (part === '') return false;
    if (/^[0-9]+$/.test(part)) return !(part.length > 1 && part.startsWith('0'));
    return ALLOWED.test(part);
  });
}

function validMetadata(m: string): boolean {
  return m.split('.').every((part) => part !== '' && ALLOWED.test(part));
}

function comparePrerelease(v: string, o: string): number {
  const sp = v.split('.');
  const op = o.split('.');
  const l = Math.max(sp.length, op.length);
  for (let i = 0; i < l; i++) {
    const d = comparePrePart(sp[i] ?? '', op[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const oi = parseUint64(o);
  const si = parseUint64(s);
  if (oi === undefined && si === undefined) return s > o ? 1 : -1;
  if (oi === undefined) return -1;
  if (si === undefined) return 1;
  return (si as bigint) > oi ? 1 : -1;
}

function isX(x: string): boolean {
  return x === 'x' || x === '*' || x === 'X';
}

function rewriteRange(i: string): string {
  let o = i;
  for (const m of i.matchAll(CONSTRAINT_RANGE)) {
    const t = `>= ${m[1] ?? ''}, <= ${m[11] ?? ''} `;
    const at = o.indexOf(m[0]);
    if (at >= 0) o = o.slice(0, at) + t + o.slice(at + m[0].length);
  }
  return o;
}

function parseConstraint(c: string): Constraint | string {
  const m = CONSTRAINT.exec(c);
  if (!m) return `improper constraint: ${JSON.stringify(c)}`;
  const g = (n: number): string => m[n] ?? '';
  let ver = g(2);
  let minorDirty = false;
  let patchDirty = false;
  let dirty = false;
  if (isX(g(3)) || g(3) === '') {
    ver = `0.0.0${g(6)}`;
    dirty = true;
  } else if (isX(g(4).replace(/^\./, '')) || g(4) === '') {
    minorDirty = true;
    dirty = true;
    ver = `${g(3)}.0.0${g(6)}`;
  } else if (isX(g(5).replace(/^\./, '')) || g(5) === '') {
    dirty = true;
    patchDirty = true;
    ver = `${g(3)}${g(4)}.0${g(6)}`;
  }
  const con = parseMastermindsVersion(ver);
  if (!con) return `improper constraint: ${JSON.stringify(c)}`;
  return { con, orig: g(2), op: g(1), minorDirty, patchDirty, dirty };
}

function check(v: MastermindsVersion, c: Constraint, includePre: boolean): boolean {
  // Every Masterminds comparator starts with this: prereleases only when the group allows them.
  if (v.pre !== '' && !includePre) return false;
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : compareMastermindsVersions(v, c.con) === 0;
    case '!=':
      return notEqual(v, c);
    case '>':
      return greaterThan(v, c);
    case '<':
      return compareMastermindsVersions(v, c.con) < 0;
    case '>=':
    case '=>':
      return compareMastermindsVersions(v, c.con) >= 0;
    case '<=':
    case '=<':
      return lessThanEqual(v, c);
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      return caret(v, c);
    default:
      return false;
  }
}

function notEqual(v: MastermindsVersion, c: Constraint): boolean {
  if (c.dirty) {
    if (c.con.major !== v.major) return true;
    if (c.con.minor !== v.minor && !c.minorDirty) return true;
    else if (c.minorDirty) return false;
    else if (c.con.patch !== v.patch && !c.patchDirty) return true;
    else if (c.patchDirty) {
      if (v.pre !== '' || c.con.pre !== '') return comparePrerelease(v.pre, c.con.pre) !== 0;
      return false;
    }
  }
  return compareMastermindsVersions(v, c.con) !== 0;
}

function greaterThan(v: MastermindsVersion, c: Constraint): boolean {
  if (!c.dirty) return compareMastermindsVersions(v, c.con) === 1;
  if (v.major > c.con.major) return true;
  if (v.major < c.con.major) return false;
  if (c.minorDirty) return false;
  if (c.patchDirty) return v.minor > c.con.minor;
  return compareMastermindsVersions(v, c.con) === 1;
}

function lessThanEqual(v: MastermindsVersion, c: Constraint): boolean {
  if (!c.dirty) return compareMastermindsVersions(v, c.con) <= 0;
  if (v.major > c.con.major) return false;
  if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return false;
  return true;
}

function tilde(v: MastermindsVersion, c: Constraint): boolean {
  if (compareMastermindsVersions(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}

function caret(v: MastermindsVersion, c: Constraint): boolean {
  if (compareMastermindsVersions(v, c.con) < 0) return false;
  if (c.con.major > 0n || c.minorDirty) return v.major === c.con.major;
  if (c.con.major === 0n && v.major > 0n) return false;
  if (c.con.minor > 0n || c.patchDirty) return v.minor === c.con.minor;
  if (c.con.minor === 0n && v.minor > 0n) return false;
  return c.con.patch === v.patch;
}
