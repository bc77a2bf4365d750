import type { FieldChange } from './object-diff';
import { summarizeDiff, type DiffAction, type ObjectDiff, type SiteDiff } from './diff-site';

/** Where a diff came from, for headings. */
export interface DiffContext {
  readonly site: string;
  /** Commit or branch synthesized. */
  readonly revision?: string;
  /** The cluster (API server URL). */
  readonly cluster?: string;
}

const SYMBOL: Record<DiffAction, string> = { create: '+', update: '~', unchanged: '=', prune: '-', orphan: '?', invalid: '!' };
const VERB: Record<DiffAction, string> = { create: 'create', update: 'update', unchanged: 'unchanged', prune: 'prune', orphan: 'keep (orphaned)', invalid: 'invalid' };
const MAX_VALUE = 300;

/** One line summary: `1 to create, 2 to update, 1 to prune, 7 unchanged`. */
export function diffSummaryLine(diff: SiteDiff): string {
  const s = summarizeDiff(diff);
  const parts = [
    s.create && `${s.create} to create`,
    s.update && `${s.update} to update`,
    s.prune && `${s.prune} to prune`,
    s.orphan && `${s.orphan} orphaned (kept)`,
    s.invalid && `${s.invalid} invalid`,
    `${s.unchanged} unchanged`,
  ].filter(Boolean);
  return parts.join(', ');
}

/** Plain text: one block per object that changes, field by field; unchanged objects only counted. */
export function renderDiffText(diff: SiteDiff, ctx: DiffContext): string {
  const lines: string[] = [`site ${ctx.site}${ctx.revision ? ` at ${ctx.revision}` : ''}${ctx.cluster ? ` against ${ctx.cluster}` : ''}`];
  for (const o of diff.objects) {
    if (o.action === 'unchanged') continue;
    lines.push(`${SYMBOL[o.action]} ${o.id} (${VERB[o.action]}${o.message ? `: ${o.message}` : ''})`);
    if (o.action === 'update') for (const c of o.changes) lines.push(`    ${changeLine(c)}`);
  }
  lines.push(diffSummaryLine(diff));
  return lines.join('\n');
}

/** Data for `--output json`. */
export function diffJson(diff: SiteDiff, ctx: DiffContext): Record<string, unknown> {
  return { site: ctx.site, revision: ctx.revision ?? null, cluster: ctx.cluster ?? null, summary: summarizeDiff(diff), objects: diff.objects };
}

/**
 * Markdown for a pull-request comment: a summary table, then one collapsible section per changed
 * object with its field changes as a `diff` block. Secret values are already masked.
 */
export function renderDiffMarkdown(diff: SiteDiff, ctx: DiffContext): string {
  const s = summarizeDiff(diff);
  const out: string[] = [];
  out.push(`### FluxOps diff for site \`${ctx.site}\`${ctx.revision ? ` at \`${ctx.revision}\`` : ''}`);
  out.push('');
  out.push(`${diffSummaryLine(diff)}.`);
  out.push('');
  out.push('| action | count |');
  out.push('| --- | ---: |');
  for (const a of ['create', 'update', 'prune', 'orphan', 'invalid', 'unchanged'] as const) if (s[a] > 0 || a === 'unchanged') out.push(`| ${VERB[a]} | ${s[a]} |`);
  const changed = diff.objects.filter((o) => o.action !== 'unchanged');
  if (changed.length > 0) {
    out.push('');
    out.push('| | object | action |');
    out.push('| --- | --- | --- |');
    for (const o of changed) out.push(`| \`${SYMBOL[o.action]}\` | \`${o.id}\` | ${VERB[o.action]}${o.message ? `: ${escapeCell(o.message)}` : ''} |`);
    for (const o of changed) {
      if (o.action !== 'update' && o.action !== 'create') continue;
      out.push('');
      out.push(`<details><summary><code>${SYMBOL[o.action]} ${escapeHtml(o.id)}</code> (${o.changes.length} change${o.changes.length === 1 ? '' : 's'})</summary>`);
      out.push('');
      out.push('```diff');
      for (const c of o.changes) for (const l of diffLines(c)) out.push(l);
      out.push('```');
      out.push('');
      out.push('</details>');
    }
  }
  return out.join('\n') + '\n';
}

function changeLine(c: FieldChange): string {
  if (c.op === 'add') return `+ ${c.path}: ${value(c.after)}`;
  if (c.op === 'remove') return `- ${c.path}: ${value(c.before)}`;
  return `${c.path}: ${value(c.before)} -> ${value(c.after)}`;
}

function diffLines(c: FieldChange): string[] {
  const lines: string[] = [];
  if (c.before !== undefined) lines.push(`- ${c.path === '.' ? '' : `${c.path}: `}${value(c.before, true)}`);
  if (c.after !== undefined) lines.push(`+ ${c.path === '.' ? '' : `${c.path}: `}${value(c.after, true)}`);
  return lines.flatMap((l) => l.split('\n'));
}

function value(v: unknown, multiline = false): string {
  const text = multiline && typeof v === 'object' && v !== null ? JSON.stringify(v, null, 2) : JSON.stringify(v);
  if (text === undefined) return 'null';
  return text.length > MAX_VALUE && !multiline ? `${text.slice(0, MAX_VALUE)}...` : text;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Objects of a diff with a given action. */
export function objectsWith(diff: SiteDiff, ...actions: DiffAction[]): ObjectDiff[] {
  return diff.objects.filter((o) => actions.includes(o.action));
}
