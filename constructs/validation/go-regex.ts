/**
 * Flux evaluates tag filters and exclusion lists with Go's `regexp` (RE2 syntax, Perl flags). FluxOps
 * evaluates the same patterns in JavaScript. This module parses a pattern the way Go's
 * `regexp/syntax` does (same accepted syntax, same errors for what Go rejects) and emits an
 * equivalent JavaScript `RegExp` in which every construct is spelled out explicitly: no JS flags
 * besides `u`, flags like `(?i)`, `(?m)`, `(?s)`, `(?U)` are applied while translating, `\d \s \w`
 * and POSIX classes become their ASCII sets, `.` becomes `[^\n]`. Numbered groups keep Go's
 * numbering; named groups are emitted as numbered groups and looked up by name here, so Go names
 * that JavaScript would reject (`(?P<1a>...)`) still work.
 *
 * Known, documented divergences (tags are ASCII `[A-Za-z0-9_.-]`, so none changes which tags match):
 * - case folding of non-ASCII letters under `(?i)` is approximated with `toLowerCase`/`toUpperCase`
 *   (plus the two ASCII-relevant special folds, KELVIN SIGN and LONG S);
 * - `\p{...}` supports general categories and scripts (JavaScript's Unicode data, not Go's);
 * - Go's program-size and nesting-depth limits (ErrLarge, ErrNestingDepth) are not reproduced.
 *
 * - Go's engine is linear in the input; JavaScript's backtracks. Patterns whose translation can
 *   backtrack super-linearly (a loop inside a loop, an alternation inside a loop, `^(a+)+$`, or four
 *   or more unbounded loops) are flagged {@link CompiledGoRegex.backtrackRisk} and matched with a
 *   time limit ({@link GO_REGEX_TIME_LIMIT_MS}, then once more with four times it): a tag that would make them run away raises
 *   {@link RegexTimeLimitError} instead of hanging the reconciler. Go would answer; FluxOps refuses.
 *
 * Whether a pattern matches a string is always the same as in Go (within the time limit). Submatches can differ in two
 * situations, which {@link CompiledGoRegex} reports so callers can refuse to rely on them:
 * - a group inside a loop (`*`, `+`, `{n,m}` with m > 1): JavaScript resets it on every iteration,
 *   Go keeps what an earlier iteration captured (`(?:(a)|b)+` on `ab`: Go's $1 is `a`, JS's empty);
 * - a loop whose body can match the empty string (`(a?)+`, `(x*){2,3}`): JavaScript refuses empty
 *   iterations after the minimum, Go (like Perl) takes one, so match extents can differ.
 * Optional parts (`x?`, `x??`, `x{0,1}`) are emitted as alternations, which behave exactly like Go's.
 */

import { createContext, Script } from 'node:vm';
import { FluxOpsError } from '../../errors';

/**
 * How long one match of a {@link CompiledGoRegex.backtrackRisk} pattern may run (wall clock)
 * before it is tried once more with four times the limit, and then abandoned. The second try
 * keeps a loaded machine (a process preempted mid-match) from failing a harmless pattern; a
 * runaway pattern costs 1.25 s once, then its policy fails.
 */
export const GO_REGEX_TIME_LIMIT_MS = 250;

/**
 * A tag filter or exclusion pattern ran past {@link GO_REGEX_TIME_LIMIT_MS} on one input: its
 * JavaScript translation backtracks super-linearly on it (`^(a+)+$` against `aaaa…a!`). Go's RE2
 * would answer in linear time; FluxOps refuses the pattern rather than hang. Rewrite it without a
 * loop inside a loop (`^a+$` for `^(a+)+$`).
 */
export class RegexTimeLimitError extends FluxOpsError {
  override readonly name = 'RegexTimeLimitError';
  /** The pattern as written (Go syntax). */
  readonly pattern: string;
  /** The input it was matched against (a tag). */
  readonly input: string;
  /** The limit that was exceeded, in milliseconds. */
  readonly limitMs: number;

  constructor(init: { pattern: string; input: string; limitMs: number; cause?: unknown }) {
    super(
      'regex-time-limit',
      `regular expression ${JSON.stringify(init.pattern)} ran longer than ${init.limitMs} ms on ${JSON.stringify(init.input)} (catastrophic backtracking; avoid a loop inside a loop such as (a+)+)`,
      { cause: init.cause },
    );
    this.pattern = init.pattern;
    this.input = init.input;
    this.limitMs = init.limitMs;
  }
}

