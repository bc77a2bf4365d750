import { isDeepStrictEqual } from 'node:util';
import { CST, Node, Pair, YAMLMap, isMap, isScalar, isSeq } from 'yaml';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import {
  ImageLock,
  ImageLockEntry,
  ImageLockError,
  emptyImageLock,
  parseImageLock,
  serializeImageLock,
  validateImageLock,
  withLockEntry,
  withoutLockEntry,
} from '../../../constructs/lock';
import { LockEntryChange, LockRewrite, LockUpdate, diffImageLocks } from './lock-change';
import { LockEditError } from './lock-edit-error';
import { ScalarStyle, renderScalarSource, rewriteScalarToken, scalarStyleOf } from './scalar-style';
import { TextEdit, applyTextEdits } from './text-edit';
import { findPair, isFlowCollection, nodeContentEnd, nodeStart, pairKey, pairValueIndicator, parseYamlStream } from './yaml-document';
import { YamlSource } from './yaml-source';

/** Options of {@link updateLockText}. */
export interface UpdateLockOptions {
  /** Name of the input in errors (the file's path in the repository, e.g. `clusters/fluxops.lock.yaml`). */
  readonly source: string;
  /**
   * Write a new `updatedAt` even when an update selects the image the entry already records.
   * By default such an update is a no-op: `updatedAt` says when the image was selected, and
   * re-selecting it must not produce a commit.
   * @default false
   */
  readonly refreshTimestamps?: boolean;
}

/**
 * Applies `updates` to the text of a `fluxops.lock.yaml` and returns the new text plus the typed
 * change set. Only the scalars that change are rewritten; comments, indentation, key order,
 * quoting, flow style, line endings and a BOM stay as they are. New entries (and new site
 * sections) go in sorted position in the file's own style; a missing or blank file (`undefined`
 * or whitespace) becomes a fresh lock written by `serializeImageLock`.
 *
 * An update that changes nothing returns the input unchanged with an empty change set. An
 * invalid input or an update that would make the lock invalid throws {@link ImageLockError}
 * naming `options.source` and the field; a lock that cannot be edited in place throws
 * {@link LockEditError}. Nothing is returned in either case.
 */
export function updateLockText(text: string | undefined, updates: readonly LockUpdate[], options: UpdateLockOptions): LockRewrite {
  const { source } = options;
  const input = text ?? '';
  const fresh = input.replace(/^\uFEFF/, '').trim() === '';
  const before = fresh ? emptyImageLock() : parseImageLock(input, source);
  const intended = applyUpdates(before, updates, options);
  const changes = diffImageLocks(before, intended);
  if (changes.length === 0) return { text: input, changed: false, changes: [], lock: before };
  const out = fresh ? serializeImageLock(intended) : rewriteLock(input, before, intended, changes, source);
  verifyRewrite(out, intended, source);
  return { text: out, changed: true, changes, lock: intended };
}

function applyUpdates(before: ImageLock, updates: readonly LockUpdate[], options: UpdateLockOptions): ImageLock {
  const { source } = options;
  let lock = before;
  updates.forEach((u, i) => {
    const where = `updates[${i}]`;
    if (typeof u !== 'object' || u === null) throw new ImageLockError({ source, field: where, reason: 'must be an update object' });
    if (typeof u.policy !== 'string') throw new ImageLockError({ source, field: `${where}.policy`, reason: 'must be a policy name' });
    if (u.site !== undefined && typeof u.site !== 'string') throw new ImageLockError({ source, field: `${where}.site`, reason: 'must be a site name or absent' });
    if (u.action === 'remove') {
      lock = withoutLockEntry(lock, u.policy, u.site);
    } else if (u.action === 'set') {
      if (typeof u.entry !== 'object' || u.entry === null) throw new ImageLockError({ source, field: `${where}.entry`, reason: 'must be a lock entry' });
      const current = u.site === undefined ? lock.policies[u.policy] : lock.sites[u.site]?.[u.policy];
      const sameImage = current !== undefined && isDeepStrictEqual({ ...current, updatedAt: '' }, { ...u.entry, updatedAt: '' });
      const entry = sameImage && !options.refreshTimestamps ? current : u.entry;
      lock = withLockEntry(lock, u.policy, entry, u.site);
    } else {
      throw new ImageLockError({ source, field: `${where}.action`, reason: `must be "set" or "remove", not ${JSON.stringify((u as { action: unknown }).action)}` });
    }
  });
  // Names the first bad field of the result (`sites.warehouse-b.mqtt-broker.tag`) and the file.
  return validateImageLock(lock, source);
}

