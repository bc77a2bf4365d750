import type { ImagePolicyRule } from '../../../../constructs/image-policy';
import type { TagFilter } from '../../../../constructs/validation';
import { createTagPolicy, DEFAULT_EXCLUSION_LIST, InvalidTagPolicyError, type TagRejectionCode } from '../../../../reconciler/images/policy';

const semver = (range: string, prereleases?: 'include' | 'exclude'): ImagePolicyRule => ({ kind: 'semver', range, ...(prereleases ? { prereleases } : {}) });
const numerical = (order: 'asc' | 'desc'): ImagePolicyRule => ({ kind: 'numerical', order });
const alphabetical = (order: 'asc' | 'desc'): ImagePolicyRule => ({ kind: 'alphabetical', order });

describe('latest(): table of policies (Flux semantics)', () => {
  test.each<[string, ImagePolicyRule, TagFilter | undefined, string[], string | undefined]>([
    // semver: prefixes, partial versions, prereleases, build metadata
    ['v prefix is read', semver('>=1.0.0'), undefined, ['v1.2.3', '1.2.2'], 'v1.2.3'],
    ['`1.2` is not a version (needs two dots), but a `1.2` range is fine', semver('1.2'), undefined, ['1.2', '1.2.0', '1.2.9', '1.3.0'], '1.2.9'],
    ['`1.2-rc.1` reads as 1.2.0-rc.1 (two dots anywhere)', semver('>=1.2.0-0'), undefined, ['1.2-rc.1', '1.1.0'], '1.2-rc.1'],
    ['prereleases excluded by default', semver('^1.2.0'), undefined, ['1.3.0-rc.1', '1.2.5'], '1.2.5'],
    ['prereleases: include', semver('^1.2.0', 'include'), undefined, ['1.3.0-rc.1', '1.2.5'], '1.3.0-rc.1'],
    ['include still respects the lower bound', semver('~2.0.18', 'include'), undefined, ['2.0.18-rc.1', '2.0.17'], undefined],
    ['a range naming a prerelease admits prereleases', semver('>=1.3.0-rc.1'), undefined, ['1.3.0-rc.2', '1.2.0'], '1.3.0-rc.2'],
    ['rc.10 orders after rc.9 (numeric identifiers)', semver('>=1.0.0-0'), undefined, ['1.0.0-rc.9', '1.0.0-rc.10', '1.0.0-rc.1'], '1.0.0-rc.10'],
    ['rc10 orders before rc9 (strings)', semver('>=1.0.0-0'), undefined, ['1.0.0-rc9', '1.0.0-rc10'], '1.0.0-rc9'],
    ['a release beats its prereleases', semver('>=1.0.0-0'), undefined, ['1.0.0-rc.10', '1.0.0'], '1.0.0'],
    // Flux would pick 1.0.0+b1 (build metadata ignored, lexically first spelling), but "+" cannot
    // be in an OCI tag: such listings are rejected as invalid-tag and the valid spelling wins.
    ['"+" (build metadata) is not a tag character: the valid spelling wins', semver('*'), undefined, ['1.0.0+b2', '1.0.0+b1', 'v1.0.0'], 'v1.0.0'],
    ['leading zeros (calendar versions)', semver('>=2025.0.0'), undefined, ['v2025.02.03', 'v2025.01.30', '2024.12.31'], 'v2025.02.03'],
    ['caret on 0.x stays in the minor', semver('^0.2.0'), undefined, ['0.2.9', '0.3.0'], '0.2.9'],
    ['tilde, wildcard and hyphen ranges', semver('~1.2 || 2.x || 3.0 - 3.1'), undefined, ['1.2.7', '1.3.0', '2.9.1', '3.1.9', '3.2.0'], '3.1.9'],
    ['nothing in range', semver('^9'), undefined, ['1.0.0', 'latest'], undefined],
    // numerical: Go strconv.ParseFloat
    ['numerical asc picks the highest', numerical('asc'), undefined, ['1', '10', '9'], '10'],
    ['numerical desc picks the lowest', numerical('desc'), undefined, ['1', '10', '9'], '1'],
    ['exponents are numbers', numerical('asc'), undefined, ['1e3', '999'], '1e3'],
    ['0x10 is not a number for Go (hex needs a p exponent)', numerical('asc'), undefined, ['0x10', '15'], '15'],
    ['underscores between digits are', numerical('asc'), undefined, ['1_000', '999'], '1_000'],
    ['NaN is skipped, not ordered', numerical('asc'), undefined, ['NaN', '1'], '1'],
    ['a non-number is skipped (Flux would fail the policy)', numerical('asc'), undefined, ['latest', '2', '3'], '3'],
    ['equal numbers: the lexically last tag, like Flux', numerical('asc'), undefined, ['1', '1.0', '01'], '1.0'],
    // alphabetical: Go byte order
    ['alphabetical asc picks the last in byte order', alphabetical('asc'), undefined, ['a', 'B', 'b'], 'b'],
    ['alphabetical desc picks the first', alphabetical('desc'), undefined, ['a', 'B', 'b'], 'B'],
    ['digits sort before letters', alphabetical('asc'), undefined, ['2024-01-01', 'rc'], 'rc'],
    // filters: named and numbered groups
    ['named group extract, numerical', numerical('asc'), { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' }, ['main-aaa-100', 'main-bbb-99', 'dev-ccc-200'], 'main-aaa-100'],
    ['numbered groups build a version', semver('^1'), { pattern: '^r(\\d+)_(\\d+)$', extract: '$1.$2.0' }, ['r1_9', 'r1_10', 'r2_0', 'v1.99.0'], 'r1_10'],
    ['${name} with trailing text', semver('>=1.0.0'), { pattern: '^app-(?P<v>[0-9.]+)$', extract: '${v}' }, ['app-1.2.3', 'app-1.10.0'], 'app-1.10.0'],
    ['$1x names group "1x" (Go), so the filter extract is empty', alphabetical('asc'), { pattern: '^(a)(?P<1x>b)$', extract: '$1x' }, ['ab'], 'ab'],
    ['pattern without extract filters only', semver('*'), { pattern: '^v' }, ['v1.0.0', '2.0.0'], 'v1.0.0'],
    ['equal extracted values: the lexically last tag, like Flux', alphabetical('asc'), { pattern: '-(?P<x>[a-z]+)$', extract: '$x' }, ['a-zz', 'b-zz', 'c-aa'], 'b-zz'],
  ])('%s', (_title, rule, filterTags, tags, expected) => {
    expect(createTagPolicy({ rule, filterTags }).latest(tags)).toBe(expected);
  });
});

describe('rank(): rejection reasons, separate filter and ordering', () => {
  const reasons = (rule: ImagePolicyRule, tags: string[], filterTags?: TagFilter, exclusionList?: string[]): Record<string, TagRejectionCode> =>
    Object.fromEntries(createTagPolicy({ rule, filterTags, exclusionList }).rank(tags).rejected.map((r) => [r.tag, r.code]));

  test('codes for every stage', () => {
    expect(reasons(semver('^1.0.0'), ['1.2.0', '2.0.0', 'latest', '1.3.0-rc.1', 'sha256-abc.sig', 'sha256-abc.att'])).toEqual({
      '2.0.0': 'out-of-range',
      latest: 'not-a-version',
      '1.3.0-rc.1': 'out-of-range',
      'sha256-abc.sig': 'excluded',
      'sha256-abc.att': 'excluded',
    });
    expect(reasons(numerical('asc'), ['1', 'x', 'v-2'], { pattern: '^v?-?(?P<n>.*)$', extract: '$n' })).toEqual({ x: 'not-a-number' });
    expect(reasons(numerical('asc'), ['build-1', 'x'], { pattern: '^build-(\\d+)$', extract: '$1' })).toEqual({ x: 'filtered' });
  });

  test('candidates come newest first with the extracted value', () => {
    const r = createTagPolicy({ rule: numerical('asc'), filterTags: { pattern: '^b-(?P<n>\\d+)$', extract: '$n' } }).rank(['b-2', 'b-10', 'b-1']);
    expect(r.candidates).toEqual([
      { tag: 'b-10', value: '10' },
      { tag: 'b-2', value: '2' },
      { tag: 'b-1', value: '1' },
    ]);
  });

  test('exclusion list: defaults cover signatures and attestations; a given list replaces them', () => {
    expect(DEFAULT_EXCLUSION_LIST).toEqual(['^.*\\.sig$', '^sha256-']);
    const tags = ['sha256-0a.sig', 'sha256-0a.att', 'sha256-0a', 'app.sig', 'main-1'];
    expect(createTagPolicy({ rule: alphabetical('asc') }).rank(tags).candidates.map((c) => c.tag)).toEqual(['main-1']);
    expect(createTagPolicy({ rule: alphabetical('asc'), exclusionList: ['^main-'] }).rank(tags).candidates.map((c) => c.tag)).toEqual([
      'sha256-0a.sig',
      'sha256-0a.att',
      'sha256-0a',
      'app.sig',
    ]);
  });

  test('compareTags orders versions outside the range too (for no-downgrade), not unparseable ones', () => {
    const p = createTagPolicy({ rule: semver('^1.0.0') });
    expect(p.compareTags('2.0.0', '1.5.0')).toBeGreaterThan(0);
    expect(p.compareTags('1.5.0', '1.5.0')).toBe(0);
    expect(p.compareTags('latest', '1.5.0')).toBeUndefined();
  });
});

describe('createTagPolicy validates every field', () => {
  test.each<[string, Parameters<typeof createTagPolicy>[0], string, unknown]>([
    ['bad range', { rule: semver('>=1.0 ||| <2') }, 'rule.range', '>=1.0 ||| <2'],
    ['empty range', { rule: semver(' ') }, 'rule.range', ' '],
    ['bad prereleases', { rule: { kind: 'semver', range: '*', prereleases: 'yes' as 'include' } }, 'rule.prereleases', 'yes'],
    ['bad order', { rule: { kind: 'numerical', order: 'up' as 'asc' } }, 'rule.order', 'up'],
    ['unknown kind', { rule: { kind: 'calver' } as unknown as ImagePolicyRule }, 'rule.kind', 'calver'],
    ['pattern Go rejects (\\Z)', { rule: semver('*'), filterTags: { pattern: '^v(.*)\\Z' } }, 'filterTags.pattern', '^v(.*)\\Z'],
    ['extract naming a missing group', { rule: semver('*'), filterTags: { pattern: '^v(?P<v>.*)$', extract: '$ts' } }, 'filterTags.extract', '$ts'],
    ['extract of a group inside a loop', { rule: semver('*'), filterTags: { pattern: '^(?:(\\d+)\\.)+$', extract: '$1' } }, 'filterTags.extract', '$1'],
    ['exclusion Go rejects', { rule: semver('*'), exclusionList: ['ok', '(?<=x)'] }, 'exclusionList[1]', '(?<=x)'],
  ])('%s', (_title, spec, field, value) => {
    let caught: unknown;
    try {
      createTagPolicy({ ...spec, name: 'gateway' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidTagPolicyError);
    expect(caught).toMatchObject({ code: 'invalid-image-policy', field, value, policy: 'gateway' });
    expect((caught as Error).message).toContain(`image policy "gateway": invalid ${field}`);
  });
});