/** A Go (RE2) pattern translated to an equivalent JavaScript `RegExp`. */
export interface CompiledGoRegex {
  /** The pattern as written (Go syntax). */
  readonly source: string;
  /** The equivalent JavaScript expression (unanchored, like Go's `MatchString`; flag `u` only). */
  readonly regex: RegExp;
  /** Names of named capture groups, in order of first appearance (Go allows a name twice). */
  readonly groupNames: readonly string[];
  /** Number of capture groups, named or not. */
  readonly groupCount: number;
  /** Group indexes (1-based) of each name, in order; `$name` expands the first that took part in the match. */
  readonly groupIndex: ReadonlyMap<string, readonly number[]>;
  /** Groups inside a loop: their submatch may differ from Go's (see the module comment). */
  readonly groupsInLoops: ReadonlySet<number>;
  /** Whether a loop's body can match the empty string: every submatch, `$0` included, may differ from Go's. */
  readonly emptyLoop: boolean;
  /**
   * Whether the JavaScript translation may backtrack super-linearly (nested loops, an alternation
   * in a loop, four or more unbounded loops); such patterns are matched under a time limit.
   */
  readonly backtrackRisk: boolean;
}

/** A match of a {@link CompiledGoRegex}: Go's `FindStringSubmatch`, with named groups resolved like `Expand`. */
export interface GoRegexMatch {
  /** The matched text (`$0`). */
  readonly text: string;
  /** Offset of the match in the input. */
  readonly index: number;
  /** Group values by number (index 0 is the whole match); `undefined` for a group that did not take part. */
  readonly groups: readonly (string | undefined)[];
  /** Value of each named group that took part (the first participating group of that name). */
  readonly named: Readonly<Record<string, string>>;
}

/** Finds the leftmost-first match of `re` in `input`, like Go's `FindStringSubmatch`. */
export function execGoRegex(re: CompiledGoRegex, input: string): GoRegexMatch | undefined {
  const m = runGoRegex(re, input);
  if (!m) return undefined;
  const named: Record<string, string> = {};
  for (const [name, indexes] of re.groupIndex) {
    const hit = indexes.find((i) => m[i] !== undefined);
    if (hit !== undefined) named[name] = m[hit] as string;
  }
  return { text: m[0], index: m.index, groups: [...m], named };
}

/** Whether `re` matches anywhere in `input` (Go's `MatchString`), under the time limit when needed. */
export function testGoRegex(re: CompiledGoRegex, input: string): boolean {
  return runGoRegex(re, input) !== null;
}

/**
 * The raw JavaScript match of `re` in `input`. Patterns flagged {@link CompiledGoRegex.backtrackRisk}
 * run inside a `node:vm` script with a timeout, the only way to interrupt a running RegExp in Node
 * (V8's linear engine does not support the `u` flag the translation needs). Throws
 * {@link RegexTimeLimitError} when the limit is hit.
 */
export function runGoRegex(re: CompiledGoRegex, input: string, limitMs = GO_REGEX_TIME_LIMIT_MS): RegExpExecArray | null {
  if (!re.backtrackRisk) return re.regex.exec(input);
  const first = guardedExec(re.regex, input, limitMs);
  if (first !== TIMED_OUT) return first;
  const second = guardedExec(re.regex, input, limitMs * 4);
  if (second !== TIMED_OUT) return second;
  throw new RegexTimeLimitError({ pattern: re.source, input, limitMs: limitMs * 4 });
}

const TIMED_OUT = Symbol('timed out');

function guardedExec(regex: RegExp, input: string, timeout: number): RegExpExecArray | null | typeof TIMED_OUT {
  guardContext.re = regex;
  guardContext.input = input;
  try {
    return guardScript.runInContext(guardContext, { timeout }) as RegExpExecArray | null;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return TIMED_OUT;
    throw err;
  } finally {
    guardContext.re = undefined;
    guardContext.input = undefined;
  }
}

/** One context reused for every guarded match (creating a context costs milliseconds; a run ~60 µs). */
const guardContext: { re?: RegExp; input?: string } = createContext({});
const guardScript = new Script('re.exec(input)');

/** Result of {@link compileGoRegex}. */
export type GoRegexResult = { readonly ok: true; readonly value: CompiledGoRegex } | { readonly ok: false; readonly problem: string };

