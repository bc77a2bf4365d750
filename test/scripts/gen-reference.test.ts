import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';

import { buildProgram } from '../../cli/main';
import { DOCUMENTED_CONSTRUCTS, renderCliReference, renderReferencePages } from '../../scripts/reference';

const root = path.resolve(__dirname, '..', '..');

/** Every runnable command of the real program, as `fluxops <path>` (nested groups flattened). */
function commandPaths(cmd: Command, prefix = 'fluxops'): string[] {
  return cmd.commands.flatMap((c) => (c.commands.length > 0 ? commandPaths(c, `${prefix} ${c.name()}`) : [`${prefix} ${c.name()}`]));
}

describe('generated references (docs/reference)', () => {
  // Rendered once: the constructs page runs the TypeScript compiler over constructs/ (a few seconds).
  const pages = renderReferencePages(root);

  it.each(pages.map((p) => [p.file, p] as const))('%s is what `npm run docs` generates from the code', (_file, page) => {
    const target = path.join(root, page.file);
    const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (committed !== page.content) {
      const first = firstDifference(committed ?? '', page.content);
      throw new Error(
        `${page.file} is ${committed === undefined ? 'missing' : 'out of date'}: run \`npm run docs\` and commit the result.\n` +
          (committed === undefined ? '' : `First difference at line ${first.line}:\n  committed: ${JSON.stringify(first.committed)}\n  generated: ${JSON.stringify(first.generated)}`),
      );
    }
  });

  it('the CLI reference has a section, with every option, for each verb the program registers', () => {
    const program = buildProgram();
    const cli = pages.find((p) => p.file.endsWith('cli.md'))!.content;
    const verbs = commandPaths(program);
    expect(verbs).toEqual(expect.arrayContaining(['fluxops synth', 'fluxops dev up', 'fluxops image build', 'fluxops reconcile']));
    for (const verb of verbs) expect(cli).toContain(`\n## ${verb}\n`);
    const reconcile = program.commands.find((c) => c.name() === 'reconcile')!;
    for (const o of reconcile.options) expect(cli).toContain(`| \`${o.flags}\` |`);
  });

  it('the CLI reference changes when the program does (it is rendered from it, not copied)', () => {
    const program = buildProgram();
    const before = renderCliReference(program);
    program.command('frobnicate').description('a verb added for this test').option('--level <n>', 'how much', '3');
    const after = renderCliReference(program);
    expect(before).not.toContain('frobnicate');
    expect(after).toContain('## fluxops frobnicate');
    expect(after).toContain('| `--level <n>` | how much | `3` |');
  });

  it('the constructs reference documents every construct with its props, TSDoc and defaults', () => {
    const constructs = pages.find((p) => p.file.endsWith('constructs.md'))!.content;
    for (const name of DOCUMENTED_CONSTRUCTS) expect(constructs).toContain(`\n## ${name}\n`);
    // A required prop, an optional one with its @default, and a type used only transitively.
    expect(constructs).toMatch(/\| `url` \| `string` \| Remote URL[^|]*\| required \|/);
    expect(constructs).toMatch(/\| `namespace\?` \| `string` \| Namespace for apps that do not set their own\. \| 'edge-apps' \|/);
    expect(constructs).toContain('\n### SemverPolicyRule\n');
  });

  it('each page says it is generated and how to regenerate it', () => {
    for (const page of pages) expect(page.content.split('\n').slice(0, 4).join('\n')).toContain('npm run docs');
  });
});

function firstDifference(a: string, b: string): { line: number; committed: string; generated: string } {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return { line: i + 1, committed: x[i] ?? '(end of file)', generated: y[i] ?? '(end of file)' };
  }
  return { line: 0, committed: '', generated: '' };
}
