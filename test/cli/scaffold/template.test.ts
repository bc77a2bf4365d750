import * as fs from 'node:fs';
import * as path from 'node:path';

import { TemplateError, TEMPLATES_DIR, readTemplate, renderTemplate, templatePlaceholders } from '../../../cli/scaffold';

describe('renderTemplate', () => {
  it('replaces every @@name@@ and leaves ${{ }} and {{ }} alone', () => {
    const text = 'name: "@@fleet@@"\nrun: echo ${{ github.ref_name }} {{version}} @@fleet@@\n';
    expect(renderTemplate(text, { fleet: 'edge' }, 't')).toBe('name: "edge"\nrun: echo ${{ github.ref_name }} {{version}} edge\n');
  });

  it('expands in one pass: a value that looks like a placeholder stays as it is', () => {
    expect(renderTemplate('@@a@@/@@b@@', { a: '@@b@@', b: 'x' }, 't')).toBe('@@b@@/x');
  });

  it('refuses a placeholder without a value, naming the template and every missing name', () => {
    const err = (() => {
      try {
        renderTemplate('@@a@@ @@b@@ @@c@@', { b: '' }, 'config-repo/x.tpl');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TemplateError);
    expect(err).toMatchObject({ code: 'template-invalid', template: 'config-repo/x.tpl', reason: 'no value for @@a@@, @@c@@' });
  });

  it('refuses a stray "@@" (a typo in a template), with its line', () => {
    expect(() => renderTemplate('ok @@a@@\nbroken @@not a placeholder@@\n', { a: '1' }, 't')).toThrow(/template t: line 2: "@@" that is not a placeholder/);
  });

  it('lists the placeholders a template uses, once each', () => {
    expect(templatePlaceholders('@@b@@ @@a@@ @@b@@')).toEqual(['b', 'a']);
  });

  it('reads templates from templates/, and says which one is missing', () => {
    expect(readTemplate('config-repo/fleet.ts.tpl')).toContain("from 'fluxops/constructs'");
    expect(() => readTemplate('config-repo/nope.tpl')).toThrow(TemplateError);
  });

  it('every template file has a name ending in .tpl (no tool takes one for the real file)', () => {
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.relative(TEMPLATES_DIR, path.join(dir, e.name))]));
    const files = walk(TEMPLATES_DIR).filter((f) => f !== 'README.md');
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(f).toMatch(/\.tpl$/);
  });
});
