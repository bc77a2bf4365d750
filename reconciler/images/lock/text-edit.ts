/**
 * A replacement of `text.slice(start, end)` by `text`, with offsets into the original string.
 * Every file rewrite in this folder is a list of these: whatever lies outside the spans is
 * copied unchanged, which is what makes the rewrites byte-exact by construction.
 */
export interface TextEdit {
  /** Offset of the first replaced UTF-16 code unit. */
  readonly start: number;
  /** Offset after the last replaced code unit (`start` for a pure insertion). */
  readonly end: number;
  /** Replacement. */
  readonly text: string;
}

/**
 * Applies non-overlapping edits (all offsets refer to the original `source`). Insertions at the
 * same offset keep the order they were given in. Overlapping edits are a programming error and
 * throw, because applying them would silently drop one of them.
 */
export function applyTextEdits(source: string, edits: readonly TextEdit[]): string {
  if (edits.length === 0) return source;
  const ordered = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.start - b.start || a.end - b.end || a.i - b.i);
  let out = '';
  let pos = 0;
  for (const e of ordered) {
    if (e.start < pos || e.end < e.start || e.end > source.length) {
      throw new RangeError(`overlapping or out-of-range text edit [${e.start}, ${e.end}) after offset ${pos}`);
    }
    out += source.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + source.slice(pos);
}
