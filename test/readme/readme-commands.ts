/**
 * README.md's shell commands, and which test runs each of them.
 *
 * Convention (also stated in the README's "Tests" section): a command is a line of a ```sh block,
 * or a line starting with `$ ` in a ```console block (the other lines there are output). Blank
 * lines and `#` comments are not commands; a line ending in `\` continues on the next one. Code
 * blocks nested inside a longer fence (a ````markdown example) are text, not commands.
 *
 * Every command must be covered, or test/readme/readme-commands.test.ts fails:
 * - `fluxops` (also `./fluxops`, `npx fluxops`): a real verb with real flags (checked against the
 *   CLI), and either run as written by the tutorial test ({@link runVerbatim}: a verb of
 *   {@link RUN_VERBATIM} in a section of {@link VERBATIM_SECTIONS}), or in {@link COVERAGE} with
 *   test files that, together, contain the verb and every flag the README line uses;
 * - `npm test` / `npm run <script>`: the script exists in package.json (`npm install`, with or
 *   without `--prefix`, counts as another program);
 * - any other program: it is in {@link OTHER_PROGRAMS} (tools FluxOps does not own; a typo such
 *   as `fluxop synth` is therefore an error, not a skipped line).
 */

/** One command shown in README.md. */
export interface ReadmeCommand {
  /** 1-based line of README.md where the command starts. */
  readonly line: number;
  /** The command as written (continuations joined, comment removed). */
  readonly text: string;
  /** Shell words, quotes removed, nothing expanded. */
  readonly words: readonly string[];
  /** The `## ` section of README.md the command is in. */
  readonly section: string;
}

/** The README sections whose commands test/readme/readme-tutorial.int.test.ts runs as written, in order. */
export const VERBATIM_SECTIONS: readonly RegExp[] = [/^Tutorial\b/, /^Operations$/];

/** Verbs (verb paths) the tutorial test runs as written when a line of a {@link VERBATIM_SECTIONS} section uses them. */
export const RUN_VERBATIM: readonly string[] = [
  'init', 'synth', 'preview', 'up', 'diff', 'status', 'history', 'suspend', 'resume', 'bootstrap',
  'images hold', 'images release', 'images mark-bad', 'images unmark-bad',
];

/** Whether the tutorial test runs `command` as written. */
export function runVerbatim(command: ReadmeCommand): boolean {
  const key = verbKey(command);
  return key !== undefined && RUN_VERBATIM.includes(key) && VERBATIM_SECTIONS.some((s) => s.test(command.section));
}

/** `fluxops images hold ...` -> `images hold`; `fluxops up ...` -> `up` (groups are `dev` and `images`). */
export function verbKey(command: ReadmeCommand): string | undefined {
  const args = fluxopsArgs(command);
  if (!args || args.length === 0 || args[0]!.startsWith('-')) return undefined;
  return (args[0] === 'dev' || args[0] === 'images' || args[0] === 'image') && args[1] ? `${args[0]} ${args[1]}` : args[0];
}

/**
 * The other `fluxops` verbs the README shows, and the test files that run them with real
 * components. A README line is covered when these files, together, contain its verb words and
 * every flag it uses (as written in an argument list, e.g. `'--git-token-file'`).
 */
export const COVERAGE: Readonly<Record<string, readonly string[]>> = {
  demo: ['test/cli/demo.int.test.ts'],
  'dev up': ['test/cli/dev.int.test.ts'],
  'dev down': ['test/cli/dev.int.test.ts'],
  'dev status': ['test/cli/dev.int.test.ts'],
  reconcile: ['test/readme/readme-tutorial.int.test.ts'],
  'image build': ['test/image/image-build.int.test.ts'],
  'images scan': ['test/cli/images.int.test.ts'],
  'images update': ['test/cli/images.int.test.ts'],
  'images list': ['test/cli/images.int.test.ts'],
  'images hold': ['test/cli/images.int.test.ts'],
  'images release': ['test/cli/images.int.test.ts'],
  'images mark-bad': ['test/cli/images.int.test.ts'],
  // Run only by the tutorial test (from the README's Operations section).
  'images unmark-bad': ['test/readme/readme-tutorial.int.test.ts'],
};

/**
 * Programs that are not FluxOps' own. Their lines are allowed without a test of their own; the
 * tutorial test runs those it needs as written (`git -C ../fleet-config`, `mkdir`, `openssl`,
 * `export`) and skips the ones that need the internet or a running reconciler.
 */
export const OTHER_PROGRAMS: readonly string[] = ['git', 'kubectl', 'curl', 'export', 'cd', 'npx jest', 'pulumi', 'npm install', 'mkdir', 'openssl'];

/** Every command in `markdown`, in order. */
export function extractReadmeCommands(markdown: string): ReadmeCommand[] {
  const lines = markdown.split('\n');
  const out: ReadmeCommand[] = [];
  let fence: { marker: string; kind: 'sh' | 'console' | 'other' } | undefined;
  let pending: { line: number; text: string } | undefined;
  let section = '';
  const flush = () => {
    if (!pending) return;
    const text = stripComment(pending.text).trim();
    if (text !== '') out.push({ line: pending.line, text, words: shellWords(text), section });
    pending = undefined;
  };
  lines.forEach((raw, i) => {
    const open = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(raw);
    if (!fence) {
      if (raw.startsWith('## ')) section = raw.slice(3).trim();
      if (open) fence = { marker: open[1]!, kind: open[2] === 'sh' || open[2] === 'bash' || open[2] === 'shell' ? 'sh' : open[2] === 'console' ? 'console' : 'other' };
      return;
    }
    // A fence closes with the same character, at least as long, and nothing else on the line.
    if (raw.trim().startsWith(fence.marker[0]!.repeat(fence.marker.length)) && /^[`~]+$/.test(raw.trim())) {
      flush();
      fence = undefined;
      return;
    }
    if (fence.kind === 'other') return;
    let text = pending ? raw.trimStart() : raw;
    if (!pending) {
      if (fence.kind === 'console') {
        if (!raw.startsWith('$ ')) return;
        text = raw.slice(2);
      }
      pending = { line: i + 1, text: '' };
    }
    if (/\\$/.test(text)) {
      pending.text += `${text.slice(0, -1).trimEnd()} `;
      return;
    }
    pending.text += text;
    flush();
  });
  flush();
  return out;
}

/** The text before an unquoted `#` that starts a word (a shell comment). */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i);
  }
  return text;
}

/** Splits a command into words the way a POSIX shell does for quotes and backslashes (no expansion). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else word = (word ?? '') + c;
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${text}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** The arguments after the FluxOps program name, or undefined when `command` runs something else. */
export function fluxopsArgs(command: ReadmeCommand): string[] | undefined {
  const [a, b] = command.words;
  if (a === 'fluxops' || a === './fluxops') return command.words.slice(1);
  if (a === 'npx' && b === 'fluxops') return command.words.slice(2);
  return undefined;
}

/** The flags of a command line as the user wrote them (`--out=dir` counts as `--out`). */
export function flagsOf(args: readonly string[]): string[] {
  return args.filter((a) => /^-{1,2}[A-Za-z]/.test(a)).map((a) => a.replace(/=.*$/, ''));
}
