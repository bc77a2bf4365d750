import { Node, Pair, YAMLMap, isMap, isScalar, isSeq } from 'yaml';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import { ImageLockBadTag, ImageLockEntry, ImageLockHold } from '../../../constructs/lock';
import { ScalarStyle, renderScalarSource, scalarStyleOf } from './scalar-style';
import { findPair, isFlowCollection, nodeStart, pairKey } from './yaml-document';
import { YamlSource } from './yaml-source';

// The lock rewriter's view of a file's style, and the rendering of new text in that style.
// Internal to `updateLockText`.

/** How holds and bad tags are written: the file's own holds and bad tags show it, else its entries do. */
export interface NoteLayout {
  /** One-line flow maps (`gw: {tag: ..., reason: ..., since: ...}`, `- {tag: ...}`). */
  readonly flow: boolean;
  /** Column of a block hold's fields minus the column of its key. */
  readonly fieldOffset: number;
  /** Column of a bad-tag dash minus the column of its policy key. */
  readonly seqOffset: number;
  /** What follows a bad-tag dash before the item. */
  readonly dashGap: string;
}

/** How one lock file writes things (indentation, quoting, flow or block), so new text looks like the old. */
export interface LockLayout {
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
  /** Scalar style per field, from the first entry (or hold, or bad tag) that has it. */
  readonly styles: Readonly<Record<'key' | 'image' | 'tag' | 'digest' | 'updatedAt' | 'platform' | 'reason' | 'since', ScalarStyle>>;
  /** Holds and bad tags. */
  readonly notes: NoteLayout;
  /** Quote used when a plain scalar would read as another type. */
  readonly fallback: 'single' | 'double';
}