/** A sorted, non-overlapping list of inclusive code point ranges. */
type Ranges = Array<[number, number]>;

type Node =
  | { readonly t: 'class'; readonly ranges: Ranges }
  | { readonly t: 'assert'; readonly kind: 'beginText' | 'endText' | 'beginLine' | 'endLine' | 'wordBoundary' | 'noWordBoundary' }
  | { readonly t: 'group'; readonly capture: number; readonly alts: Node[][] }
  | { readonly t: 'repeat'; readonly sub: Node; readonly min: number; readonly max: number; readonly greedy: boolean };

interface Flags {
  readonly fold: boolean;
  /** `(?m)` clears Go's OneLine flag: `^`/`$` match at line boundaries. */
  readonly multiLine: boolean;
  readonly dotNL: boolean;
  readonly nonGreedy: boolean;
}

const MAX_RUNE = 0x10ffff;
const MAX_REPEAT = 1000;

/** Go's perl_groups.go tables. */
const DIGIT: Ranges = [[0x30, 0x39]];
const SPACE: Ranges = [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const PERL_GROUPS: Record<string, { negate: boolean; ranges: Ranges }> = {
  d: { negate: false, ranges: DIGIT },
  D: { negate: true, ranges: DIGIT },
  s: { negate: false, ranges: SPACE },
  S: { negate: true, ranges: SPACE },
  w: { negate: false, ranges: WORD },
  W: { negate: true, ranges: WORD },
};
const POSIX_GROUPS: Record<string, Ranges> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

class GoRegexSyntaxError extends Error {}

/** Translates and compiles a Go regular expression; rejects what Go's `regexp.Compile` rejects. */
export function compileGoRegex(pattern: string): GoRegexResult {
  if (typeof pattern !== 'string' || pattern === '') return { ok: false, problem: 'must be a non-empty regular expression' };
  const cached = cache.get(pattern);
  if (cached) return cached;
  let result: GoRegexResult;
  try {
    const parser = new GoRegexParser(pattern);
    const root = parser.parse();
    const out = emitAlts(root);
    const regex = new RegExp(out, 'u');
    const groupIndex = new Map<string, number[]>();
    for (const { name, index } of parser.names) groupIndex.set(name, [...(groupIndex.get(name) ?? []), index]);
    const loops = analyzeLoops(root);
    result = {
      ok: true,
      value: { source: pattern, regex, groupNames: [...groupIndex.keys()], groupCount: parser.groups, groupIndex, ...loops, backtrackRisk: backtrackRisk(root) },
    };
  } catch (e) {
    if (!(e instanceof GoRegexSyntaxError) && !(e instanceof SyntaxError)) throw e;
    const message = (e as Error).message;
    result = { ok: false, problem: e instanceof GoRegexSyntaxError ? message : `cannot be evaluated (${message})` };
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, result);
  return result;
}

/** Validates a Go regular expression; see {@link compileGoRegex}. */
export function goRegexProblem(pattern: string): string | undefined {
  const r = compileGoRegex(pattern);
  return r.ok ? undefined : r.problem;
}

/** Patterns are compiled for every tag of a scan; keep the last few hundred translations. */
const CACHE_LIMIT = 512;
const cache = new Map<string, GoRegexResult>();

class GoRegexParser {
  groups = 0;
  readonly names: Array<{ name: string; index: number }> = [];
  private pos = 0;
  private readonly cps: number[];

  constructor(private readonly pattern: string) {
    this.cps = Array.from(pattern, (c) => c.codePointAt(0) as number);
  }

  parse(): Node[][] {
    const alts = this.parseAlternation({ fold: false, multiLine: false, dotNL: false, nonGreedy: false }, false);
    if (this.pos < this.cps.length) throw this.fail('unexpected )', ')');
    checkRepeatSizes(alts, MAX_REPEAT);
    return alts;
  }

  private fail(problem: string, expr?: string): GoRegexSyntaxError {
    return new GoRegexSyntaxError(expr === undefined ? problem : `${problem}: \`${expr}\``);
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  private peekChar(offset = 0): string {
    const c = this.peek(offset);
    return c === undefined ? '' : String.fromCodePoint(c);
  }

  private rest(): string {
    return String.fromCodePoint(...this.cps.slice(this.pos));
  }

  /** Parses until `)` (inside a group) or the end. Flags set by `(?i)` last until the group closes. */
  private parseAlternation(startFlags: Flags, inGroup: boolean): Node[][] {
    let flags = startFlags;
    const alts: Node[][] = [[]];
    let seq = alts[0] as Node[];
    let lastWasRepeat = '';
    while (this.pos < this.cps.length) {
      const c = this.peekChar();
      let repeat = '';
      if (c === ')') {
        if (!inGroup) throw this.fail('unexpected )', this.pattern);
        break;
      }
      if (c === '|') {
        this.pos++;
        seq = [];
        alts.push(seq);
      } else if (c === '(') {
        if (this.peekChar(1) === '?') {
          const r = this.parsePerlGroup(flags);
          if (r.kind === 'flags') flags = r.flags;
          else seq.push(r.node);
        } else {
          this.pos++;
          this.groups++;
          seq.push(this.parseGroupBody(flags, this.groups));
        }
      } else if (c === '^') {
        this.pos++;
        seq.push({ t: 'assert', kind: flags.multiLine ? 'beginLine' : 'beginText' });
      } else if (c === '$') {
        this.pos++;
        seq.push({ t: 'assert', kind: flags.multiLine ? 'endLine' : 'endText' });
      } else if (c === '.') {
        this.pos++;
        seq.push({ t: 'class', ranges: flags.dotNL ? [[0, MAX_RUNE]] : [[0, 0x09], [0x0b, MAX_RUNE]] });
      } else if (c === '[') {
        seq.push({ t: 'class', ranges: this.parseClass(flags) });
      } else if (c === '*' || c === '+' || c === '?' || c === '{') {
        const start = this.pos;
        let min: number;
        let max: number;
        if (c === '{') {
          const rep = this.parseRepeatBraces();
          if (!rep) {
            this.pos++;
            seq.push(literal(0x7b, flags));
            lastWasRepeat = '';
            continue;
          }
          ({ min, max } = rep);
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            throw this.fail('invalid repeat count', this.slice(start, this.pos));
          }
        } else {
          this.pos++;
          [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
        }
        let greedy = !flags.nonGreedy;
        if (this.peekChar() === '?') {
          this.pos++;
          greedy = !greedy;
        }
        const op = this.slice(start, this.pos);
        if (lastWasRepeat !== '') throw this.fail('invalid nested repetition operator', lastWasRepeat + op);
        const sub = seq.pop();
        if (sub === undefined) throw this.fail('missing argument to repetition operator', op);
        seq.push({ t: 'repeat', sub, min, max, greedy });
        repeat = op;
      } else if (c === '\\') {
        const node = this.parseTopEscape(flags);
        if (node) seq.push(...node);
      } else {
        this.pos++;
        seq.push(literal(this.cps[this.pos - 1] as number, flags));
      }
      lastWasRepeat = repeat;
    }
    return alts;
  }

  private slice(from: number, to: number): string {
    return String.fromCodePoint(...this.cps.slice(from, to));
  }

  /** `capture`: the group's number, or 0 for a non-capturing group. */
  private parseGroupBody(flags: Flags, capture: number): Node {
    const alts = this.parseAlternation(flags, true);
    if (this.peekChar() !== ')') throw this.fail('missing closing )', this.pattern);
    this.pos++;
    return { t: 'group', capture, alts };
  }

  /** `(?P<name>`, `(?<name>`, `(?flags)`, `(?flags:`; the position is at `(`. */
  private parsePerlGroup(flags: Flags): { kind: 'flags'; flags: Flags } | { kind: 'node'; node: Node } {
    const rest = this.rest();
    const startsWithP = rest.length > 4 && rest[2] === 'P' && rest[3] === '<';
    const startsWithName = rest.length > 3 && rest[2] === '<';
    if (startsWithP || startsWithName) {
      const end = rest.indexOf('>');
      if (end < 0) throw this.fail('invalid named capture', rest);
      const name = rest.slice(startsWithP ? 4 : 3, end);
      // Go's isValidCaptureName: ASCII letters, digits and underscores (a leading digit is fine).
      if (!/^[A-Za-z0-9_]+$/.test(name)) throw this.fail('invalid named capture', rest.slice(0, end + 1));
      this.pos += Array.from(rest.slice(0, end + 1)).length;
      this.groups++;
      this.names.push({ name, index: this.groups });
      return { kind: 'node', node: this.parseGroupBody(flags, this.groups) };
    }
    // Flags, possibly opening a non-capturing group.
    let i = 2;
    let f = { ...flags };
    let negate = false;
    let sawFlag = false;
    const chars = Array.from(rest);
    for (; i < chars.length; i++) {
      const c = chars[i];
      const set = (key: keyof Flags, on: boolean): void => {
        f = { ...f, [key]: negate ? !on : on };
        sawFlag = true;
      };
      if (c === 'i') set('fold', true);
      else if (c === 'm') set('multiLine', true);
      else if (c === 's') set('dotNL', true);
      else if (c === 'U') set('nonGreedy', true);
      else if (c === '-') {
        if (negate) break;
        negate = true;
        sawFlag = false;
      } else if (c === ':' || c === ')') {
        if (negate && !sawFlag) break;
        this.pos += i + 1;
        if (c === ')') return { kind: 'flags', flags: f };
        return { kind: 'node', node: this.parseGroupBody(f, 0) };
      } else break;
    }
    throw this.fail('invalid or unsupported Perl syntax', chars.slice(0, Math.min(i + 1, chars.length)).join(''));
  }

  /** `{n}`, `{n,}`, `{n,m}` at the position; `undefined` if it is not a repeat (then `{` is a literal). */
  private parseRepeatBraces(): { min: number; max: number } | undefined {
    const m = /^\{(0|[1-9][0-9]*)(?:(,)(0|[1-9][0-9]*)?)?\}/.exec(this.rest());
    if (!m) return undefined;
    this.pos += m[0].length;
    // Go's parseInt gives -1 from 1e8 on; either way such counts are rejected as too large.
    const toInt = (s: string): number => (s.length > 8 ? -1 : Number(s));
    const min = toInt(m[1] as string);
    const max = m[2] === undefined ? min : m[3] === undefined ? -1 : toInt(m[3]);
    return { min: m[3] !== undefined && max < 0 ? -1 : min, max };
  }

  /** An escape outside a class; the position is at the backslash. */
  private parseTopEscape(flags: Flags): Node[] | undefined {
    const n = this.peekChar(1);
    switch (n) {
      case 'A':
        this.pos += 2;
        return [{ t: 'assert', kind: 'beginText' }];
      case 'z':
        this.pos += 2;
        return [{ t: 'assert', kind: 'endText' }];
      case 'b':
        this.pos += 2;
        return [{ t: 'assert', kind: 'wordBoundary' }];
      case 'B':
        this.pos += 2;
        return [{ t: 'assert', kind: 'noWordBoundary' }];
      case 'C':
        throw this.fail('invalid escape sequence', '\\C');
      case 'Q': {
        const rest = this.rest().slice(2);
        const end = rest.indexOf('\\E');
        const lit = end < 0 ? rest : rest.slice(0, end);
        this.pos += 2 + Array.from(lit).length + (end < 0 ? 0 : 2);
        return Array.from(lit, (ch) => literal(ch.codePointAt(0) as number, flags));
      }
      default:
        break;
    }
    const unicode = this.parseUnicodeClass(flags);
    if (unicode) return [{ t: 'class', ranges: unicode }];
    const perl = this.parsePerlClass(flags);
    if (perl) return [{ t: 'class', ranges: perl }];
    return [literal(this.parseEscape(), flags)];
  }

  /** `\d \D \s \S \w \W` at the position. */
  private parsePerlClass(flags: Flags): Ranges | undefined {
    if (this.peekChar() !== '\\') return undefined;
    const g = PERL_GROUPS[this.peekChar(1)];
    if (!g) return undefined;
    this.pos += 2;
    const base = flags.fold ? foldRanges(g.ranges) : g.ranges;
    return g.negate ? negate(base) : base;
  }

  /** `\pL`, `\p{Greek}`, `\P{^Lu}` at the position. */
  private parseUnicodeClass(flags: Flags): Ranges | undefined {
    if (this.peekChar() !== '\\' || (this.peekChar(1) !== 'p' && this.peekChar(1) !== 'P')) return undefined;
    let negated = this.peekChar(1) === 'P';
    const rest = this.rest();
    let name: string;
    let seq: string;
    if (this.peekChar(2) === '{') {
      const end = rest.indexOf('}');
      if (end < 0) throw this.fail('invalid character class range', rest);
      seq = rest.slice(0, end + 1);
      name = rest.slice(3, end);
    } else {
      const ch = this.peekChar(2);
      if (ch === '') throw this.fail('invalid character class range', rest);
      seq = rest.slice(0, 2 + ch.length);
      name = ch;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    let ranges = unicodePropertyRanges(name);
    if (!ranges) throw this.fail('invalid character class range', seq);
    this.pos += Array.from(seq).length;
    if (flags.fold) ranges = foldRanges(ranges);
    return negated ? negate(ranges) : ranges;
  }

  /** A single-character escape (Go's parseEscape); the position is at the backslash. */
  private parseEscape(): number {
    const start = this.pos;
    this.pos++;
    const c = this.peek();
    if (c === undefined) throw this.fail('trailing backslash at end of expression', '');
    this.pos++;
    const ch = String.fromCodePoint(c);
    if (c < 0x80 && !/[A-Za-z0-9]/.test(ch)) return c;
    if (ch >= '1' && ch <= '7') {
      const next = this.peekChar();
      if (next >= '0' && next <= '7') return this.octal(c - 0x30);
    } else if (ch === '0') {
      return this.octal(0);
    } else if (ch === 'x') {
      const next = this.peekChar();
      if (next === '{') {
        const m = /^\{([0-9A-Fa-f]+)\}/.exec(this.rest());
        if (m) {
          const value = parseInt(m[1] as string, 16);
          if (value <= MAX_RUNE) {
            this.pos += m[0].length;
            return value;
          }
        }
      } else if (/^[0-9A-Fa-f]{2}/.test(this.rest())) {
        this.pos += 2;
        return parseInt(this.slice(this.pos - 2, this.pos), 16);
      }
    } else {
      const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
      const v = simple[ch];
      if (v !== undefined) return v;
    }
    throw this.fail('invalid escape sequence', this.slice(start, Math.min(this.pos, start + 2)) + (ch === 'x' ? this.peekChar() : ''));
  }

  private octal(first: number): number {
    let r = first;
    for (let i = 1; i < 3; i++) {
      const d = this.peekChar();
      if (!(d >= '0' && d <= '7')) break;
      r = r * 8 + Number(d);
      this.pos++;
    }
    return r;
  }

  /** A bracket class; the position is at `[`. Go's parseClass with Perl flags (ClassNL set). */
  private parseClass(flags: Flags): Ranges {
    const classStart = this.pos;
    this.pos++;
    let negated = false;
    if (this.peekChar() === '^') {
      negated = true;
      this.pos++;
    }
    let ranges: Ranges = [];
    let first = true;
    for (;;) {
      const c = this.peekChar();
      if (c === '') throw this.fail('missing closing ]', this.slice(classStart, this.cps.length));
      if (c === ']' && !first) break;
      first = false;
      if (c === '[' && this.peekChar(1) === ':') {
        const m = /^\[:(\^?)([a-z]*):\]/.exec(this.rest());
        const close = this.rest().indexOf(':]', 2);
        if (close >= 0) {
          if (!m || !POSIX_GROUPS[m[2] as string] || m[0].length !== close + 2) {
            throw this.fail('invalid character class range', this.rest().slice(0, close + 2));
          }
          this.pos += m[0].length;
          const g = POSIX_GROUPS[m[2] as string] as Ranges;
          const base = flags.fold ? foldRanges(g) : g;
          ranges.push(...(m[1] === '^' ? negate(base) : base));
          continue;
        }
      }
      const unicode = this.parseUnicodeClass(flags);
      if (unicode) {
        ranges.push(...unicode);
        continue;
      }
      const perl = this.parsePerlClass(flags);
      if (perl) {
        ranges.push(...perl);
        continue;
      }
      const rangeStart = this.pos;
      const lo = this.parseClassChar(classStart);
      let hi = lo;
      if (this.peekChar() === '-' && this.peekChar(1) !== ']' && this.peekChar(1) !== '') {
        this.pos++;
        hi = this.parseClassChar(classStart);
        if (hi < lo) throw this.fail('invalid character class range', this.slice(rangeStart, this.pos));
      }
      ranges.push(...(flags.fold ? foldRanges([[lo, hi]]) : ([[lo, hi]] as Ranges)));
    }
    this.pos++; // ]
    ranges = normalize(ranges);
    return negated ? negate(ranges) : ranges;
  }

  private parseClassChar(classStart: number): number {
    const c = this.peek();
    if (c === undefined) throw this.fail('missing closing ]', this.slice(classStart, this.cps.length));
    if (c === 0x5c) return this.parseEscape();
    this.pos++;
    return c;
  }
}

function literal(cp: number, flags: Flags): Node {
  return { t: 'class', ranges: flags.fold ? foldRanges([[cp, cp]]) : [[cp, cp]] };
}

/** Go rejects nested counted repetitions whose product exceeds 1000 (`(a{100}){100}`). */
function checkRepeatSizes(alts: Node[][], limit: number): void {
  const visit = (node: Node, n: number): void => {
    if (node.t === 'repeat') {
      let next = n;
      const counted = !(node.min === 0 && node.max === -1) && !(node.min === 1 && node.max === -1) && !(node.min === 0 && node.max === 1);
      if (counted && (node.min >= 2 || node.max >= 2)) {
        let m = node.max;
        if (m !== 0) {
          if (m < 0) m = node.min;
          if (m > n) throw new GoRegexSyntaxError(`invalid repeat count: nested repetition exceeds ${limit}`);
          if (m > 0) next = Math.floor(n / m);
        }
      }
      visit(node.sub, next);
    } else if (node.t === 'group') {
      for (const alt of node.alts) for (const child of alt) visit(child, n);
    }
  };
  for (const alt of alts) for (const node of alt) visit(node, limit);
}

/** Finds groups inside loops and loops whose body can match the empty string. */
function analyzeLoops(alts: Node[][]): { groupsInLoops: Set<number>; emptyLoop: boolean } {
  const groupsInLoops = new Set<number>();
  let emptyLoop = false;
  const canBeEmpty = (node: Node): boolean => {
    if (node.t === 'class') return false;
    if (node.t === 'assert') return true;
    if (node.t === 'repeat') return node.min === 0 || canBeEmpty(node.sub);
    return node.alts.some((alt) => alt.every(canBeEmpty));
  };
  const visit = (node: Node, inLoop: boolean): void => {
    if (node.t === 'group') {
      if (inLoop && node.capture > 0) groupsInLoops.add(node.capture);
      for (const alt of node.alts) for (const child of alt) visit(child, inLoop);
    } else if (node.t === 'repeat') {
      const loops = node.max === -1 || node.max > 1;
      // Only iterations past the minimum can be refused as empty by JavaScript.
      if ((node.max === -1 || node.max > node.min) && loops && canBeEmpty(node.sub)) emptyLoop = true;
      visit(node.sub, inLoop || loops);
    }
  };
  for (const alt of alts) for (const node of alt) visit(node, false);
  return { groupsInLoops, emptyLoop };
}

/**
 * Whether a backtracking engine may take super-linear time on the translation: a loop (max > 1)
 * containing another loop or an alternation (`(a+)+`, `(a|a)*`, `(\d+\.)+`: some of these are
 * harmless, but telling which is undecidable in general), or four or more unbounded loops in
 * sequence (`a*a*a*a*b` is O(n^4)). Over-approximates: a flagged pattern only costs a guarded run.
 */
function backtrackRisk(alts: Node[][]): boolean {
  let unbounded = 0;
  let risky = false;
  const visit = (node: Node, inLoop: boolean): void => {
    if (node.t === 'group') {
      if (inLoop && node.alts.length > 1) risky = true;
      for (const alt of node.alts) for (const child of alt) visit(child, inLoop);
    } else if (node.t === 'repeat') {
      const loops = node.max === -1 || node.max > 1;
      if (loops && inLoop) risky = true;
      if (node.max === -1) unbounded++;
      visit(node.sub, inLoop || loops);
    }
  };
  for (const alt of alts) for (const node of alt) visit(node, false);
  return risky || unbounded >= 4;
}

function normalize(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function negate(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

/** Simple case folds that reach ASCII from outside it (Unicode CaseFolding.txt). */
const SPECIAL_FOLDS: ReadonlyArray<readonly number[]> = [
  [0x4b, 0x6b, 0x212a], // K k KELVIN SIGN
  [0x53, 0x73, 0x17f], // S s LATIN SMALL LETTER LONG S
];

/** Adds the case-fold equivalents of every code point in `ranges` (Go's appendFoldedRange, approximated off ASCII). */
function foldRanges(ranges: Ranges): Ranges {
  const out: Ranges = ranges.map(([lo, hi]) => [lo, hi]);
  const add = (cp: number): void => {
    out.push([cp, cp]);
  };
  const contains = (cp: number): boolean => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  for (const [lo, hi] of ranges) {
    // ASCII letters: add the other case as a range.
    const clip = (a: number, b: number, shift: number): void => {
      const s = Math.max(lo, a);
      const e = Math.min(hi, b);
      if (s <= e) out.push([s + shift, e + shift]);
    };
    clip(0x41, 0x5a, 0x20);
    clip(0x61, 0x7a, -0x20);
    // Other letters: small ranges only (tags are ASCII; this keeps huge classes cheap).
    if (hi >= 0x80 && hi - Math.max(lo, 0x80) < 4096) {
      for (let cp = Math.max(lo, 0x80); cp <= hi; cp++) {
        const s = String.fromCodePoint(cp);
        for (const v of [s.toLowerCase(), s.toUpperCase()]) {
          const arr = Array.from(v);
          if (arr.length === 1) add(arr[0]?.codePointAt(0) as number);
        }
      }
    }
  }
  for (const orbit of SPECIAL_FOLDS) if (orbit.some(contains)) orbit.forEach(add);
  return normalize(out);
}

/** `\p{...}` names: Any, ASCII, general categories (`L`, `Lu`, `Letter`...) and scripts (`Greek`). */
function unicodePropertyRanges(name: string): Ranges | undefined {
  if (name === 'Any') return [[0, MAX_RUNE]];
  const canonical = name.replace(/[_\s-]/g, '').toLowerCase();
  if (canonical === 'ascii') return [[0, 0x7f]];
  const candidates = [`\\p{General_Category=${name}}`, `\\p{Script=${name}}`];
  for (const src of candidates) {
    let re: RegExp;
    try {
      re = new RegExp(`^${src}$`, 'u');
    } catch {
      continue; // not a name of this kind: try the next kind
    }
    return propertyRanges(re);
  }
  return undefined;
}

const propertyCache = new Map<string, Ranges>();

/** Enumerates the ranges a one-code-point property regex matches (once per property). */
function propertyRanges(re: RegExp): Ranges {
  const hit = propertyCache.get(re.source);
  if (hit) return hit;
  const out: Ranges = [];
  let start = -1;
  for (let cp = 0; cp <= MAX_RUNE + 1; cp++) {
    const inside = cp <= MAX_RUNE && !(cp >= 0xd800 && cp <= 0xdfff) && re.test(String.fromCodePoint(cp));
    if (inside && start < 0) start = cp;
    if (!inside && start >= 0) {
      out.push([start, cp - 1]);
      start = -1;
    }
  }
  propertyCache.set(re.source, out);
  return out;
}

function emitAlts(alts: Node[][]): string {
  return alts.map((seq) => seq.map(emit).join('')).join('|');
}

function emit(node: Node): string {
  switch (node.t) {
    case 'class':
      return emitClass(node.ranges);
    case 'assert':
      return {
        beginText: '^',
        endText: '$',
        beginLine: '(?<=^|\\n)',
        endLine: '(?=\\n|$)',
        wordBoundary: '\\b',
        noWordBoundary: '\\B',
      }[node.kind];
    case 'group':
      return `(${node.capture > 0 ? '' : '?:'}${emitAlts(node.alts)})`;
    case 'repeat': {
      const sub = emit(node.sub);
      // Go compiles x? to an alternation (no empty-iteration check); so does this.
      if (node.min === 0 && node.max === 1) return node.greedy ? `(?:${sub}|)` : `(?:|${sub})`;
      if (node.min === 1 && node.max === 1) return `(?:${sub})`;
      const q =
        node.min === 0 && node.max === -1
          ? '*'
          : node.min === 1 && node.max === -1
            ? '+'
            : node.max === -1
              ? `{${node.min},}`
              : node.min === node.max
                ? `{${node.min}}`
                : `{${node.min},${node.max}}`;
      return `(?:${sub})${q}${node.greedy ? '' : '?'}`;
    }
  }
}

function emitClass(ranges: Ranges): string {
  if (ranges.length === 1 && ranges[0]?.[0] === ranges[0]?.[1]) return emitChar(ranges[0]?.[0] as number);
  return `[${ranges.map(([lo, hi]) => (lo === hi ? emitChar(lo) : `${emitChar(lo)}-${emitChar(hi)}`)).join('')}]`;
}

function emitChar(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return String.fromCharCode(cp);
  return `\\u{${cp.toString(16)}}`;
}
