import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { SetterImage, SetterUpdate, updateSetters } from '../../../../reconciler/images/lock';
import { FluxOracle, buildFluxOracle } from '../../../support/flux-oracle';
import { CommitTemplateError, CommitTemplateInput, renderCommitTemplate } from '../../../../constructs';
import { genFileArb, renderGenFile } from './setter-yaml-arbitrary';
import { readTree } from './fixture-tree';

/**
 * Parity with Flux, checked against Flux's own code: test/oracles/flux runs kyaml's setters the
 * way image-automation-controller does (same kyaml, kube-openapi and yaml.v3 versions) on the
 * same files, and this test compares which values each side changes, and to what.
 *
 * Deliberate differences, excluded here and covered by unit tests:
 * - a whole-reference marker gets `@digest` only if the current value has one (Flux adds the
 *   digest whenever the policy reflects one);
 * - a `:digest` marker without a digest is a problem (Flux writes an empty string);
 * - markers on block scalars (`|`, `>`) are problems (Flux rewrites them).
 */

const FIXTURES = path.resolve(__dirname, '../../../fixtures/lock-rewrite/setters');

interface FluxChange {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly setter: string;
  readonly from: string;
  readonly to: string;
}

interface FluxAnswer {
  readonly changes: FluxChange[];
  readonly problemFiles: string[];
}

const key = (c: { file: string; line: number; column: number; setter: string; from: string; to: string }) =>
  `${c.file} ${c.line}:${c.column} ${c.setter} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`;

const ours = (result: SetterUpdate) => result.changes.map(key).sort();
const flux = (changes: readonly FluxChange[]) => changes.map(key).sort();

describe('setter markers: parity with Flux (kyaml) on the same files', () => {
  let oracle: FluxOracle;

  beforeAll(() => {
    oracle = buildFluxOracle();
  });

  afterAll(() => {
    oracle?.dispose();
  });

  const cases = fs.readdirSync(FIXTURES).sort();

  test.each(cases)('fixture %s: same values, same new values (no digests)', (name) => {
    const files = readTree(path.join(FIXTURES, name, 'before'));
    const withDigests = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'images.json'), 'utf8')) as Record<string, SetterImage>;
    const images = Object.fromEntries(Object.entries(withDigests).map(([k, { name: n, tag }]) => [k, { name: n, tag }]));
    const result = updateSetters(files, images);
    const answer = oracle.ask<FluxAnswer>('setters', { files, policies: images });

    // Deviations: `:digest` markers (Flux writes ""), block scalars (Flux rewrites them).
    const blockScalars = answer.changes.filter((c) => c.from.includes('\n'));
    const comparable = { ...answer, changes: answer.changes.filter((c) => !c.setter.endsWith(':digest') && !c.from.includes('\n')) };
    expect(ours(result)).toEqual(flux(comparable.changes));
    for (const b of blockScalars) {
      expect(result.problems).toContainEqual(expect.objectContaining({ file: b.file, code: 'marker-not-on-scalar', reason: expect.stringContaining('block scalar') }));
    }
    expect(answer.problemFiles.sort()).toEqual([...new Set(result.problems.filter((p) => p.code === 'not-a-resource-file').map((p) => p.file))].sort());
  });

  test.each(cases)('fixture %s: same digest values', (name) => {
    const files = readTree(path.join(FIXTURES, name, 'before'));
    const images = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'images.json'), 'utf8')) as Record<string, SetterImage>;
    const result = updateSetters(files, images);
    const answer = oracle.ask<FluxAnswer>('setters', { files, policies: images });
    const withDigest = new Set(Object.entries(images).filter(([, i]) => i.digest !== undefined).map(([k]) => `${k}:digest`));
    expect(ours(result).filter((k) => k.includes(':digest '))).toEqual(flux(answer.changes.filter((c) => withDigest.has(c.setter))));
  });

  test('generated manifests: FluxOps changes exactly the values Flux changes', () => {
    const images = { 'ns:p': { name: 'registry.local:5000/edge/gateway', tag: '2.0' } };
    fc.assert(
      fc.property(genFileArb, fc.context(), (gen, ctx) => {
        const text = renderGenFile(gen);
        ctx.log(text);
        const files = { 'gen.yaml': text };
        const result = updateSetters(files, images);
        const answer = oracle.ask<FluxAnswer>('setters', { files, policies: images });
        expect(answer.problemFiles).toEqual([]);
        expect(ours(result)).toEqual(flux(answer.changes));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Commit messages: the same template and data through Go's text/template with sprig's hermetic
 * functions (what Flux runs) and through FluxOps. The stored answers in
 * test/fixtures/commit-templates/go-answers.json (used by the unit test) must still be Go's.
 */
describe('commit message templates: parity with Go text/template + sprig', () => {
  const dir = path.resolve(__dirname, '../../../fixtures/commit-templates');
  const answers = JSON.parse(fs.readFileSync(path.join(dir, 'go-answers.json'), 'utf8')) as { template: string; goOutput?: string; goError?: string }[];
  const data = JSON.parse(fs.readFileSync(path.join(dir, 'data.json'), 'utf8')) as CommitTemplateInput;
  const refused = new Set(['{{ regexMatch "a" "b" }}', '{{ define "x" }}y{{ end }}']);
  let oracle: FluxOracle;

  beforeAll(() => {
    oracle = buildFluxOracle();
  });

  afterAll(() => {
    oracle?.dispose();
  });

  test('the stored answers are what Go answers today, and FluxOps gives the same', () => {
    for (const a of answers) {
      const go = oracle.ask<{ output: string; error?: string }>('template', { template: a.template, automationObject: data.automation, changes: data.changes, values: data.values });
      if (a.goError !== undefined) expect(go.error).toBeDefined();
      else expect({ template: a.template, output: go.output }).toEqual({ template: a.template, output: a.goOutput });
      let ours: string | undefined;
      let failed = false;
      try {
        ours = renderCommitTemplate(a.template, data);
      } catch (e) {
        if (!(e instanceof CommitTemplateError)) throw e;
        failed = true;
      }
      if (refused.has(a.template)) expect(failed).toBe(true);
      else if (go.error !== undefined) expect({ template: a.template, failed }).toEqual({ template: a.template, failed: true });
      else expect({ template: a.template, output: ours }).toEqual({ template: a.template, output: go.output });
    }
  });
});
