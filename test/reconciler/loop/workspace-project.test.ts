import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

import { withoutProgramPath } from '../../../reconciler/loop/workspace-project';

const TEMPLATE = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'templates', 'config-repo', 'Pulumi.yaml.tpl'), 'utf8').replace(/@@fleet@@/g, 'edge');

describe("withoutProgramPath: the reconciler's copy of a config repository's Pulumi.yaml", () => {
  it('drops `main` from the file `fluxops init` writes and keeps everything else', () => {
    expect(TEMPLATE).toMatch(/^main: node_modules\/fluxops\/stacks\/program\.ts$/m);
    const out = withoutProgramPath(TEMPLATE);
    const before = parse(TEMPLATE) as Record<string, unknown>;
    const after = parse(out) as Record<string, unknown>;
    const { main, ...rest } = before;
    expect(main).toBe('node_modules/fluxops/stacks/program.ts');
    expect(after).toEqual(rest);
    expect(out).toContain('# The Pulumi project of the edge fleet');
  });

  it('leaves a file without `main`, and text that is not YAML, byte for byte alone', () => {
    const plain = 'name: edge\nruntime: nodejs\n';
    expect(withoutProgramPath(plain)).toBe(plain);
    const broken = 'name: [edge\nmain: x\n';
    expect(withoutProgramPath(broken)).toBe(broken);
  });
});