/** Reads the {@link LockLayout} of a parsed lock, with defaults for what the file does not show. */
export function detectLayout(src: YamlSource, root: YAMLMap<Node, Node | null>): LockLayout {
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
  // Holds (`holds`, `siteHolds.<site>`) and bad tags (`badTags.<policy>` lists).
  const holds: { key: Node; value: YAMLMap<Node, Node | null> }[] = [];
  collect(findPair(root, 'holds')?.value, holds);
  const siteHolds: { key: Node; value: YAMLMap<Node, Node | null> }[] = [];
  collect(findPair(root, 'siteHolds')?.value, siteHolds);
  for (const s of siteHolds) collect(s.value, holds);
  for (const key of ['holds', 'siteHolds', 'badTags']) {
    const p = findPair(root, key);
    if (p && isMap(p.value) && !isFlowCollection(p.value) && p.value.items.length > 0) step ??= col((p.value.items[0] as Pair<Node, Node | null>).key) - col(p.key);
  }
  let noteFlow: boolean | undefined;
  let noteFieldOffset: number | undefined;
  let noteSeqOffset: number | undefined;
  let noteDashGap: string | undefined;
  const noteFields = (map: YAMLMap<Node, Node | null>) => {
    noteFlow ??= isFlowCollection(map);
    if (isFlowCollection(map)) notePad(map);
    for (const p of map.items as Pair<Node, Node | null>[]) {
      const k = pairKey(p);
      if (k === 'tag' || k === 'reason' || k === 'since') noteStyle(k, p.value);
    }
  };
  for (const h of holds) {
    noteStyle('key', h.key);
    noteFields(h.value);
    if (noteFieldOffset === undefined && !isFlowCollection(h.value) && h.value.items.length > 0) {
      noteFieldOffset = col((h.value.items[0] as Pair<Node, Node | null>).key) - col(h.key);
    }
  }
  const badTags = findPair(root, 'badTags')?.value;
  if (isMap(badTags)) {
    for (const p of badTags.items as Pair<Node, Node | null>[]) {
      noteStyle('key', p.key);
      if (!isSeq(p.value)) continue;
      for (const item of p.value.items) if (isMap(item)) noteFields(item as YAMLMap<Node, Node | null>);
      const seqToken = p.value.srcToken;
      if (noteSeqOffset === undefined && seqToken?.type === 'block-seq' && seqToken.items.length > 0) {
        const dash = seqToken.items[0].start.find((t) => t.type === 'seq-item-ind');
        const first = p.value.items[0] as Node | undefined;
        if (dash && first) {
          noteSeqOffset = src.columnOf(dash.offset) - col(p.key);
          noteDashGap = src.text.slice(dash.offset + 1, nodeStart(first));
          if (!/^ +$/.test(noteDashGap)) noteDashGap = ' ';
        }
      }
    }
  }
  const resolvedStep = step !== undefined && step > 0 ? step : 2;
  const resolvedFieldOffset = fieldOffset !== undefined && fieldOffset > 0 ? fieldOffset : resolvedStep;
  const resolvedSeqOffset = seqOffset !== undefined && seqOffset >= 0 ? seqOffset : resolvedStep;
  return {
    eol: src.eol,
    step: resolvedStep,
    fieldOffset: resolvedFieldOffset,
    siteEntryOffset: siteEntryOffset !== undefined && siteEntryOffset > 0 ? siteEntryOffset : resolvedStep,
    seqOffset: resolvedSeqOffset,
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
      reason: styles.reason ?? 'plain',
      since: styles.since ?? styles.updatedAt ?? 'plain',
    },
    notes: {
      flow: noteFlow ?? entryFlow ?? false,
      fieldOffset: noteFieldOffset !== undefined && noteFieldOffset > 0 ? noteFieldOffset : resolvedFieldOffset,
      seqOffset: noteSeqOffset !== undefined && noteSeqOffset >= 0 ? noteSeqOffset : resolvedSeqOffset,
      dashGap: noteDashGap ?? dashGap ?? ' ',
    },
    fallback: quotes.single > quotes.double ? 'single' : 'double',
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering of new text in the file's style.

/** `n` spaces. */
export const spaces = (n: number) => ' '.repeat(n);

/** A value as scalar source in the file's style for that kind of field (quoted when plain would read as another type). */
export function scalarText(layout: LockLayout, kind: keyof LockLayout['styles'], value: string, inFlow: boolean): string {
  return renderScalarSource(value, layout.styles[kind], { inFlow, fallback: layout.fallback });
}

/** A flow sequence of platform strings (`[a, b]`). */
export function flowSeqText(layout: LockLayout, values: readonly string[], pad: boolean): string {
  if (values.length === 0) return '[]';
  const inner = values.map((v) => scalarText(layout, 'platform', v, true)).join(', ');
  return pad ? `[ ${inner} ]` : `[${inner}]`;
}

/** An entry as a one-line flow map. */
export function flowEntryText(layout: LockLayout, entry: ImageLockEntry): string {
  const parts = [
    `image: ${scalarText(layout, 'image', entry.image, true)}`,
    `tag: ${scalarText(layout, 'tag', entry.tag, true)}`,
    `digest: ${scalarText(layout, 'digest', entry.digest, true)}`,
    `updatedAt: ${scalarText(layout, 'updatedAt', entry.updatedAt, true)}`,
    ...(entry.platforms !== undefined ? [`platforms: ${flowSeqText(layout, entry.platforms, layout.flowPad)}`] : []),
  ];
  return layout.flowPad ? `{ ${parts.join(', ')} }` : `{${parts.join(', ')}}`;
}

/** The block-sequence lines of `platforms` under a key at `keyColumn`. */
export function platformLines(layout: LockLayout, values: readonly string[], keyColumn: number): string[] {
  return values.map((v) => `${spaces(keyColumn + layout.seqOffset)}-${layout.dashGap}${scalarText(layout, 'platform', v, false)}`);
}

/** The lines of a new entry (`key:` and its fields, or `key: {...}` in flow files) at `column`. */
export function blockEntryLines(layout: LockLayout, key: string, entry: ImageLockEntry, column: number): string[] {
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
export interface NewPair {
  readonly key: string;
  block(column: number): string[];
  flow(): string;
}

/** A new entry as a {@link NewPair}. */
export function entryPair(layout: LockLayout, key: string, entry: ImageLockEntry): NewPair {
  return {
    key,
    block: (column) => blockEntryLines(layout, key, entry, column),
    flow: () => `${scalarText(layout, 'key', key, true)}: ${flowEntryText(layout, entry)}`,
  };
}

/** A new key whose value is a map of `children`, indented by `childOffset` in block style. */
export function mapPair(layout: LockLayout, key: string, children: readonly NewPair[], childOffset: number): NewPair {
  return {
    key,
    block: (column) => [`${spaces(column)}${scalarText(layout, 'key', key, false)}:`, ...children.flatMap((c) => c.block(column + childOffset))],
    flow: () => {
      const inner = children.map((c) => c.flow()).join(', ');
      return `${scalarText(layout, 'key', key, true)}: ${layout.flowPad ? `{ ${inner} }` : `{${inner}}`}`;
    },
  };
}

/** New entries for `keys`, sorted. */
export function entryPairs(layout: LockLayout, entries: Readonly<Record<string, ImageLockEntry>>, keys: readonly string[]): NewPair[] {
  return [...keys].sort(compareCodePoints).map((k) => entryPair(layout, k, entries[k]));
}


/** A hold or a bad tag as a one-line flow map (`{tag: ..., reason: ..., since: ...}`). */
export function flowNoteText(layout: LockLayout, n: ImageLockHold | ImageLockBadTag): string {
  const inner = [`tag: ${scalarText(layout, 'tag', n.tag, true)}`, `reason: ${scalarText(layout, 'reason', n.reason, true)}`, `since: ${scalarText(layout, 'since', n.since, true)}`].join(', ');
  return layout.flowPad ? `{ ${inner} }` : `{${inner}}`;
}

/** The field lines of a hold or bad tag in block style, all at `column` (the first one may get a prefix such as a dash). */
function blockNoteLines(layout: LockLayout, n: ImageLockHold | ImageLockBadTag, column: number, firstPrefix: string): string[] {
  return [
    `${firstPrefix}tag: ${scalarText(layout, 'tag', n.tag, false)}`,
    `${spaces(column)}reason: ${scalarText(layout, 'reason', n.reason, false)}`,
    `${spaces(column)}since: ${scalarText(layout, 'since', n.since, false)}`,
  ];
}

/** A new hold under `holds` or `siteHolds.<site>` as a {@link NewPair}. */
export function holdPair(layout: LockLayout, key: string, hold: ImageLockHold): NewPair {
  return {
    key,
    block: (column) => {
      const k = scalarText(layout, 'key', key, false);
      if (layout.notes.flow) return [`${spaces(column)}${k}: ${flowNoteText(layout, hold)}`];
      const f = column + layout.notes.fieldOffset;
      return [`${spaces(column)}${k}:`, ...blockNoteLines(layout, hold, f, spaces(f))];
    },
    flow: () => `${scalarText(layout, 'key', key, true)}: ${flowNoteText(layout, hold)}`,
  };
}

/** New holds for `keys`, sorted. */
export function holdPairs(layout: LockLayout, holds: Readonly<Record<string, ImageLockHold>>, keys: readonly string[]): NewPair[] {
  return [...keys].sort(compareCodePoints).map((k) => holdPair(layout, k, holds[k]));
}

/** The lines of one bad tag as a block-sequence item whose dash is at `dashColumn`. */
export function badTagItemLines(layout: LockLayout, bad: ImageLockBadTag, dashColumn: number, dashGap: string): string[] {
  const dash = `${spaces(dashColumn)}-${dashGap}`;
  if (layout.notes.flow) return [`${dash}${flowNoteText(layout, bad)}`];
  return blockNoteLines(layout, bad, dashColumn + 1 + dashGap.length, dash);
}

/** A new `badTags.<policy>` list as a {@link NewPair} (block: a sequence under the key; flow: `[...]`). */
export function badTagListPair(layout: LockLayout, key: string, list: readonly ImageLockBadTag[]): NewPair {
  return {
    key,
    block: (column) => [
      `${spaces(column)}${scalarText(layout, 'key', key, false)}:`,
      ...list.flatMap((b) => badTagItemLines(layout, b, column + layout.notes.seqOffset, layout.notes.dashGap)),
    ],
    flow: () => {
      const inner = list.map((b) => flowNoteText(layout, b)).join(', ');
      return `${scalarText(layout, 'key', key, true)}: ${layout.flowPad ? `[ ${inner} ]` : `[${inner}]`}`;
    },
  };
}
