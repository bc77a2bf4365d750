import { z } from 'zod';
import { FluxOpsError } from '../../../../errors';
import { SetterYamlError, updateSetters, type SetterImage } from '../../../../reconciler/images/lock';
import { badFixtureBytes, loadBadFixtures } from '../../../support/bad-fixtures';

/**
 * Table-driven over test/fixtures/bad/yaml-markers: YAML files carrying Flux setter markers
 * (`# {"$imagepolicy": ...}`) that are broken. A file that is not valid YAML makes the real setter
 * writer throw {@link SetterYamlError} naming the file, line and column, and then no file changes,
 * not even a good one passed alongside; a marker that cannot be applied is reported as a problem
 * (data, by design: one bad marker must not block the others) and its file stays byte-identical.
 */

const fixtureSchema = z.strictObject({
  description: z.string().min(1),
  yaml: z.string().endsWith('.yaml'),
  expect: z.union([
    z.strictObject({ error: z.strictObject({ name: z.literal('SetterYamlError'), code: z.literal('invalid-yaml'), line: z.number().int(), column: z.number().int() }) }),
    z.strictObject({ problem: z.strictObject({ code: z.string(), line: z.number().int(), setter: z.string().optional() }) }),
  ]),
});

const IMAGES: Record<string, SetterImage> = { 'flux-system:gateway': { name: 'registry.local:5000/edge/gateway', tag: '2.0.0' } };
/** A well-formed file next to the bad one: it must change only when the bad one does not throw. */
const GOOD = 'image: registry.local:5000/edge/gateway:1.0.0 # {"$imagepolicy": "flux-system:gateway"}\n';

const fixtures = loadBadFixtures('yaml-markers', fixtureSchema);

describe('YAML with broken setter markers (test/fixtures/bad/yaml-markers)', () => {
  it('has fixtures of both outcomes', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
    expect(fixtures.some((f) => 'error' in f.expect) && fixtures.some((f) => 'problem' in f.expect)).toBe(true);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const text = badFixtureBytes('yaml-markers', f.yaml).toString('utf8');
    const files = { [`apps/${f.yaml}`]: text, 'apps/zz-good.yaml': GOOD };
    const frozen = JSON.stringify(files);
    let error: unknown;
    let result: ReturnType<typeof updateSetters> | undefined;
    try {
      result = updateSetters(files, IMAGES);
    } catch (e) {
      error = e;
    }
    expect(JSON.stringify(files)).toBe(frozen);
    if ('error' in f.expect) {
      expect(result).toBeUndefined();
      expect(error).toBeInstanceOf(SetterYamlError);
      expect(error).toBeInstanceOf(FluxOpsError);
      const e = error as SetterYamlError;
      expect({ name: e.name, code: e.code, file: e.file, line: e.line, column: e.column }).toEqual({ ...f.expect.error, file: `apps/${f.yaml}` });
      expect(e.files.map((x) => x.file)).toEqual([`apps/${f.yaml}`]);
      expect(e.message).toContain(`apps/${f.yaml}:${f.expect.error.line}:${f.expect.error.column}`);
    } else {
      expect(error).toBeUndefined();
      // The bad file is untouched; the good one beside it is still updated.
      expect(Object.keys(result?.files ?? {})).toEqual(['apps/zz-good.yaml']);
      expect(result?.problems).toEqual([expect.objectContaining({ file: `apps/${f.yaml}`, ...f.expect.problem })]);
      expect(result?.problems[0]?.reason.length).toBeGreaterThan(10);
    }
  });
});
