import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';

import { buildProgram } from '../../cli/main';

import { COVERAGE, extractReadmeCommands, flagsOf, fluxopsArgs, OTHER_PROGRAMS, type ReadmeCommand, runVerbatim, shellWords } from './readme-commands';

const root = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Walks the real program: the verb path, the command it names, and the rest of the words. */
function resolveVerb(program: Command, args: readonly string[]): { verb: string[]; command: Command; rest: string[] } {
  let command = program;
  const verb: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const sub = command.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]!));
    if (!sub) break;
    command = sub;
    verb.push(sub.name());
  }
  return { verb, command, rest: args.slice(i) };
}

/** Flags the command accepts: its own options and, as commander does, `-h`/`--help` (and the program's `-V`/`--version`). */
function knownFlags(command: Command): Set<string> {
  const flags = new Set(['-h', '--help']);
  for (const o of command.options) for (const f of [o.long, o.short]) if (f) flags.add(f);
  if (!command.parent) for (const o of command.options) if (o.long) flags.add(o.long);
  return flags;
}

/** Why `command` is not covered by a test, or undefined when it is. */
function uncovered(program: Command, command: ReadmeCommand): string | undefined {
  const args = fluxopsArgs(command);
  if (args) {
    const { verb, command: cmd, rest } = resolveVerb(program, args);
    if (verb.length === 0 && rest.some((a) => !a.startsWith('-'))) return `"${rest[0]}" is not a fluxops verb`;
    if (cmd.commands.length > 0 && verb.length > 0) return `"fluxops ${verb.join(' ')}" needs a sub-command`;
    const unknown = flagsOf(rest).filter((f) => !knownFlags(cmd).has(f));
    if (unknown.length > 0) return `fluxops ${verb.join(' ')} has no option ${unknown.join(', ')}`;
    const key = verb.join(' ');
    if (verb.length === 0) return undefined; // `fluxops --help` / `--version`: checked for real below
    if (runVerbatim(command)) return undefined;
    const files = COVERAGE[key];
    if (!files) return `no test runs "fluxops ${key}": add it to COVERAGE in test/readme/readme-commands.ts (or, in the tutorial or operations, to RUN_VERBATIM and run it in test/readme/readme-tutorial.int.test.ts)`;
    const text = files.map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n');
    // Verb words may sit inside a quoted string (`'images unmark-bad'`); flags must be an argument of their own.
    const has = (w: string, before: string) => new RegExp(`[${before}]${escapeRegExp(w)}['"\` =]`).test(text);
    const missing = [...verb.filter((w) => !has(w, '\'"` ')), ...flagsOf(rest).filter((f) => !has(f, '\'"`'))];
    return missing.length > 0 ? `${files.join(', ')} never use${files.length > 1 ? '' : 's'} ${missing.map((m) => `'${m}'`).join(', ')}` : undefined;
  }
  const [program0, first] = command.words;
  if (program0 === 'npm' && command.words.includes('install')) return undefined; // another program's business (OTHER_PROGRAMS)
  if (program0 === 'npm') {
    const script = first === 'test' ? 'test' : first === 'run' ? command.words[2] : undefined;
    if (!script) return `npm ${first ?? ''}: only "npm test" and "npm run <script>" are documented commands`;
    return scripts[script] ? undefined : `package.json has no script "${script}"`;
  }
  const name = program0 === 'npx' ? `npx ${first}` : program0!;
  return OTHER_PROGRAMS.includes(name) ? undefined : `"${name}" is neither fluxops, npm, nor a program listed in OTHER_PROGRAMS`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('extractReadmeCommands: the convention for what counts as a command', () => {
  const md = [
    'Text with `fluxops synth` inline is not a command.',
    '```sh',
    './fluxops synth --site a   # a comment',
    '# only a comment',
    '',
    'fluxops reconcile --site a \\',
    "  --repo 'https://x/y.git'",
    '```',
    '```console',
    '$ fluxops status --site a',
    'site a',
    '  Ready True',
    '```',
    '````markdown',
    '```sh',
    'fluxops destroy --site a',
    '```',
    '````',
    '```ts',
    'new Site(fleet, "a", {});',
    '```',
  ].join('\n');

  it('takes sh lines and console `$ ` lines, joins continuations, drops comments, skips nested and other fences', () => {
    expect(extractReadmeCommands(md).map(({ line, text }) => ({ line, text }))).toEqual([
      { line: 3, text: './fluxops synth --site a' },
      { line: 6, text: "fluxops reconcile --site a --repo 'https://x/y.git'" },
      { line: 10, text: 'fluxops status --site a' },
    ]);
  });

  it('splits words like a shell: quotes removed, `#` inside quotes kept', () => {
    expect(shellWords(`git commit -m "fix: a # b" --author='A B' x\\ y`)).toEqual(['git', 'commit', '-m', 'fix: a # b', '--author=A B', 'x y']);
    expect(extractReadmeCommands('```sh\necho "a # b" # c\n```').map((c) => c.words)).toEqual([['echo', 'a # b']]);
    expect(() => shellWords('echo "open')).toThrow(/unterminated/);
  });
});

describe('README.md: every command shown is run by a test', () => {
  const commands = extractReadmeCommands(readme);
  const program = buildProgram();

  it('finds the quick start and the tutorial', () => {
    const texts = commands.map((c) => c.text);
    expect(texts).toEqual(expect.arrayContaining(['./fluxops demo', 'npm test']));
    for (const verb of ['init', 'up', 'reconcile', 'status', 'diff']) expect(commands.some((c) => fluxopsArgs(c)?.[0] === verb)).toBe(true);
  });

  it('no command is uncovered (each names its README line and what is missing)', () => {
    const problems = commands.flatMap((c) => {
      const why = uncovered(program, c);
      return why ? [`README.md:${c.line}: ${c.text}\n    ${why}`] : [];
    });
    expect(problems).toEqual([]);
  });

  it('a verb run verbatim counts only in the tutorial and operations sections', () => {
    const md = ['## Tutorial: x', '```sh', 'fluxops images unmark-bad p 1.0.0 -C d', '```', '## Elsewhere', '```sh', 'fluxops up --full', '```'].join('\n');
    const [tutorial, elsewhere] = extractReadmeCommands(md);
    expect(tutorial!.section).toBe('Tutorial: x');
    expect(uncovered(program, tutorial!)).toBeUndefined();
    expect(uncovered(program, elsewhere!)).toMatch(/no test runs "fluxops up"/);
  });

  it('the check fails for a command no test runs, a misspelt program, an unknown flag and a missing npm script', () => {
    const bad = extractReadmeCommands(['```sh', 'fluxops destroy --site a', 'fluxop synth', 'fluxops synth --colour', 'npm run no-such-script', 'fluxops dev', '```'].join('\n'));
    expect(bad.map((c) => uncovered(program, c))).toEqual([
      expect.stringMatching(/no test runs "fluxops destroy"/),
      expect.stringMatching(/"fluxop" is neither fluxops/),
      expect.stringMatching(/has no option --colour/),
      expect.stringMatching(/no script "no-such-script"/),
      expect.stringMatching(/needs a sub-command/),
    ]);
    // A covered verb whose test files do not use one of the README's flags is reported too.
    const flag = extractReadmeCommands(['```sh', 'fluxops dev up --state-dir /x', 'fluxops reconcile --site a --fleet-env FLEET_A=1', '```'].join('\n'));
    expect(uncovered(program, flag[0]!)).toBeUndefined();
    expect(uncovered(program, flag[1]!)).toMatch(/readme-tutorial.int.test.ts never uses '--fleet-env'/);
  });
});
