import { CST, Node, Pair, YAMLMap, YAMLSeq, isMap, isScalar, isSeq } from 'yaml';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import { ImageLock, ImageLockBadTag, ImageLockHold } from '../../../constructs/lock';
import { PassContext, afterColon, compareRootKeys, linesAt, membershipEdits, runPass, scalarEdit } from './block-edits';
import { LOCK_HOLD_FIELDS, LockBadTagChange, LockHoldChange } from './lock-change';
import { LockEditError } from './lock-edit-error';
import { LockLayout, NewPair, badTagItemLines, badTagListPair, flowNoteText, holdPairs, mapPair } from './lock-layout';
import { TextEdit } from './text-edit';
import { findPair, isFlowCollection, nodeContentEnd, nodeStart, pairKey } from './yaml-document';
import { YamlSource } from './yaml-source';

// Holds (`holds`, `siteHolds`) and bad tags (`badTags`) are rewritten after the entries, in four
// passes from the inside out, each on a fresh parse of the previous pass's text so that the edits
// of one pass never overlap (an outer flow collection is rewritten whole, after its inner edits):
//   (a) fields of holds that stay (tag, reason, since), scalar by scalar;
//   (b) holds added to or removed from maps that stay, bad tags added to or removed from lists
//       that stay;
//   (c) sites added to or removed from `siteHolds`, policies' lists added to or removed from
//       `badTags`;
//   (d) the sections themselves, added in ROOT_ORDER or removed with their last member.
// Every pass compares the text as it is now with the intended lock, so a pass that finds
// nothing to do changes nothing.

/**
 * Rewrites the hold and bad-tag sections of `text` (a valid lock) so that it reads as `intended`,
 * byte for byte outside the changed regions. `holds` and `badTags` are the model-level changes
 * (used only to skip passes with nothing to do).
 */
export function rewriteLockNotes(text: string, intended: ImageLock, holds: readonly LockHoldChange[], badTags: readonly LockBadTagChange[], source: string): string {
  const fields = holds.some((c) => c.action === 'updated');
  const members = holds.some((c) => c.action !== 'updated') || badTags.length > 0;
  if (!fields && !members) return text;
  // New text is written in the style the file had before this rewrite started (a rewritten
  // reason that had to be quoted must not make every later reason quoted).
  let layout: LockLayout | undefined;
  let out = runPass(text, source, (ctx) => {
    layout = ctx.layout;
    return fields ? holdFieldEdits(ctx, holds) : [];
  });
  if (members) {
    out = runPass(out, source, (ctx) => memberEdits(ctx, intended), layout);
    out = runPass(out, source, (ctx) => groupEdits(ctx, intended), layout);
    out = runPass(out, source, (ctx) => sectionEdits(ctx, intended), layout);
  }
  return out;
}

type MapNode = YAMLMap<Node, Node | null>;
type PairNode = Pair<Node, Node | null>;

/** Pass (a): the changed fields of holds that exist before and after. */
function holdFieldEdits(ctx: PassContext, changes: readonly LockHoldChange[]): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const c of changes) {
    if (c.action !== 'updated' || !c.to) continue;
    const field = c.site === undefined ? `holds.${c.policy}` : `siteHolds.${c.site}.${c.policy}`;
    const path = c.site === undefined ? ['holds', c.policy] : ['siteHolds', c.site, c.policy];
    const located = locate(ctx, path);
    if (!located || !isMap(located.node)) throw new LockEditError({ source: ctx.source, field, reason: 'the hold is not written as a plain mapping' });
    const hold = located.node as MapNode;
    const inFlow = located.inFlow || isFlowCollection(hold);
    for (const f of c.fields) edits.push(scalarEdit(ctx, findPair(hold, f)?.value, c.to[f as (typeof LOCK_HOLD_FIELDS)[number]], inFlow, `${field}.${f}`));
  }
  return edits;
}

