import { IMAGE_POLICY_SHORTHAND, readSetterComment } from './setter-marker';
import { Leaf } from './yaml-leaves';

/** A value with a setter marker that Flux would apply. */
export interface FoundMarker {
  /** The marked value (a scalar, or a block scalar or alias, which are reported rather than set). */
  readonly value: Leaf;
  /** The comment holding the marker. */
  readonly comment: Leaf;
  /** The setter it names (`ns:policy`, `ns:policy:tag`, ...). */
  readonly setter: string;
  /** `line`: the comment ends the value's line; `head`: it is the only comment line above the value. */
  readonly via: 'line' | 'head';
  /** Where the value's node starts, including an anchor or tag in front of it (where yaml.v3 says it is). */
  readonly nodeOffset: number;
}

/** A comment that mentions `$imagepolicy` but sets nothing, and why. */
export interface MisplacedMarker {
  /** The comment. */
  readonly comment: Leaf;
  /** Problem code (see `SetterProblemCode`). */
  readonly code: 'malformed-marker' | 'marker-not-on-scalar' | 'marker-not-attached';
  /** Why Flux (and FluxOps) would not apply it, and what to do. */
  readonly reason: string;
}

/**
 * Finds setter markers the way yaml.v3 attaches comments and kyaml reads them (what Flux's
 * `Setters` strategy does): for each value that is not a mapping key, its line comment if it
 * has one, otherwise its head comment (the comment lines directly above it, no blank line in
 * between); the comment must be exactly one marker. Comments that mention `$imagepolicy` but
 * are not applied this way come back as {@link MisplacedMarker}s.
 */
export function findSetterMarkers(text: string, leaves: readonly Leaf[]): { markers: FoundMarker[]; misplaced: MisplacedMarker[] } {
  const markers: FoundMarker[] = [];
  const misplaced: MisplacedMarker[] = [];
  const explained = new Set<Leaf>();
  const commentText = (c: Leaf) => text.slice(c.offset, c.end).replace(/\r$/, '');
  const mentions = (c: Leaf) => c.kind === 'comment' && commentText(c).includes(IMAGE_POLICY_SHORTHAND);

  leaves.forEach((leaf, i) => {
    if (leaf.role !== 'value' || (leaf.kind !== 'scalar' && leaf.kind !== 'block-scalar' && leaf.kind !== 'alias')) return;
    const line = lineComment(leaves, i);
    const head = headComments(leaves, i);
    if (line) {
      explained.add(line);
      const read = readSetterComment(commentText(line));
      if (read.kind === 'marker') markers.push({ value: leaf, comment: line, setter: read.setter, via: 'line', nodeOffset: nodeOffset(leaves, i) });
      else if (read.kind === 'malformed') misplaced.push({ comment: line, code: 'malformed-marker', reason: read.reason });
      for (const h of head.filter(mentions)) {
        explained.add(h);
        misplaced.push({
          comment: h,
          code: 'marker-not-attached',
          reason: 'the value below has its own comment at the end of its line, which Flux reads instead; put the marker there',
        });
      }
      return;
    }
    if (head.length === 0) return;
    head.forEach((h) => explained.add(h));
    // yaml.v3 joins the lines of a head comment; only a single line can be a marker.
    if (head.length > 1) {
      for (const h of head.filter(mentions)) {
        misplaced.push({
          comment: h,
          code: 'marker-not-attached',
          reason: 'other comment lines directly above the value join it and Flux ignores the combined comment; put the marker at the end of the value\'s line',
        });
      }
      return;
    }
    const read = readSetterComment(commentText(head[0]));
    if (read.kind === 'marker') markers.push({ value: leaf, comment: head[0], setter: read.setter, via: 'head', nodeOffset: nodeOffset(leaves, i) });
    else if (read.kind === 'malformed') misplaced.push({ comment: head[0], code: 'malformed-marker', reason: read.reason });
  });

  leaves.forEach((leaf, i) => {
    if (!mentions(leaf) || explained.has(leaf)) return;
    const read = readSetterComment(commentText(leaf));
    if (read.kind === 'malformed') {
      misplaced.push({ comment: leaf, code: 'malformed-marker', reason: read.reason });
      return;
    }
    if (read.kind === 'other') return;
    misplaced.push({ comment: leaf, ...whyNotAttached(leaves, i) });
  });
  return { markers, misplaced };
}

/** Offset of the anchor or tag in front of value `i`, or of the value itself. */
function nodeOffset(leaves: readonly Leaf[], i: number): number {
  let offset = leaves[i].offset;
  for (let j = i - 1; j >= 0 && (leaves[j].kind === 'space' || leaves[j].kind === 'newline' || leaves[j].kind === 'prop'); j--) {
    if (leaves[j].kind === 'prop') offset = leaves[j].offset;
  }
  return offset;
}

/** The comment at the end of a value's (last) line: after it, only spaces and at most one comma. */
function lineComment(leaves: readonly Leaf[], i: number): Leaf | undefined {
  let j = i + 1;
  while (leaves[j]?.kind === 'space') j++;
  if (leaves[j]?.kind === 'comma') {
    j++;
    while (leaves[j]?.kind === 'space') j++;
  }
  return leaves[j]?.kind === 'comment' ? leaves[j] : undefined;
}

