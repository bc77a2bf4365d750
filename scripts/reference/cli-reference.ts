import type { Argument, Command, Option } from 'commander';

import { escapeCell, GENERATED_NOTICE } from './markdown';

/**
 * The CLI reference (`docs/reference/cli.md`) rendered from the real commander program: every
 * verb (also nested ones such as `dev up`), its arguments and options with their descriptions
 * and defaults, exactly as `fluxops <verb> --help` knows them. Pure: the same program gives the
 * same bytes.
 */
export function renderCliReference(program: Command): string {
  const verbs = leafCommands(program);
  const out: string[] = [
    '# `fluxops` command reference',
    '',
    GENERATED_NOTICE,
    '',
    `${program.description()}.`,
    '',
    'Run `./fluxops <verb>` from a FluxOps checkout (it installs what is missing on first use), or',
    '`npx fluxops <verb>` in a config repository that depends on FluxOps. `fluxops <verb> --help`',
    'prints the same information. Every verb exits with 0 on success and 1 on an error (typed errors',
    'print one line, `fluxops: <message>`); other exit codes are listed with the verb.',
    '',
    '| verb | what it does |',
    '| --- | --- |',
    ...verbs.map((c) => `| [\`fluxops ${commandPath(c)}\`](#${anchor(`fluxops ${commandPath(c)}`)}) | ${escapeCell(c.description())} |`),
    '',
    '## Global options',
    '',
    optionTable(program.options),
  ];
  for (const c of verbs) {
    out.push('', `## fluxops ${commandPath(c)}`, '', `${sentence(c.description())}`, '', '```', `fluxops ${commandPath(c)} ${usage(c)}`.trimEnd(), '```');
    if (c.registeredArguments.length > 0) out.push('', argumentTable(c.registeredArguments));
    const options = c.options.filter((o) => !o.hidden);
    if (options.length > 0) out.push('', optionTable(options));
  }
  return `${out.join('\n')}\n`;
}

/** Every command that does something, depth first in registration order (`dev` itself only groups `dev up|down|status`). */
function leafCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length > 0 ? leafCommands(c) : [c]));
}

function commandPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x && x.parent; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

function usage(c: Command): string {
  return c.usage();
}

/** GitHub's heading anchor: lower case, spaces to dashes, punctuation dropped. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

function sentence(text: string): string {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?)]$/.test(t) ? t : `${t}.`;
}

function argumentTable(args: readonly Argument[]): string {
  const rows = args.map((a) => {
    const name = a.required ? `<${a.name()}>` : `[${a.name()}]`;
    return `| \`${name}${a.variadic ? '...' : ''}\` | ${escapeCell(a.description ?? '')} | ${a.defaultValue === undefined ? (a.required ? 'required' : '') : `\`${escapeCell(JSON.stringify(a.defaultValue))}\``} |`;
  });
  return ['| argument | description | default |', '| --- | --- | --- |', ...rows].join('\n');
}

function optionTable(options: readonly Option[]): string {
  const rows = options.map((o) => `| \`${escapeCell(o.flags)}\` | ${escapeCell(o.description ?? '')} | ${escapeCell(defaultOf(o))} |`);
  return ['| option | description | default |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The default as a user meets it: a value, on/off, repeatable, or required. */
function defaultOf(o: Option): string {
  if (o.mandatory) return 'required';
  if (o.negate) return 'on (this flag turns it off)';
  const d: unknown = o.defaultValue;
  // A flag without a value (`--force`) is simply absent unless given.
  if (d === undefined) return o.isBoolean() ? 'off' : '';
  if (d === false) return 'off';
  if (Array.isArray(d)) return d.length === 0 ? 'none (repeatable)' : `\`${JSON.stringify(d)}\` (repeatable)`;
  return `\`${typeof d === 'string' ? d : JSON.stringify(d)}\``;
}