/** Pass (b): members of hold maps and bad-tag lists that exist in the text and in `intended`. */
function memberEdits(ctx: PassContext, intended: ImageLock): TextEdit[] {
  const edits: TextEdit[] = [];
  const rootInFlow = isFlowCollection(ctx.root);
  const holds = findPair(ctx.root, 'holds');
  if (holds && intended.holds) edits.push(...holdMapEdits(ctx, holds, 'holds', rootInFlow, intended.holds));
  const siteHolds = findPair(ctx.root, 'siteHolds');
  if (siteHolds && intended.siteHolds && isMap(siteHolds.value)) {
    const inFlow = rootInFlow || isFlowCollection(siteHolds.value);
    for (const site of siteHolds.value.items as PairNode[]) {
      const name = pairKey(site);
      const wanted = name === undefined ? undefined : intended.siteHolds[name];
      if (wanted) edits.push(...holdMapEdits(ctx, site, `siteHolds.${name}`, inFlow, wanted));
    }
  }
  const badTags = findPair(ctx.root, 'badTags');
  if (badTags && intended.badTags && isMap(badTags.value)) {
    const inFlow = rootInFlow || isFlowCollection(badTags.value);
    for (const list of badTags.value.items as PairNode[]) {
      const name = pairKey(list);
      const wanted = name === undefined ? undefined : intended.badTags[name];
      if (wanted && wanted.length > 0) edits.push(...badTagListEdits(ctx, list, `badTags.${name}`, inFlow, wanted));
    }
  }
  return edits;
}

function holdMapEdits(ctx: PassContext, owner: PairNode, field: string, inFlow: boolean, wanted: Readonly<Record<string, ImageLockHold>>): TextEdit[] {
  if (!isMap(owner.value)) throw new LockEditError({ source: ctx.source, field, reason: 'is not a mapping' });
  const map = owner.value as MapNode;
  const present = new Set((map.items as PairNode[]).map((p) => pairKey(p) ?? ''));
  const removals = new Set([...present].filter((k) => wanted[k] === undefined));
  const additions = holdPairs(ctx.layout, wanted, Object.keys(wanted).filter((k) => !present.has(k)));
  return membershipEdits(ctx, map, owner, field, inFlow, removals, additions, compareCodePoints);
}

/** Pass (c): sites of `siteHolds` and policies of `badTags`, in maps that exist in the text and in `intended`. */
function groupEdits(ctx: PassContext, intended: ImageLock): TextEdit[] {
  const edits: TextEdit[] = [];
  const rootInFlow = isFlowCollection(ctx.root);
  const siteHolds = findPair(ctx.root, 'siteHolds');
  if (siteHolds && intended.siteHolds) {
    const wanted = intended.siteHolds;
    edits.push(
      ...groupMembership(ctx, siteHolds, 'siteHolds', rootInFlow, Object.keys(wanted), (site) =>
        mapPair(ctx.layout, site, holdPairs(ctx.layout, wanted[site], Object.keys(wanted[site])), ctx.layout.siteEntryOffset),
      ),
    );
  }
  const badTags = findPair(ctx.root, 'badTags');
  if (badTags && intended.badTags) {
    const wanted = intended.badTags;
    edits.push(...groupMembership(ctx, badTags, 'badTags', rootInFlow, Object.keys(wanted), (policy) => badTagListPair(ctx.layout, policy, wanted[policy])));
  }
  return edits;
}

function groupMembership(ctx: PassContext, owner: PairNode, field: string, inFlow: boolean, wanted: readonly string[], render: (key: string) => NewPair): TextEdit[] {
  if (!isMap(owner.value)) throw new LockEditError({ source: ctx.source, field, reason: 'is not a mapping' });
  const map = owner.value as MapNode;
  const present = new Set((map.items as PairNode[]).map((p) => pairKey(p) ?? ''));
  const keep = new Set(wanted);
  const removals = new Set([...present].filter((k) => !keep.has(k)));
  const additions = wanted.filter((k) => !present.has(k)).map(render);
  return membershipEdits(ctx, map, owner, field, inFlow, removals, additions, compareCodePoints);
}

