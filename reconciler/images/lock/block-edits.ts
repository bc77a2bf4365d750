import { CST, Node, Pair, YAMLMap, isMap, isScalar } from 'yaml';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import { LockEditError } from './lock-edit-error';
import { LockLayout, NewPair, detectLayout } from './lock-layout';
import { rewriteScalarToken } from './scalar-style';
import { TextEdit, applyTextEdits } from './text-edit';
import { isFlowCollection, nodeContentEnd, nodeStart, pairKey, pairValueIndicator, parseYamlStream } from './yaml-document';
import { YamlSource } from './yaml-source';

/**
 * Line-oriented geometry of block maps (which lines belong to a pair, where a new pair goes) and
 * the edits the lock rewriter builds from it. Internal to `updateLockText`.
 */

/** One pass of a rewrite: the text as parsed now, its root map and layout, and the input name for errors. */
export interface PassContext {
  readonly src: YamlSource;
  readonly root: YAMLMap<Node, Node | null>;
  readonly layout: LockLayout;
  readonly source: string;
}

/**
 * Parses `text`, plans edits on it and applies them (every pass works on a fresh parse, so edits
 * of one pass never overlap another's). `layout` fixes the style for new text (so later passes
 * write like the file did before the first one); by default it is read from `text`.
 */
export function runPass(text: string, source: string, plan: (ctx: PassContext) => TextEdit[], layout?: LockLayout): string {
  const { documents, errors } = parseYamlStream(text);
  const root = documents[0]?.contents;
  if (errors.length > 0 || !isMap(root)) {
    throw new LockEditError({ source, field: '(document)', reason: `cannot re-read the lock while editing it (${errors[0]?.message ?? 'not a mapping'})` });
  }
  const src = new YamlSource(text);
  const ctx: PassContext = { src, root: root as YAMLMap<Node, Node | null>, layout: layout ?? detectLayout(src, root as YAMLMap<Node, Node | null>), source };
  return applyTextEdits(text, plan(ctx));
}

// ---------------------------------------------------------------------------------------------
// Block-map geometry: which lines belong to a pair, where a new pair goes.

/**
 * Offset after the last line that belongs to a block-map pair: the line of its value's last
 * content, plus following comment lines indented deeper than its key.
 */
export function pairExtentEnd(src: YamlSource, pair: Pair<Node, Node | null>): number {
  const keyStart = nodeStart(pair.key);
  const keyColumn = src.columnOf(keyStart);
  const contentEnd = Math.max(nodeContentEnd(pair.key), pair.value ? nodeContentEnd(pair.value) : 0);
  let last = src.lineOf(Math.max(contentEnd - 1, keyStart));
  for (let line = last + 1; line < src.lineCount; line++) {
    const shape = src.lineShape(line);
    if (shape.kind === 'blank') continue;
    if (shape.kind === 'comment' && shape.indent > keyColumn) {
      last = line;
      continue;
    }
    break;
  }
  return src.lineEndWithBreak(last);
}

/** Start of the lines of a block-map pair, above the comment lines directly attached to its key. */
export function pairHeadStart(src: YamlSource, pair: Pair<Node, Node | null>): number {
  const keyStart = nodeStart(pair.key);
  const column = src.columnOf(keyStart);
  let line = src.lineOf(keyStart);
  while (line > 0) {
    const shape = src.lineShape(line - 1);
    if (shape.kind !== 'comment' || shape.indent !== column) break;
    line--;
  }
  return src.lineStart(line);
}

/** Start of the line of a block-map key; throws {@link LockEditError} when the key does not start its line. */
export function keyLineStart(ctx: PassContext, pair: Pair<Node, Node | null>, field: string): number {
  const keyStart = nodeStart(pair.key);
  if (!ctx.src.startsLine(keyStart)) {
    throw new LockEditError({ source: ctx.source, field, reason: 'the key does not start its line; FluxOps edits block maps line by line' });
  }
  return ctx.src.lineStart(ctx.src.lineOf(keyStart));
}

/** New lines inserted at `offset`, with a line break in front when the file ends without one there. */
export function linesAt(ctx: PassContext, offset: number, lines: readonly string[]): TextEdit {
  const { eol } = ctx.layout;
  const atUnterminatedEnd = offset === ctx.src.text.length && !ctx.src.endsWithBreak;
  return { start: offset, end: offset, text: atUnterminatedEnd ? eol + lines.join(eol) : lines.join(eol) + eol };
}

/** Offset right after the `:` of a pair (where ` {}` goes when its block map empties). */
export function afterColon(ctx: PassContext, pair: Pair<Node, Node | null>, field: string): number {
  const colon = pairValueIndicator(pair);
  if (!colon) throw new LockEditError({ source: ctx.source, field, reason: 'the key has no ":"' });
  return colon.offset + 1;
}