function verifyRewrite(out: string, intended: ImageLock, source: string): void {
  let reread: ImageLock;
  try {
    reread = parseImageLock(out, source);
  } catch (cause) {
    throw new LockEditError({ source, field: '(document)', reason: `the edited text would not be a valid lock (${cause instanceof Error ? cause.message : String(cause)})`, cause });
  }
  if (isDeepStrictEqual(reread, intended)) return;
  const differs = diffImageLocks(intended, reread)[0];
  const field = differs ? entryPath(differs.policy, differs.site) : '(document)';
  throw new LockEditError({
    source,
    field,
    reason: 'editing the text in place would not give the intended entry (is it shared through a YAML anchor or alias?); nothing was written',
  });
}

function entryPath(policy: string, site?: string): string {
  return site === undefined ? `policies.${policy}` : `sites.${site}.${policy}`;
}

// ---------------------------------------------------------------------------------------------
// The rewrite runs in three passes, each on a fresh parse of the previous pass's text, so that
// edits of one pass never overlap: (1) fields of entries that stay, (2) entries added to or
// removed from existing maps, (3) site sections added or removed.

function rewriteLock(text: string, before: ImageLock, intended: ImageLock, changes: readonly LockEntryChange[], source: string): string {
  // A pass with nothing to do is skipped: the common run (new tags for existing entries) parses once.
  const siteMembership = changes.some((c) => c.site !== undefined && (before.sites[c.site] === undefined) !== (intended.sites[c.site] === undefined));
  let out = text;
  if (changes.some((c) => c.action === 'updated')) out = runPass(out, source, (ctx) => fieldEdits(ctx, changes));
  if (changes.some((c) => c.action !== 'updated')) out = runPass(out, source, (ctx) => entryEdits(ctx, intended, changes));
  if (siteMembership) out = runPass(out, source, (ctx) => siteEdits(ctx, intended, changes));
  return out;
}

interface PassContext {
  readonly src: YamlSource;
  readonly root: YAMLMap<Node, Node | null>;
  readonly layout: LockLayout;
  readonly source: string;
}

function runPass(text: string, source: string, plan: (ctx: PassContext) => TextEdit[]): string {
  const { documents, errors } = parseYamlStream(text);
  const root = documents[0]?.contents;
  if (errors.length > 0 || !isMap(root)) {
    throw new LockEditError({ source, field: '(document)', reason: `cannot re-read the lock while editing it (${errors[0]?.message ?? 'not a mapping'})` });
  }
  const src = new YamlSource(text);
  const ctx: PassContext = { src, root: root as YAMLMap<Node, Node | null>, layout: detectLayout(src, root as YAMLMap<Node, Node | null>), source };
  return applyTextEdits(text, plan(ctx));
}

// ---------------------------------------------------------------------------------------------
// Layout: how this file writes things, so new text looks like the old.

interface LockLayout {
  readonly eol: string;
  /** Indentation step between a key and its block map (2 unless the file says otherwise). */
  readonly step: number;
  /** Column of an entry's fields minus the column of the entry's key. */
  readonly fieldOffset: number;
  /** Column of a site's entry keys minus the column of the site key. */
  readonly siteEntryOffset: number;
  /** Column of a `platforms` dash minus the column of the `platforms` key. */
  readonly seqOffset: number;
  /** What follows a sequence dash before the item (`" "` normally). */
  readonly dashGap: string;
  /** Whether the file writes entries as one-line flow maps (`gw: {image: ..., tag: ...}`). */
  readonly entryFlow: boolean;
  /** Whether flow collections have inner padding (`{ a: b }`). */
  readonly flowPad: boolean;
  /** Scalar style per field, from the first entry that has it. */
  readonly styles: Readonly<Record<'key' | 'image' | 'tag' | 'digest' | 'updatedAt' | 'platform', ScalarStyle>>;
  /** Quote used when a plain scalar would read as another type. */
  readonly fallback: 'single' | 'double';
}

