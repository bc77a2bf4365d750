import { z } from 'zod';
import { ImageLockError, parseImageLock } from '../../../constructs/lock';
import { RegexTimeLimitError } from '../../../constructs/validation';
import { FluxOpsError } from '../../../errors';
import { createTagPolicy, InvalidTagPolicyError, type TagPolicySpec } from '../../../reconciler/images/policy';
import { SetterInputError, updateSetters } from '../../../reconciler/images/lock';
import { loadBadFixtures } from '../../support/bad-fixtures';

/**
 * Table-driven over test/fixtures/bad/{semver-ranges,regexes,tags}: every malformed policy input
 * is refused by the real policy engine with an {@link InvalidTagPolicyError} naming the policy,
 * the field and the value; patterns that would backtrack catastrophically are stopped by the time
 * limit instead of hanging; tags that are not OCI tags are never chosen and are refused by the
 * lock parser and the setter writer.
 */

const policyFixture = z.strictObject({
  description: z.string().min(1),
  policy: z.strictObject({
    name: z.string(),
    rule: z.record(z.string(), z.unknown()),
    filterTags: z.strictObject({ pattern: z.string(), extract: z.string().optional() }).optional(),
    exclusionList: z.array(z.string()).optional(),
  }),
  tags: z.array(z.string()).min(1),
  expect: z.strictObject({
    error: z.literal('InvalidTagPolicyError'),
    code: z.literal('invalid-image-policy'),
    field: z.string(),
    value: z.unknown().optional(),
    /** `create`: createTagPolicy refuses it; `rank`: it compiles (Go accepts it) but ranking the tags is refused. */
    stage: z.enum(['create', 'rank']),
    cause: z.literal('RegexTimeLimitError').optional(),
  }),
});
type PolicyFixture = z.infer<typeof policyFixture>;

function attempt(f: PolicyFixture): { error: unknown; ms: number; stage: 'create' | 'rank' | 'none' } {
  const t0 = performance.now();
  let stage: 'create' | 'rank' | 'none' = 'create';
  try {
    const policy = createTagPolicy(f.policy as unknown as TagPolicySpec);
    stage = 'rank';
    policy.rank(f.tags);
    stage = 'none';
    return { error: undefined, ms: performance.now() - t0, stage };
  } catch (error) {
    return { error, ms: performance.now() - t0, stage };
  }
}

describe.each(['semver-ranges', 'regexes'])('bad %s (test/fixtures/bad)', (kind) => {
  const fixtures = loadBadFixtures(kind, policyFixture);

  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const { error, ms, stage } = attempt(f);
    expect(stage).toBe(f.expect.stage);
    expect(error).toBeInstanceOf(InvalidTagPolicyError);
    expect(error).toBeInstanceOf(FluxOpsError);
    const e = error as InvalidTagPolicyError;
    expect({ code: e.code, field: e.field, policy: e.policy }).toEqual({ code: f.expect.code, field: f.expect.field, policy: f.policy.name });
    if ('value' in f.expect) expect(e.value).toEqual(f.expect.value);
    expect(e.message).toContain(`image policy "${f.policy.name}"`);
    expect(e.message).toContain(f.expect.field);
    if (f.expect.cause) {
      expect(e.cause).toBeInstanceOf(RegexTimeLimitError);
      const cause = e.cause as RegexTimeLimitError;
      expect({ pattern: cause.pattern, code: cause.code }).toEqual({ pattern: e.value, code: 'regex-time-limit' });
      expect(f.tags).toContain(cause.input);
      // Stopped by the limit (100 ms per tag), not after minutes of backtracking.
      expect(ms).toBeLessThan(5_000);
    }
  });
});

describe('catastrophic-shaped patterns still answer for ordinary tags', () => {
  it.each([
    ['^(a+)+$', ['aaa', 'b'], ['aaa']],
    ['^v(\\d+\\.)+\\d+$', ['v1.2.3', 'v1', 'x1.2'], ['v1.2.3']],
    ['^(a|a)*$', ['aa', 'ab'], ['aa']],
  ])('%s', (pattern, tags, candidates) => {
    const policy = createTagPolicy({ name: 'p', rule: { kind: 'alphabetical', order: 'asc' }, filterTags: { pattern } });
    expect(policy.rank(tags).candidates.map((c) => c.tag)).toEqual(candidates);
  });
});

const tagFixture = z.strictObject({ description: z.string().min(1), tag: z.string() });
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('bad tags (test/fixtures/bad/tags)', () => {
  const fixtures = loadBadFixtures('tags', tagFixture);

  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });

  describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    it('is never chosen from a tag list: rejected as invalid-tag, a valid tag wins', () => {
      for (const rule of [
        { kind: 'alphabetical', order: 'desc' },
        { kind: 'alphabetical', order: 'asc' },
        { kind: 'semver', range: '>=0.0.0-0', prereleases: 'include' },
      ] as const) {
        const policy = createTagPolicy({ name: 'gateway', rule });
        const ranking = policy.rank(['0.0.1', f.tag]);
        expect(ranking.candidates.map((c) => c.tag)).toEqual(['0.0.1']);
        expect(ranking.rejected).toEqual([expect.objectContaining({ tag: f.tag, code: 'invalid-tag' })]);
      }
    });

    it('is refused by the lock parser with an ImageLockError naming the file and field', () => {
      const text = [
        'schemaVersion: 1',
        'policies:',
        '  gateway:',
        '    image: registry.local:5000/edge/gateway',
        `    tag: ${JSON.stringify(f.tag)}`,
        `    digest: "${DIGEST}"`,
        '    updatedAt: "2026-11-20T10:00:00Z"',
        '',
      ].join('\n');
      let error: unknown;
      try {
        parseImageLock(text, 'fluxops.lock.yaml');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ImageLockError);
      expect({ source: (error as ImageLockError).source, field: (error as ImageLockError).field }).toEqual({ source: 'fluxops.lock.yaml', field: 'policies.gateway.tag' });
    });

    it('is refused by the setter writer before any file changes', () => {
      const before = 'image: registry.local:5000/edge/gateway:1.0.0 # {"$imagepolicy": "flux-system:gateway"}\n';
      let error: unknown;
      try {
        updateSetters({ 'app.yaml': before }, { 'flux-system:gateway': { name: 'registry.local:5000/edge/gateway', tag: f.tag } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SetterInputError);
      expect({ input: (error as SetterInputError).input, key: (error as SetterInputError).key, field: (error as SetterInputError).field, value: (error as SetterInputError).value }).toEqual({
        input: 'images',
        key: 'flux-system:gateway',
        field: 'tag',
        value: f.tag,
      });
    });
  });
});