/**
 * Edits that remove `removals` from a map and add `additions` in order (`compare`), in the
 * map's own style. `owner` is the pair whose value the map is (absent for the document root);
 * `inFlow` says whether the map sits inside a flow collection.
 */
export function membershipEdits(
  ctx: PassContext,
  map: YAMLMap<Node, Node | null>,
  owner: Pair<Node, Node | null> | undefined,
  field: string,
  inFlow: boolean,
  removals: ReadonlySet<string>,
  additions: readonly NewPair[],
  compare: (a: string, b: string) => number,
): TextEdit[] {
  const { src, layout } = ctx;
  const pairs = map.items as Pair<Node, Node | null>[];
  const survivors = pairs.filter((p) => !removals.has(pairKey(p) ?? ''));
  const sorted = [...additions].sort((a, b) => compare(a.key, b.key));
  if (additions.length === 0 && survivors.length === pairs.length) return [];

  if (isFlowCollection(map)) {
    if (pairs.length === 0 && !inFlow && owner) {
      // `policies: {}` gains entries: write them as a block under the key, like the rest of the file.
      const column = src.columnOf(nodeStart(owner.key)) + layout.step;
      const end = nodeContentEnd(map);
      return [
        { start: afterColon(ctx, owner, field), end, text: '' },
        linesAt(ctx, src.lineEndWithBreak(src.lineOf(end - 1)), sorted.flatMap((a) => a.block(column))),
      ];
    }
    // A non-empty flow map (or one inside flow) stays a one-line flow map: survivors keep their text.
    const items: { key: string; text: string }[] = survivors.map((p) => ({
      key: pairKey(p) ?? '',
      text: src.text.slice(nodeStart(p.key), nodeContentEnd(p.value ?? p.key)),
    }));
    for (const a of sorted) {
      const at = items.findIndex((i) => compare(i.key, a.key) > 0);
      items.splice(at < 0 ? items.length : at, 0, { key: a.key, text: a.flow() });
    }
    const pad = src.text[nodeStart(map) + 1] === ' ' && items.length > 0;
    const inner = items.map((i) => i.text).join(', ');
    return [{ start: nodeStart(map), end: nodeContentEnd(map), text: pad ? `{ ${inner} }` : `{${inner}}` }];
  }

  const edits: TextEdit[] = [];
  const column = src.columnOf(nodeStart(pairs[0].key));
  for (const p of pairs) {
    if (!removals.has(pairKey(p) ?? '')) continue;
    // The comment lines directly above a key describe it (they are its head comment), so they go with it.
    keyLineStart(ctx, p, `${field}.${pairKey(p)}`);
    edits.push({ start: pairHeadStart(src, p), end: pairExtentEnd(src, p), text: '' });
  }
  for (const a of sorted) {
    const next = survivors.find((p) => compare(pairKey(p) ?? '', a.key) > 0);
    let offset: number;
    if (next) offset = pairHeadStart(src, next);
    else if (survivors.length > 0) offset = pairExtentEnd(src, survivors[survivors.length - 1]);
    else offset = pairHeadStart(src, pairs[0]);
    edits.push(linesAt(ctx, offset, a.block(column)));
  }
  if (survivors.length === 0 && additions.length === 0) {
    if (!owner) throw new LockEditError({ source: ctx.source, field, reason: 'cannot empty the document' });
    edits.push({ start: afterColon(ctx, owner, field), end: afterColon(ctx, owner, field), text: ' {}' });
  }
  return edits;
}

/** Rewrites one existing one-line scalar to `value`, keeping its quoting style unless that would change how it reads. */
export function scalarEdit(ctx: PassContext, node: Node | null | undefined, value: string, inFlow: boolean, field: string): TextEdit {
  const token = isScalar(node) ? (node.srcToken as CST.FlowScalar | CST.BlockScalar | undefined) : undefined;
  if (!token || token.type === 'block-scalar' || token.type === 'alias') {
    throw new LockEditError({ source: ctx.source, field, reason: 'is not a one-line scalar (block scalar or alias); FluxOps only rewrites one-line values' });
  }
  return { start: token.offset, end: token.offset + token.source.length, text: rewriteScalarToken(token, value, { inFlow, fallback: ctx.layout.fallback }) };
}

/** Order of the top-level keys, as `serializeImageLock` writes them; new sections go in this order. */
export const ROOT_ORDER: Readonly<Record<string, number>> = { schemaVersion: 0, policies: 1, sites: 2, holds: 3, siteHolds: 4, badTags: 5 };
/** Compares top-level keys by {@link ROOT_ORDER}, unknown keys last. */
export const compareRootKeys = (a: string, b: string) => (ROOT_ORDER[a] ?? 6) - (ROOT_ORDER[b] ?? 6) || compareCodePoints(a, b);
