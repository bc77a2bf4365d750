/**
 * Line and column arithmetic over the original text of a YAML file, so edits can be placed by
 * line (block collections are line-oriented) while every untouched byte stays where it was.
 */
export class YamlSource {
  /** Offset of the first character of each line (line 0 starts at 0, after any BOM it is still 0). */
  private readonly lineStarts: number[];
  /** Line break used for new lines: the file's first one, `\n` if it has none. */
  readonly eol: '\n' | '\r\n';

  constructor(readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    const firstBreak = text.indexOf('\n');
    this.eol = firstBreak > 0 && text[firstBreak - 1] === '\r' ? '\r\n' : '\n';
  }

  /** Number of lines (a final line without a line break counts; an empty text has one line). */
  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Offset where a 0-based line starts. */
  lineStart(line: number): number {
    return this.lineStarts[line];
  }

  /** Offset just after a line's break (or the end of the text for the last line). */
  lineEndWithBreak(line: number): number {
    return line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
  }

  /** Offset of a line's break (its content end), excluding `\r\n`/`\n`. */
  lineContentEnd(line: number): number {
    let end = this.lineEndWithBreak(line);
    if (end > this.lineStarts[line] && this.text[end - 1] === '\n') end--;
    if (end > this.lineStarts[line] && this.text[end - 1] === '\r') end--;
    return end;
  }

  /** The line's text without its break. */
  lineText(line: number): string {
    return this.text.slice(this.lineStarts[line], this.lineContentEnd(line));
  }

  /** 0-based column of an offset (a BOM on the first line is not counted). */
  columnOf(offset: number): number {
    const start = this.lineStarts[this.lineOf(offset)];
    const bom = start === 0 && this.text.charCodeAt(0) === 0xfeff ? 1 : 0;
    return offset - start - (offset > 0 ? bom : 0);
  }

  /** 1-based line and column, for messages and change sets. */
  position(offset: number): { line: number; column: number } {
    return { line: this.lineOf(offset) + 1, column: this.columnOf(offset) + 1 };
  }

  /**
   * Indentation of a line (spaces before the first other character) and what kind of line it
   * is: blank, a comment, or content.
   */
  lineShape(line: number): { kind: 'blank' | 'comment' | 'content'; indent: number } {
    const text = this.lineText(line).replace(/^\uFEFF/, '');
    const trimmed = text.trimStart();
    const indent = text.length - trimmed.length;
    if (trimmed === '') return { kind: 'blank', indent };
    return { kind: trimmed.startsWith('#') ? 'comment' : 'content', indent };
  }

  /** Whether only spaces (or a BOM) precede `offset` on its line. */
  startsLine(offset: number): boolean {
    return /^\uFEFF?[ \t]*$/.test(this.text.slice(this.lineStarts[this.lineOf(offset)], offset));
  }

  /** Whether the text ends with a line break (so appending a line needs none in front). */
  get endsWithBreak(): boolean {
    return this.text.length === 0 || this.text.endsWith('\n');
  }
}