/** Index of the first leaf on the line of leaf `i`. */
function lineStartIndex(leaves: readonly Leaf[], i: number): number {
  let j = i;
  while (j > 0 && leaves[j - 1].kind !== 'newline') j--;
  return j;
}

/** Whether a comment is the first thing on its line (spaces, one sequence dash or a flow bracket may precede it). */
function startsItsLine(leaves: readonly Leaf[], i: number): boolean {
  const before = leaves.slice(lineStartIndex(leaves, i), i).filter((l) => l.kind !== 'space' && l.kind !== 'other');
  return before.every((l) => l.kind === 'dash' || l.kind === 'flow-open') && before.filter((l) => l.kind === 'dash').length <= 1;
}

/**
 * The head comment of value `i`: the comment lines directly above it, up to a blank line or
 * other content. Empty when the value does not start its line (after `key:` the comment above
 * belongs to the key).
 */
function headComments(leaves: readonly Leaf[], i: number): Leaf[] {
  const start = lineStartIndex(leaves, i);
  const before = leaves.slice(start, i).filter((l) => l.kind !== 'space');
  if (!before.every((l) => l.kind === 'dash' || l.kind === 'flow-open' || l.kind === 'prop' || l.kind === 'comma')) return [];
  if (before.filter((l) => l.kind === 'dash').length > 1) return [];
  // Walk up over comment lines and blank lines to the previous token. Comments after the last
  // blank line belong to the value; those before it go to the previous sibling (as its foot
  // comment), unless there is none: then yaml.v3 gives the whole run to this first element.
  const comments: Leaf[] = [];
  let closest: Leaf[] | undefined;
  let j = i - 1;
  for (; j >= 0; j--) {
    const l = leaves[j];
    if (l.kind === 'space' || l.kind === 'prop' || l.kind === 'comma') continue;
    if ((l.kind === 'dash' || l.kind === 'flow-open') && j >= start) continue;
    if (l.kind === 'comment') {
      if (!startsItsLine(leaves, j)) break;
      comments.unshift(l);
      continue;
    }
    if (l.kind === 'newline') {
      let k = j - 1;
      while (k >= 0 && leaves[k].kind === 'space') k--;
      const blank = k < 0 || leaves[k].kind === 'newline' || leaves[k].token.type === 'byte-order-mark';
      if (blank) closest ??= [...comments];
      continue;
    }
    break;
  }
  // What precedes the run decides: a key's `:` (even with its own comment after it), a dash or
  // an opening bracket means the value is the first thing in its collection.
  while (j >= 0 && (leaves[j].kind === 'comment' || leaves[j].kind === 'space')) j--;
  const previous = leaves[j];
  const firstElement = !previous || previous.kind === 'colon' || previous.kind === 'dash' || previous.kind === 'flow-open' || previous.kind === 'doc-start' || previous.kind === 'explicit-key';
  return firstElement || closest === undefined ? comments : closest;
}

/** Why a marker comment that no value claimed sets nothing. */
function whyNotAttached(leaves: readonly Leaf[], i: number): Pick<MisplacedMarker, 'code' | 'reason'> {
  // Trailing comment: what precedes it on its line?
  let j = i - 1;
  while (leaves[j]?.kind === 'space') j--;
  if (leaves[j]?.kind === 'comma') {
    j--;
    while (leaves[j]?.kind === 'space') j--;
  }
  const prev = leaves[j];
  if (prev && prev.kind !== 'newline' && prev.kind !== 'dash' && prev.kind !== 'flow-open') {
    if (prev.kind === 'colon' || prev.role === 'key') {
      return { code: 'marker-not-on-scalar', reason: 'it follows a mapping key whose value is not on this line (a mapping, a sequence or an empty value); Flux reads it as a comment on the key and sets nothing' };
    }
    if (prev.kind === 'flow-close') {
      return { code: 'marker-not-on-scalar', reason: 'it follows a flow collection; Flux only sets scalar values, so mark each value inside, one per line' };
    }
    return { code: 'marker-not-on-scalar', reason: 'it does not follow a scalar value' };
  }
  // A comment on a line of its own: what comes next?
  let k = i + 1;
  let blankLine = false;
  let newlines = 0;
  for (; k < leaves.length; k++) {
    const l = leaves[k];
    if (l.kind === 'space' || l.kind === 'prop') continue;
    if (l.kind === 'newline') {
      newlines++;
      if (newlines >= 2) blankLine = true;
      continue;
    }
    if (l.kind === 'comment') {
      newlines = 0;
      continue;
    }
    if (l.kind === 'dash') {
      newlines = 0;
      continue;
    }
    break;
  }
  const next = leaves[k];
  if (blankLine || !next) {
    return { code: 'marker-not-attached', reason: 'no value follows it directly (a blank line or the end of the document comes first); Flux reads it as a comment on what precedes it' };
  }
  if (next.role === 'key') {
    return { code: 'marker-not-on-scalar', reason: 'it is above a mapping key; Flux reads it as a comment on the key and sets nothing; put it at the end of the value\'s line' };
  }
  if (next.kind === 'flow-open') {
    return { code: 'marker-not-on-scalar', reason: 'it is above a flow collection; Flux only sets scalar values' };
  }
  if (next.kind === 'dash') {
    return { code: 'marker-not-on-scalar', reason: 'it is above a nested sequence; Flux only sets scalar values' };
  }
  return { code: 'marker-not-attached', reason: 'Flux does not attach it to a value here; put it at the end of the value\'s line' };
}