/** Pass (d): the `holds`, `siteHolds` and `badTags` sections, added or removed. */
function sectionEdits(ctx: PassContext, intended: ImageLock): TextEdit[] {
  const { layout } = ctx;
  const removals = new Set<string>();
  const additions: NewPair[] = [];
  const wanted: Record<'holds' | 'siteHolds' | 'badTags', () => NewPair | undefined> = {
    holds: () => (intended.holds ? mapPair(layout, 'holds', holdPairs(layout, intended.holds, Object.keys(intended.holds)), layout.step) : undefined),
    siteHolds: () => {
      const sites = intended.siteHolds;
      if (!sites) return undefined;
      const children = Object.keys(sites)
        .sort(compareCodePoints)
        .map((s) => mapPair(layout, s, holdPairs(layout, sites[s], Object.keys(sites[s])), layout.siteEntryOffset));
      return mapPair(layout, 'siteHolds', children, layout.step);
    },
    badTags: () => {
      const lists = intended.badTags;
      if (!lists) return undefined;
      const children = Object.keys(lists)
        .sort(compareCodePoints)
        .filter((p) => lists[p].length > 0)
        .map((p) => badTagListPair(layout, p, lists[p]));
      return mapPair(layout, 'badTags', children, layout.step);
    },
  };
  for (const key of ['holds', 'siteHolds', 'badTags'] as const) {
    const inText = findPair(ctx.root, key) !== undefined;
    const inLock = intended[key] !== undefined;
    if (inText && !inLock) removals.add(key);
    if (!inText && inLock) {
      const pair = wanted[key]();
      if (pair) additions.push(pair);
    }
  }
  return membershipEdits(ctx, ctx.root, undefined, '(document)', isFlowCollection(ctx.root), removals, additions, compareRootKeys);
}

// ---------------------------------------------------------------------------------------------
// Bad-tag lists: sequences of { tag, reason, since } maps.

