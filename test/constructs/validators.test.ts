import { applyTagFilter, compileGoRegex, execGoRegex, policyCandidate, validation } from '../../constructs';

describe('Go regex translation', () => {
  test.each([
    ['^v(?P<version>.*)$', 'v1.2.3', { version: '1.2.3' }],
    ['^main-(?<sha>[a-f0-9]+)-(?P<ts>[0-9]+)$', 'main-abc-17', { sha: 'abc', ts: '17' }],
    ['(?i)^RC-(?P<n>\\d+)\\z', 'rc-7', { n: '7' }],
    ['^[[:alpha:]]+-(?P<n>[[:digit:]]+)$', 'build-42', { n: '42' }],
    ['(?U)^(?P<short>a+)', 'aaa', { short: 'a' }],
    ['^(?P<a>x)|(?P<a>y)$', 'y', { a: 'y' }],
    ['^(?P<1a>[0-9]+)', '12x', { '1a': '12' }],
  ])('%s matches %s', (pattern, tag, groups) => {
    const r = compileGoRegex(pattern);
    if (!r.ok) throw new Error(r.problem);
    expect(execGoRegex(r.value, tag)?.named).toEqual(groups);
  });

  test.each([
    ['^(?=v).*', 'invalid or unsupported Perl syntax'],
    ['(a)\\1', 'invalid escape sequence'],
    ['[[:alfa:]]+', 'invalid character class range'],
    ['\\Z', 'invalid escape sequence'],
    ['a**', 'invalid nested repetition operator'],
    ['a{1001}', 'invalid repeat count'],
    ['(', 'missing closing )'],
  ])('rejects %s like Go', (pattern, problem) => {
    const r = compileGoRegex(pattern);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toContain(problem);
  });

  test('counts numbered groups', () => {
    const r = compileGoRegex('^(a)(?:b)(?P<c>c)$');
    expect(r.ok && r.value.groupCount).toBe(2);
    expect(r.ok && r.value.groupNames).toEqual(['c']);
  });
});

describe('tag filters and policy candidates (Flux semantics)', () => {
  test.each([
    [{ pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' }, 'main-3f2a9c1-1731400000', '1731400000'],
    [{ pattern: '^v(.*)$', extract: '$1' }, 'v2.0.1', '2.0.1'],
    [{ pattern: '^(?P<a>[0-9]+)_(?P<b>[0-9]+)$', extract: '${a}.${b}.0' }, '1_2', '1.2.0'],
    [{ pattern: '^release$', extract: '$$x' }, 'release', '$x'],
    [{ pattern: 'rc' }, '1.0.0-rc.1', '1.0.0-rc.1'],
    [{ pattern: '^v' }, '1.0.0', undefined],
  ])('%j on %s gives %s', (filter, tag, expected) => {
    expect(applyTagFilter(filter, tag)).toBe(expected);
  });

  test.each([
    [{ kind: 'semver', range: '^1.2.0' } as const, '1.3.0', '1.3.0'],
    [{ kind: 'semver', range: '^1.2.0' } as const, '1.3.0-rc.1', undefined],
    [{ kind: 'semver', range: '^1.2.0', prereleases: 'include' } as const, '1.3.0-rc.1', '1.3.0-rc.1'],
    [{ kind: 'semver', range: '^1.2.0' } as const, 'latest', undefined],
    [{ kind: 'numerical', order: 'asc' } as const, '1731400000', '1731400000'],
    [{ kind: 'numerical', order: 'asc' } as const, 'abc', undefined],
    [{ kind: 'alphabetical', order: 'desc' } as const, 'anything', 'anything'],
  ])('%j: %s -> %s', (rule, tag, expected) => {
    expect(policyCandidate(rule, undefined, tag)).toBe(expected);
  });
});

describe('field validators', () => {
  test.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
  ])('interval %s = %d ms', (value, ms) => {
    expect(validation.intervalMillis(value)).toBe(ms);
    expect(validation.intervalProblem(value)).toBeUndefined();
  });

  test.each(['5 minutes', '5', 'm', '-5m', '0s', '1d'])('interval %s is rejected', (value) => {
    expect(validation.intervalProblem(value)).toBeDefined();
  });

  test.each([
    ['gateway', undefined],
    ['sensor-gateway-01', undefined],
    ['Gateway', 'DNS-1123'],
    ['-gw', 'DNS-1123'],
    ['a'.repeat(64), 'at most 63'],
  ])('DNS label %s', (value, problem) => {
    const p = validation.dnsLabelProblem(value);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });

  test.each([
    ['registry.local:5000/edge/gateway:1.4.2', { name: 'registry.local:5000/edge/gateway', tag: '1.4.2' }],
    ['busybox@sha256:' + 'a'.repeat(64), { name: 'busybox', digest: 'sha256:' + 'a'.repeat(64) }],
    ['127.0.0.1:5000/x:1@sha256:' + 'b'.repeat(64), { name: '127.0.0.1:5000/x', tag: '1', digest: 'sha256:' + 'b'.repeat(64) }],
  ])('parses image reference %s', (ref, expected) => {
    expect(validation.parseImageReference(ref)).toEqual(expected);
    expect(validation.formatImageReference(expected)).toBe(ref);
  });

  test.each(['Registry/X:1', 'x:bad tag', 'x@sha256:short'])('rejects image reference %s', (ref) => {
    expect(typeof validation.parseImageReference(ref)).toBe('string');
  });

  test.each([
    ['linux/arm64', undefined],
    ['linux/arm/v7', undefined],
    ['linux/arm/v9', 'unknown variant'],
    ['windows/amd64', 'unknown operating system'],
    ['linux/mips', 'unknown architecture'],
  ])('platform %s', (value, problem) => {
    const p = validation.platformProblem(value);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });

  test.each([
    ['250m', 250],
    [0.5, 500],
    [2, 2000],
    ['0.5m', undefined],
    ['abc', undefined],
  ] as const)('cpu %s = %s millicores', (value, millis) => {
    expect(validation.cpuMillis(value as validation.CpuQuantity)).toBe(millis);
  });
});