function detectLayout(src: YamlSource, root: YAMLMap<Node, Node | null>): LockLayout {
  const col = (n: Node) => src.columnOf(nodeStart(n));
  let step: number | undefined;
  for (const key of ['policies', 'sites']) {
    const p = findPair(root, key);
    if (p && isMap(p.value) && !isFlowCollection(p.value) && p.value.items.length > 0) {
      const child = (p.value.items[0] as Pair<Node, Node | null>).key;
      step ??= col(child) - col(p.key);
    }
  }
  const entries: { key: Node; value: YAMLMap<Node, Node | null> }[] = [];
  const sites: { key: Node; value: YAMLMap<Node, Node | null> }[] = [];
  const collect = (map: Node | null | undefined, into: { key: Node; value: YAMLMap<Node, Node | null> }[]) => {
    if (!isMap(map)) return;
    for (const p of map.items as Pair<Node, Node | null>[]) if (isMap(p.value)) into.push({ key: p.key, value: p.value as YAMLMap<Node, Node | null> });
  };
  collect(findPair(root, 'policies')?.value, entries);
  collect(findPair(root, 'sites')?.value, sites);
  for (const s of sites) collect(s.value, entries);

  let fieldOffset: number | undefined;
  let entryFlow: boolean | undefined;
  let seqOffset: number | undefined;
  let dashGap: string | undefined;
  let flowPad: boolean | undefined;
  const styles: Partial<Record<keyof LockLayout['styles'], ScalarStyle>> = {};
  const quotes = { single: 0, double: 0 };
  const noteStyle = (kind: keyof LockLayout['styles'], node: Node | null | undefined) => {
    const token = isScalar(node) ? node.srcToken : undefined;
    const style = token ? scalarStyleOf(token) : undefined;
    if (!style) return;
    styles[kind] ??= style;
    if (style !== 'plain') quotes[style]++;
  };
  const notePad = (node: Node) => {
    if (flowPad === undefined && isFlowCollection(node)) flowPad = src.text[nodeStart(node) + 1] === ' ';
  };
  for (const e of entries) {
    noteStyle('key', e.key);
    entryFlow ??= isFlowCollection(e.value);
    if (isFlowCollection(e.value)) notePad(e.value);
    for (const p of e.value.items as Pair<Node, Node | null>[]) {
      if (fieldOffset === undefined && !isFlowCollection(e.value)) fieldOffset = col(p.key) - col(e.key);
      const k = pairKey(p);
      if (k === 'image' || k === 'tag' || k === 'digest' || k === 'updatedAt') noteStyle(k, p.value);
      if (k === 'platforms' && isSeq(p.value)) {
        for (const item of p.value.items) noteStyle('platform', item as Node);
        if (isFlowCollection(p.value)) notePad(p.value);
        const seqToken = p.value.srcToken;
        if (seqOffset === undefined && seqToken?.type === 'block-seq' && seqToken.items.length > 0) {
          const dash = seqToken.items[0].start.find((t) => t.type === 'seq-item-ind');
          const first = p.value.items[0] as Node | undefined;
          if (dash && first) {
            seqOffset = src.columnOf(dash.offset) - col(p.key);
            dashGap = src.text.slice(dash.offset + 1, nodeStart(first));
            if (!/^ +$/.test(dashGap)) dashGap = ' ';
          }
        }
      }
    }
  }
  let siteEntryOffset: number | undefined;
  for (const s of sites) {
    noteStyle('key', s.key);
    if (siteEntryOffset === undefined && !isFlowCollection(s.value) && s.value.items.length > 0) {
      siteEntryOffset = col((s.value.items[0] as Pair<Node, Node | null>).key) - col(s.key);
    }
  }
  const resolvedStep = step !== undefined && step > 0 ? step : 2;
  return {
    eol: src.eol,
    step: resolvedStep,
    fieldOffset: fieldOffset !== undefined && fieldOffset > 0 ? fieldOffset : resolvedStep,
    siteEntryOffset: siteEntryOffset !== undefined && siteEntryOffset > 0 ? siteEntryOffset : resolvedStep,
    seqOffset: seqOffset !== undefined && seqOffset >= 0 ? seqOffset : resolvedStep,
    dashGap: dashGap ?? ' ',
    entryFlow: entryFlow ?? false,
    flowPad: flowPad ?? false,
    styles: {
      key: styles.key ?? 'plain',
      image: styles.image ?? 'plain',
      tag: styles.tag ?? 'plain',
      digest: styles.digest ?? 'plain',
      updatedAt: styles.updatedAt ?? 'plain',
      platform: styles.platform ?? 'plain',
    },
    fallback: quotes.single > quotes.double ? 'single' : 'double',
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering of new text in the file's style.

const spaces = (n: number) => ' '.repeat(n);

function scalarText(layout: LockLayout, kind: keyof LockLayout['styles'], value: string, inFlow: boolean): string {
  return renderScalarSource(value, layout.styles[kind], { inFlow, fallback: layout.fallback });
}

function flowSeqText(layout: LockLayout, values: readonly string[], pad: boolean): string {
  if (values.length === 0) return '[]';
  const inner = values.map((v) => scalarText(layout, 'platform', v, true)).join(', ');
  return pad ? `[ ${inner} ]` : `[${inner}]`;
}

function flowEntryText(layout: LockLayout, entry: ImageLockEntry): string {
  const parts = [
    `image: ${scalarText(layout, 'image', entry.image, true)}`,
    `tag: ${scalarText(layout, 'tag', entry.tag, true)}`,
    `digest: ${scalarText(layout, 'digest', entry.digest, true)}`,
    `updatedAt: ${scalarText(layout, 'updatedAt', entry.updatedAt, true)}`,
    ...(entry.platforms !== undefined ? [`platforms: ${flowSeqText(layout, entry.platforms, layout.flowPad)}`] : []),
  ];
  return layout.flowPad ? `{ ${parts.join(', ')} }` : `{${parts.join(', ')}}`;
}

function platformLines(layout: LockLayout, values: readonly string[], keyColumn: number): string[] {
  return values.map((v) => `${spaces(keyColumn + layout.seqOffset)}-${layout.dashGap}${scalarText(layout, 'platform', v, false)}`);
}

function blockEntryLines(layout: LockLayout, key: string, entry: ImageLockEntry, column: number): string[] {
  const k = scalarText(layout, 'key', key, false);
  if (layout.entryFlow) return [`${spaces(column)}${k}: ${flowEntryText(layout, entry)}`];
  const f = column + layout.fieldOffset;
  const lines = [
    `${spaces(column)}${k}:`,
    `${spaces(f)}image: ${scalarText(layout, 'image', entry.image, false)}`,
    `${spaces(f)}tag: ${scalarText(layout, 'tag', entry.tag, false)}`,
    `${spaces(f)}digest: ${scalarText(layout, 'digest', entry.digest, false)}`,
    `${spaces(f)}updatedAt: ${scalarText(layout, 'updatedAt', entry.updatedAt, false)}`,
  ];
  if (entry.platforms !== undefined) {
    if (entry.platforms.length === 0) lines.push(`${spaces(f)}platforms: []`);
    else lines.push(`${spaces(f)}platforms:`, ...platformLines(layout, entry.platforms, f));
  }
  return lines;
}

/** A key/value to add to a map, renderable as block lines at a column or as flow text. */
interface NewPair {
  readonly key: string;
  block(column: number): string[];
  flow(): string;
}

function entryPair(layout: LockLayout, key: string, entry: ImageLockEntry): NewPair {
  return {
    key,
    block: (column) => blockEntryLines(layout, key, entry, column),
    flow: () => `${scalarText(layout, 'key', key, true)}: ${flowEntryText(layout, entry)}`,
  };
}

function mapPair(layout: LockLayout, key: string, children: readonly NewPair[], childOffset: number): NewPair {
  return {
    key,
    block: (column) => [`${spaces(column)}${scalarText(layout, 'key', key, false)}:`, ...children.flatMap((c) => c.block(column + childOffset))],
    flow: () => {
      const inner = children.map((c) => c.flow()).join(', ');
      return `${scalarText(layout, 'key', key, true)}: ${layout.flowPad ? `{ ${inner} }` : `{${inner}}`}`;
    },
  };
}

function entryPairs(layout: LockLayout, entries: Readonly<Record<string, ImageLockEntry>>, keys: readonly string[]): NewPair[] {
  return [...keys].sort(compareCodePoints).map((k) => entryPair(layout, k, entries[k]));
}

// ---------------------------------------------------------------------------------------------
// Block-map geometry: which lines belong to a pair, where a new pair goes.

/**
 * Offset after the last line that belongs to a block-map pair: the line of its value's last
 * content, plus following comment lines indented deeper than its key.
 */
function pairExtentEnd(src: YamlSource, pair: Pair<Node, Node | null>): number {
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
function pairHeadStart(src: YamlSource, pair: Pair<Node, Node | null>): number {
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

function keyLineStart(ctx: PassContext, pair: Pair<Node, Node | null>, field: string): number {
  const keyStart = nodeStart(pair.key);
  if (!ctx.src.startsLine(keyStart)) {
    throw new LockEditError({ source: ctx.source, field, reason: 'the key does not start its line; FluxOps edits block maps line by line' });
  }
  return ctx.src.lineStart(ctx.src.lineOf(keyStart));
}

/** New lines inserted at `offset`, with a line break in front when the file ends without one there. */
function linesAt(ctx: PassContext, offset: number, lines: readonly string[]): TextEdit {
  const { eol } = ctx.layout;
  const atUnterminatedEnd = offset === ctx.src.text.length && !ctx.src.endsWithBreak;
  return { start: offset, end: offset, text: atUnterminatedEnd ? eol + lines.join(eol) : lines.join(eol) + eol };
}

/** Offset right after the `:` of a pair (where ` {}` goes when its block map empties). */
function afterColon(ctx: PassContext, pair: Pair<Node, Node | null>, field: string): number {
  const colon = pairValueIndicator(pair);
  if (!colon) throw new LockEditError({ source: ctx.source, field, reason: 'the key has no ":"' });
  return colon.offset + 1;
}

/**
 * Edits that remove `removals` from a map and add `additions` in order (`compare`), in the
 * map's own style. `owner` is the pair whose value the map is (absent for the document root);
 * `inFlow` says whether the map sits inside a flow collection.
 */
function membershipEdits(
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

// ---------------------------------------------------------------------------------------------
// Pass 1: fields of entries that exist before and after.

function fieldEdits(ctx: PassContext, changes: readonly LockEntryChange[]): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const change of changes) {
    if (change.action !== 'updated' || !change.from || !change.to) continue;
    const field = entryPath(change.policy, change.site);
    const located = locateEntry(ctx, change.policy, change.site);
    if (!located) throw new LockEditError({ source: ctx.source, field, reason: 'the entry is not written as a plain mapping (shared through a YAML alias?)' });
    // parseImageLock rejects aliases, so an anchor here is referenced nowhere and editing is safe.
    const { entry, inFlow } = located;
    for (const f of change.fields) {
      if (f === 'platforms') edits.push(...platformsEdits(ctx, entry, inFlow, change.from.platforms, change.to.platforms, `${field}.platforms`));
      else edits.push(scalarEdit(ctx, findPair(entry, f)?.value, change.to[f], inFlow || isFlowCollection(entry), `${field}.${f}`));
    }
  }
  return edits;
}

function locateEntry(ctx: PassContext, policy: string, site?: string): { entry: YAMLMap<Node, Node | null>; pair: Pair<Node, Node | null>; inFlow: boolean } | undefined {
  let container: Node | null | undefined;
  let inFlow = isFlowCollection(ctx.root);
  if (site === undefined) {
    container = findPair(ctx.root, 'policies')?.value;
  } else {
    const sites = findPair(ctx.root, 'sites')?.value;
    inFlow ||= isFlowCollection(sites);
    container = findPair(sites, site)?.value;
  }
  inFlow ||= isFlowCollection(container);
  const pair = findPair(container, policy);
  if (!pair || !isMap(pair.value)) return undefined;
  return { entry: pair.value as YAMLMap<Node, Node | null>, pair, inFlow };
}

function scalarEdit(ctx: PassContext, node: Node | null | undefined, value: string, inFlow: boolean, field: string): TextEdit {
  const token = isScalar(node) ? (node.srcToken as CST.FlowScalar | CST.BlockScalar | undefined) : undefined;
  if (!token || token.type === 'block-scalar' || token.type === 'alias') {
    throw new LockEditError({ source: ctx.source, field, reason: 'is not a one-line scalar (block scalar or alias); FluxOps only rewrites one-line values' });
  }
  return { start: token.offset, end: token.offset + token.source.length, text: rewriteScalarToken(token, value, { inFlow, fallback: ctx.layout.fallback }) };
}

function platformsEdits(
  ctx: PassContext,
  entry: YAMLMap<Node, Node | null>,
  inFlow: boolean,
  from: readonly string[] | undefined,
  to: readonly string[] | undefined,
  field: string,
): TextEdit[] {
  const { src, layout } = ctx;
  const flowEntry = inFlow || isFlowCollection(entry);
  const pairs = entry.items as Pair<Node, Node | null>[];
  const pair = findPair(entry, 'platforms');
  if (to === undefined) {
    if (!pair) return [];
    if (!flowEntry) return [{ start: keyLineStart(ctx, pair, field), end: pairExtentEnd(src, pair), text: '' }];
    // Cut the pair with the separator before it (or after it when it comes first), so the
    // other fields' spans, which this pass may also edit, stay untouched.
    const i = pairs.indexOf(pair);
    if (i > 0) return [{ start: nodeContentEnd(pairs[i - 1].value ?? pairs[i - 1].key), end: nodeContentEnd(pair.value ?? pair.key), text: '' }];
    return [{ start: nodeStart(pair.key), end: nodeStart(pairs[1].key), text: '' }];
  }
  if (from === undefined || !pair) {
    // Platforms are written last, as serializeImageLock does.
    if (flowEntry) {
      const last = pairs[pairs.length - 1];
      const at = nodeContentEnd(last.value ?? last.key);
      return [{ start: at, end: at, text: `, platforms: ${flowSeqText(layout, to, layout.flowPad)}` }];
    }
    const column = src.columnOf(nodeStart(pairs[0].key));
    const lines = to.length === 0 ? [`${spaces(column)}platforms: []`] : [`${spaces(column)}platforms:`, ...platformLines(layout, to, column)];
    return [linesAt(ctx, pairExtentEnd(src, pairs[pairs.length - 1]), lines)];
  }
  const seq = pair.value;
  if (!isSeq(seq)) throw new LockEditError({ source: ctx.source, field, reason: 'is not a sequence' });
  const items = seq.items as Node[];
  if (items.length === to.length && items.every((i) => isScalar(i) && i.srcToken?.type !== 'block-scalar')) {
    return items.flatMap((item, i) => (from[i] === to[i] ? [] : [scalarEdit(ctx, item, to[i], flowEntry || isFlowCollection(seq), `${field}[${i}]`)]));
  }
  if (isFlowCollection(seq) || items.length === 0) {
    const pad = src.text[nodeStart(seq) + 1] === ' ' || (items.length === 0 && layout.flowPad);
    return [{ start: nodeStart(seq), end: nodeContentEnd(seq), text: flowSeqText(layout, to, pad) }];
  }
  // A block sequence of another length: rewrite its item lines with the same dash column and gap.
  const seqToken = seq.srcToken as CST.BlockSequence;
  const dash = seqToken.items[0].start.find((t) => t.type === 'seq-item-ind');
  if (!dash || !src.startsLine(dash.offset)) throw new LockEditError({ source: ctx.source, field, reason: 'the sequence dash does not start its line' });
  const firstLine = src.lineStart(src.lineOf(dash.offset));
  const end = pairExtentEnd(src, pair);
  if (to.length === 0) {
    return [
      { start: firstLine, end, text: '' },
      { start: afterColon(ctx, pair, field), end: afterColon(ctx, pair, field), text: ' []' },
    ];
  }
  const dashColumn = src.columnOf(dash.offset);
  const gapText = src.text.slice(dash.offset + 1, nodeStart(items[0]));
  const gap = /^ +$/.test(gapText) ? gapText : ' ';
  const lines = to.map((v) => `${spaces(dashColumn)}-${gap}${scalarText(layout, 'platform', v, false)}`);
  const endsAtUnterminatedEof = end === src.text.length && !src.endsWithBreak;
  return [{ start: firstLine, end, text: lines.join(layout.eol) + (endsAtUnterminatedEof ? '' : layout.eol) }];
}

// ---------------------------------------------------------------------------------------------
// Pass 2: entries added to or removed from maps that exist (policies, and sites that stay).

const ROOT_ORDER: Record<string, number> = { schemaVersion: 0, policies: 1, sites: 2 };
const compareRootKeys = (a: string, b: string) => (ROOT_ORDER[a] ?? 3) - (ROOT_ORDER[b] ?? 3) || compareCodePoints(a, b);

function entryEdits(ctx: PassContext, intended: ImageLock, changes: readonly LockEntryChange[]): TextEdit[] {
  const edits: TextEdit[] = [];
  const rootInFlow = isFlowCollection(ctx.root);
  const scopeEdits = (map: Node | null | undefined, owner: Pair<Node, Node | null>, field: string, inFlow: boolean, scoped: LockEntryChange[], entries: Readonly<Record<string, ImageLockEntry>>) => {
    const removals = new Set(scoped.filter((c) => c.action === 'removed').map((c) => c.policy));
    const additions = entryPairs(
      ctx.layout,
      entries,
      scoped.filter((c) => c.action === 'created').map((c) => c.policy),
    );
    if (!isMap(map)) throw new LockEditError({ source: ctx.source, field, reason: 'is not a mapping' });
    edits.push(...membershipEdits(ctx, map as YAMLMap<Node, Node | null>, owner, field, inFlow, removals, additions, compareCodePoints));
  };

  const fleet = changes.filter((c) => c.site === undefined && c.action !== 'updated');
  if (fleet.length > 0) {
    const policies = findPair(ctx.root, 'policies');
    if (policies) {
      scopeEdits(policies.value, policies, 'policies', rootInFlow, fleet, intended.policies);
    } else {
      const created = fleet.filter((c) => c.action === 'created').map((c) => c.policy);
      const pair = mapPair(ctx.layout, 'policies', entryPairs(ctx.layout, intended.policies, created), ctx.layout.step);
      edits.push(...membershipEdits(ctx, ctx.root, undefined, '(document)', rootInFlow, new Set(), [pair], compareRootKeys));
    }
  }

  const sitesPair = findPair(ctx.root, 'sites');
  const sitesInFlow = rootInFlow || isFlowCollection(sitesPair?.value);
  const bySite = groupBySite(changes);
  for (const [site, scoped] of bySite) {
    const sitePair = findPair(sitesPair?.value, site);
    // New sites and sites that disappear are pass 3's business.
    if (!sitePair || intended.sites[site] === undefined) continue;
    const membership = scoped.filter((c) => c.action !== 'updated');
    if (membership.length === 0) continue;
    scopeEdits(sitePair.value, sitePair, `sites.${site}`, sitesInFlow, membership, intended.sites[site]);
  }
  return edits;
}

function groupBySite(changes: readonly LockEntryChange[]): Map<string, LockEntryChange[]> {
  const bySite = new Map<string, LockEntryChange[]>();
  for (const c of changes) {
    if (c.site === undefined) continue;
    bySite.set(c.site, [...(bySite.get(c.site) ?? []), c]);
  }
  return bySite;
}

// ---------------------------------------------------------------------------------------------
// Pass 3: site sections added or removed.

function siteEdits(ctx: PassContext, intended: ImageLock, changes: readonly LockEntryChange[]): TextEdit[] {
  const sitesPair = findPair(ctx.root, 'sites');
  const rootInFlow = isFlowCollection(ctx.root);
  const removals = new Set<string>();
  const additions: NewPair[] = [];
  for (const site of groupBySite(changes).keys()) {
    const exists = findPair(sitesPair?.value, site) !== undefined;
    const wanted = intended.sites[site];
    if (exists && wanted === undefined) removals.add(site);
    if (!exists && wanted !== undefined) {
      additions.push(mapPair(ctx.layout, site, entryPairs(ctx.layout, wanted, Object.keys(wanted)), ctx.layout.siteEntryOffset));
    }
  }
  if (removals.size === 0 && additions.length === 0) return [];
  if (!sitesPair) {
    const pair = mapPair(ctx.layout, 'sites', additions, ctx.layout.step);
    return membershipEdits(ctx, ctx.root, undefined, '(document)', rootInFlow, new Set(), [pair], compareRootKeys);
  }
  if (!isMap(sitesPair.value)) throw new LockEditError({ source: ctx.source, field: 'sites', reason: 'is not a mapping' });
  return membershipEdits(ctx, sitesPair.value as YAMLMap<Node, Node | null>, sitesPair, 'sites', rootInFlow, removals, additions, compareCodePoints);
}
