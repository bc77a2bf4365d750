import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CommitTemplateError,
  CommitTemplateInput,
  ConstructValidationError,
  DEFAULT_COMMIT_MESSAGE_TEMPLATE,
  GitSource,
  ImagePolicy,
  ImageRepository,
  ImageUpdateAutomation,
  compileCommitTemplate,
  defineFleet,
  renderCommitTemplate,
} from '../../constructs';

const DIR = path.resolve(__dirname, '../fixtures/commit-templates');

/** Go's own answers (text/template + sprig, via test/oracles/flux), stored; refreshed live by the parity test. */
export const GO_ANSWERS = JSON.parse(fs.readFileSync(path.join(DIR, 'go-answers.json'), 'utf8')) as { template: string; goOutput?: string; goError?: string }[];
export const TEMPLATE_DATA = JSON.parse(fs.readFileSync(path.join(DIR, 'data.json'), 'utf8')) as CommitTemplateInput;

/** Templates Go accepts that FluxOps refuses on purpose. */
export const DELIBERATELY_REFUSED = new Set(['{{ regexMatch "a" "b" }}', '{{ define "x" }}y{{ end }}']);

function render(template: string): { output?: string; error?: CommitTemplateError } {
  try {
    return { output: renderCommitTemplate(template, TEMPLATE_DATA) };
  } catch (e) {
    if (e instanceof CommitTemplateError) return { error: e };
    throw e;
  }
}

describe('commit message templates: same output as Go text/template + sprig', () => {
  test('the table covers the language', () => {
    expect(GO_ANSWERS.length).toBeGreaterThan(100);
    expect(GO_ANSWERS.filter((a) => a.goError !== undefined).length).toBeGreaterThan(20);
  });

  test.each(GO_ANSWERS.map((a) => [a.template, a] as const))('%s', (template, answer) => {
    const ours = render(template);
    if (DELIBERATELY_REFUSED.has(template)) {
      expect(ours.error).toBeInstanceOf(CommitTemplateError);
    } else if (answer.goError !== undefined) {
      expect(ours.error).toBeInstanceOf(CommitTemplateError);
      expect(ours.output).toBeUndefined();
    } else {
      expect(ours.error).toBeUndefined();
      expect(ours.output).toBe(answer.goOutput);
    }
  });
});

describe('commit message templates: errors name the position and the problem', () => {
  test.each([
    ['{{ .Nope }}', 'check', 1, 4, "can't evaluate field Nope in type source.TemplateData (it has .AutomationObject, .Changed, .Values)"],
    ['{{ .Updated }}', 'check', 1, 4, 'Flux removed .Updated from the template data; use .Changed'],
    ['x\n{{ range .Changed.Changes }}{{ .Image }}{{ end }}', 'check', 2, 32, "can't evaluate field Image in type update.Change"],
    ['{{ nosuchfunc 1 }}', 'check', 1, 4, 'function "nosuchfunc" not defined'],
    ['{{ regexMatch "a" "b" }}', 'check', 1, 4, 'function "regexMatch" (from Flux\'s template functions) is not supported by FluxOps'],
    ['{{ upper }}', 'check', 1, 4, 'wrong number of args for upper: want 1 got 0'],
    ['{{ range .AutomationObject.Name }}x{{ end }}', 'check', 1, 4, "range can't iterate over string"],
    ['{{ if .Values }}x', 'parse', 1, 4, 'unexpected EOF: {{if}} without {{end}}'],
    ['{{ $undefined }}', 'parse', 1, 4, 'undefined variable "$undefined"'],
    ['{{ template "x" }}', 'parse', 1, 4, '{{template}} is not supported in a commit message template'],
    ['{{ break }}', 'parse', 1, 4, '{{break}} outside {{range}}'],
    ['{{/* unclosed', 'parse', 1, 1, 'unclosed comment'],
    ['{{ index .Changed.Changes 9 }}', 'render', 1, 4, 'error calling index: index out of range: 9'],
    ['{{ upper 1 }}', 'render', 1, 4, 'error calling upper: wrong type for value; expected string; got int'],
  ])('%s', (template, phase, line, column, reason) => {
    const { error } = render(template);
    expect(error).toBeInstanceOf(CommitTemplateError);
    expect(error?.code).toBe('invalid-commit-template');
    expect(error?.phase).toBe(phase);
    expect([error?.line, error?.column]).toEqual([line, column]);
    expect(error?.reason).toContain(reason);
    expect(error?.message).toContain(`commit message template:${line}:${column}: `);
  });

  test('a field in a branch that never runs is still checked (templates are checked whole)', () => {
    expect(() => compileCommitTemplate('{{ if false }}{{ .Nope }}{{ end }}')).toThrow(CommitTemplateError);
  });

  test('rendering is deterministic', () => {
    const t = GO_ANSWERS[3].template;
    expect(render(t).output).toBe(render(t).output);
  });
});

describe('ImageUpdateAutomation validates its message template', () => {
  function automation(messageTemplate?: string, skipCi = false): ImageUpdateAutomation {
    let made: ImageUpdateAutomation | undefined;
    defineFleet({ name: 'edge-fleet' }, (fleet) => {
      const source = new GitSource(fleet, 'config', { url: 'https://git.example.com/edge/config.git', ref: { kind: 'branch', name: 'main' } });
      const repo = new ImageRepository(fleet, 'gw-repo', { name: 'gateway', image: 'registry.local:5000/edge/gateway' });
      const policy = new ImagePolicy(fleet, 'gw', { name: 'gateway', repository: repo, policy: { kind: 'semver', range: '^1.0.0' }, initialTag: '1.0.0' });
      made = new ImageUpdateAutomation(fleet, 'images', { source, policies: [policy], author: { name: 'Bot', email: 'bot@example.com' }, skipCi, ...(messageTemplate !== undefined ? { messageTemplate } : {}) });
    }).create();
    return made as ImageUpdateAutomation;
  }

  test('the default template and Flux\'s documented examples are accepted', () => {
    expect(automation().messageTemplate).toBe(DEFAULT_COMMIT_MESSAGE_TEMPLATE);
    expect(automation(undefined, true).messageTemplate).toBe(`${DEFAULT_COMMIT_MESSAGE_TEMPLATE.trimEnd()}\n\n[skip ci]\n`);
    expect(() => automation(GO_ANSWERS[3].template)).not.toThrow();
    expect(() => automation('Automated image update by Flux for cluster {{ .Values.cluster }}.')).not.toThrow();
  });

  test.each([
    ['{{ .Updated }}', '1:4: Flux removed .Updated'],
    ['update {{ .Changed.Images }}', "1:11: can't evaluate field Images in type update.Result"],
    ['{{ range .Changed.Changes }}{{ .Old }}{{ end }}', "1:32: can't evaluate field Old in type update.Change"],
    ['{{ if .Values }}unclosed', '1:4: unexpected EOF'],
    ['{{ sha256sum "x" }}', '1:4: function "sha256sum"'],
    ['   ', 'must be a non-empty Go template'],
  ])('%s is rejected at construct time, naming the field and the position', (template, reason) => {
    let err: unknown;
    try {
      automation(template);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConstructValidationError);
    expect((err as ConstructValidationError).field).toBe('messageTemplate');
    expect((err as ConstructValidationError).path).toBe('edge-fleet/images');
    expect((err as ConstructValidationError).reason).toContain(reason);
  });
});
