import fc from 'fast-check';
import * as semver from 'semver';
import { imageTagProblem } from '../../../../constructs/validation';
import { createTagPolicy } from '../../../../reconciler/images/policy';

/**
 * Properties of the policy engine against independent oracles: whatever tags a registry lists,
 * the chosen tag satisfies the policy and no qualifying tag is newer; when nothing qualifies,
 * nothing is chosen. Oracles: npm `semver` for plain X.Y.Z versions and simple ranges (where it
 * agrees with Masterminds), byte order for alphabetical, `Number` for plain digit strings.
 * (Parity with Flux itself, on arbitrary input, is flux-parity.int.test.ts against Go.)
 */

const RUNS = { numRuns: 300 };
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What a registry might list: mostly valid tags, some junk, signatures, odd characters. */
const num = fc.integer({ min: 0, max: 30 }).map(String);
const plainVersion = fc.tuple(num, num, num).map(([a, b, c]) => `${a}.${b}.${c}`);
const junk = fc.oneof(
  fc.constantFrom('latest', 'main', 'sha256-abc.sig', 'v1.2.3.sig', '1.2', 'v1.2.3', '1.2.3-rc.1', '', '-1', '.1', 'a b', '1.2.3+b', 'x'.repeat(129)),
  fc.string({ unit: fc.constantFrom(...'abv0123456789.-_+ /'.split('')), maxLength: 10 }),
);
const tagList = (tag: fc.Arbitrary<string>) => fc.array(fc.oneof({ weight: 4, arbitrary: tag }, { weight: 1, arbitrary: junk }), { maxLength: 25 });

/** Junk whose meaning both oracle and Flux agree on (no two-part or zero-padded versions). */
const semverJunk = fc.constantFrom('latest', 'main', 'sha256-abc.sig', '1.2.3.sig', '1.2.3-rc.1', '2.0.0-beta', '', '-1', '.1', 'a b', '1.2.3+b', 'v'.repeat(129), 'v1.2.3 ');
const ranges = fc.constantFrom('^1.2.0', '~1.2.0', '>=1.0.0 <2.0.0', '>=2.3.4', '<5.0.0', '1.x', '^10.0.0', '>=1.2.3 <1.2.10', '*');

describe('policy engine properties', () => {
  test('semver: the chosen tag is in range and no in-range tag is newer (oracle: npm semver)', () => {
    fc.assert(
      fc.property(ranges, fc.array(fc.oneof({ weight: 4, arbitrary: plainVersion.chain((v) => fc.constantFrom(v, `v${v}`)) }, { weight: 1, arbitrary: semverJunk }), { maxLength: 25 }), (range, tags) => {
        const latest = createTagPolicy({ name: 'p', rule: { kind: 'semver', range } }).latest(tags);
        // `v1.2.3` is version 1.2.3 for Flux (Masterminds) and for npm semver alike.
        const version = (t: string): string => t.replace(/^v/, '');
        const qualifying = tags.filter((t) => OCI_TAG.test(t) && semver.valid(version(t)) === version(t) && semver.satisfies(version(t), range));
        if (qualifying.length === 0) {
          expect(latest).toBeUndefined();
          return;
        }
        expect(latest).toBeDefined();
        expect(tags).toContain(latest);
        expect(semver.satisfies(version(latest as string), range)).toBe(true);
        for (const t of qualifying) expect(semver.gt(version(t), version(latest as string))).toBe(false);
      }),
      RUNS,
    );
  });

  test.each(['asc', 'desc'] as const)('alphabetical %s: the chosen tag is a valid, non-excluded tag and the extreme of them', (order) => {
    fc.assert(
      fc.property(tagList(fc.string({ unit: fc.constantFrom(...'abcxyzABC0189._-'.split('')), minLength: 1, maxLength: 8 })), (tags) => {
        const latest = createTagPolicy({ name: 'p', rule: { kind: 'alphabetical', order } }).latest(tags);
        const qualifying = tags.filter((t) => OCI_TAG.test(t) && !/\.sig$/.test(t) && !/^sha256-/.test(t));
        if (qualifying.length === 0) {
          expect(latest).toBeUndefined();
          return;
        }
        const byBytes = [...qualifying].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(latest).toBe(order === 'asc' ? byBytes[byBytes.length - 1] : byBytes[0]);
        expect(imageTagProblem(latest as string)).toBeUndefined();
      }),
      RUNS,
    );
  });

  test.each(['asc', 'desc'] as const)('numerical %s with a filter and extract: the chosen build has the extreme timestamp', (order) => {
    const build = fc.tuple(fc.constantFrom('3f2a9c1', 'abc1234', '9b1e4d7'), fc.integer({ min: 0, max: 2_000_000_000 })).map(([sha, ts]) => `main-${sha}-${ts}`);
    fc.assert(
      fc.property(tagList(fc.oneof(build, fc.constantFrom('feature-1-2', 'main-xyz-12', 'main-abc1234-'))), (tags) => {
        const policy = createTagPolicy({ name: 'p', rule: { kind: 'numerical', order }, filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' } });
        const latest = policy.latest(tags);
        const stamps = tags.map((t) => /^main-[a-f0-9]+-([0-9]+)$/.exec(t)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
        if (stamps.length === 0) {
          expect(latest).toBeUndefined();
          return;
        }
        const want = order === 'asc' ? Math.max(...stamps) : Math.min(...stamps);
        expect(Number(/-([0-9]+)$/.exec(latest ?? '')?.[1])).toBe(want);
      }),
      RUNS,
    );
  });

  test('rank never lists a tag twice, partitions the input, and puts latest first', () => {
    fc.assert(
      fc.property(ranges, tagList(plainVersion), (range, tags) => {
        const policy = createTagPolicy({ name: 'p', rule: { kind: 'semver', range } });
        const r = policy.rank(tags);
        const seen = [...r.candidates.map((c) => c.tag), ...r.rejected.map((x) => x.tag)];
        expect(new Set(seen).size).toBe(seen.length);
        expect(new Set(seen)).toEqual(new Set(tags));
        expect(r.candidates[0]?.tag).toBe(policy.latest(tags));
      }),
      RUNS,
    );
  });
});