/** Edits that turn the list under `owner` into `wanted` (items matched by tag; survivors keep their text). */
function badTagListEdits(ctx: PassContext, owner: PairNode, field: string, inFlow: boolean, wanted: readonly ImageLockBadTag[]): TextEdit[] {
  const { src, layout } = ctx;
  const seq = owner.value;
  if (!isSeq(seq)) throw new LockEditError({ source: ctx.source, field, reason: 'is not a sequence' });
  const items = (seq as YAMLSeq<Node>).items;
  const tags = items.map((item, i) => {
    const tag = isMap(item) ? findPair(item, 'tag')?.value : undefined;
    if (!isScalar(tag) || typeof tag.value !== 'string') throw new LockEditError({ source: ctx.source, field: `${field}.${i}`, reason: 'is not a bad-tag mapping with a tag' });
    return tag.value;
  });
  const wantedTags = wanted.map((b) => b.tag);
  if (tags.length === wantedTags.length && tags.every((t, i) => t === wantedTags[i])) return [];
  const byTag = new Map(items.map((item, i) => [tags[i], item]));

  if (isFlowCollection(seq) || inFlow) {
    if (items.length === 0 && !inFlow) {
      // `gw: []` gains items: write them as a block sequence under the key, like `{}` maps.
      const column = src.columnOf(nodeStart(owner.key)) + layout.notes.seqOffset;
      const end = nodeContentEnd(seq);
      return [
        { start: afterColon(ctx, owner, field), end, text: '' },
        linesAt(ctx, src.lineEndWithBreak(src.lineOf(end - 1)), wanted.flatMap((b) => badTagItemLines(layout, b, column, layout.notes.dashGap))),
      ];
    }
    const inner = wanted.map((b) => {
      const kept = byTag.get(b.tag);
      return kept ? src.text.slice(nodeStart(kept), nodeContentEnd(kept)) : flowNoteText(layout, b);
    });
    const pad = src.text[nodeStart(seq) + 1] === ' ' && inner.length > 0;
    return [{ start: nodeStart(seq), end: nodeContentEnd(seq), text: pad ? `[ ${inner.join(', ')} ]` : `[${inner.join(', ')}]` }];
  }

  // A block sequence: items are edited line by line, like the pairs of a block map.
  const token = seq.srcToken as CST.BlockSequence | undefined;
  if (!token || token.type !== 'block-seq' || token.items.length !== items.length) {
    throw new LockEditError({ source: ctx.source, field, reason: 'the sequence cannot be matched to its source lines' });
  }
  const dashes = token.items.map((it, i) => {
    const dash = it.start.find((t) => t.type === 'seq-item-ind');
    if (!dash || !src.startsLine(dash.offset)) throw new LockEditError({ source: ctx.source, field: `${field}.${i}`, reason: 'the sequence dash does not start its line; FluxOps edits block sequences line by line' });
    return dash.offset;
  });
  const dashColumn = src.columnOf(dashes[0]);
  const gapText = src.text.slice(dashes[0] + 1, nodeStart(items[0]));
  const gap = /^ +$/.test(gapText) ? gapText : ' ';
  const edits: TextEdit[] = [];
  const keep = new Set(wantedTags);
  items.forEach((item, i) => {
    if (!keep.has(tags[i])) edits.push({ start: itemHeadStart(src, dashes[i]), end: itemExtentEnd(src, dashes[i], item), text: '' });
  });
  const survivors = items.map((_, i) => i).filter((i) => keep.has(tags[i]));
  wanted.forEach((b, w) => {
    if (byTag.has(b.tag)) return;
    // Before the next wanted item that is already there, else after the last survivor.
    const next = wanted.slice(w + 1).find((x) => byTag.has(x.tag));
    let offset: number;
    if (next) offset = itemHeadStart(src, dashes[tags.indexOf(next.tag)]);
    else if (survivors.length > 0) offset = itemExtentEnd(src, dashes[survivors[survivors.length - 1]], items[survivors[survivors.length - 1]]);
    else offset = itemHeadStart(src, dashes[0]);
    edits.push(linesAt(ctx, offset, badTagItemLines(layout, b, dashColumn, gap)));
  });
  return edits;
}

/** Start of a block-sequence item's lines: its dash line, and the comment lines directly above it at the dash's column. */
function itemHeadStart(src: YamlSource, dash: number): number {
  const column = src.columnOf(dash);
  let line = src.lineOf(dash);
  while (line > 0) {
    const shape = src.lineShape(line - 1);
    if (shape.kind !== 'comment' || shape.indent !== column) break;
    line--;
  }
  return src.lineStart(line);
}

/** End of a block-sequence item's lines: its last content line, plus following comment lines indented deeper than the dash. */
function itemExtentEnd(src: YamlSource, dash: number, item: Node): number {
  const column = src.columnOf(dash);
  let last = src.lineOf(Math.max(nodeContentEnd(item) - 1, dash));
  for (let line = last + 1; line < src.lineCount; line++) {
    const shape = src.lineShape(line);
    if (shape.kind === 'blank') continue;
    if (shape.kind === 'comment' && shape.indent > column) {
      last = line;
      continue;
    }
    break;
  }
  return src.lineEndWithBreak(last);
}

/** The node at a key path from the root, and whether any collection on the way is written in flow style. */
function locate(ctx: PassContext, path: readonly string[]): { node: Node | null; inFlow: boolean } | undefined {
  let node: Node | null = ctx.root;
  let inFlow = isFlowCollection(ctx.root);
  for (const key of path) {
    const pair = findPair(node, key);
    if (!pair) return undefined;
    node = pair.value;
    inFlow ||= isFlowCollection(node);
  }
  return { node, inFlow };
}
