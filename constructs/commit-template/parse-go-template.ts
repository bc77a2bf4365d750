import { CommitTemplateError } from './commit-template-error';
import { NumberLiteral, ParsedTemplate, TemplateArg, TemplateCommand, TemplateNode, TemplatePipe, TemplatePos } from './go-template-ast';

/**
 * Parser for Go's text/template language, following text/template/parse (lexer states, trim
 * markers, comments, `else if`/`else with`, variable scopes, `break`/`continue`). `define`,
 * `template` and `block` are not supported: a commit message is one template. Syntax errors
 * throw {@link CommitTemplateError} with the line and column.
 */
export function parseGoTemplate(source: string): ParsedTemplate {
  return new Parser(source, lex(source)).parse();
}

// ------------------------------------------------------------------------------------------------
// Lexer

type ItemType =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'declare'
  | 'assign'
  | 'lparen'
  | 'rparen'
  | 'char'
  | 'eof';

interface Item {
  readonly type: ItemType;
  readonly value: string;
  readonly offset: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined) => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);

function position(source: string, offset: number): TemplatePos {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function syntaxError(source: string, offset: number, reason: string): CommitTemplateError {
  return new CommitTemplateError({ phase: 'parse', ...position(source, offset), reason });
}

function lex(src: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  const hasLeftTrim = (at: number) => src[at] === '-' && isSpace(src[at + 1]);
  const hasRightTrim = (at: number) => isSpace(src[at]) && src[at + 1] === '-';
  const atRightDelim = (at: number): { delim: boolean; trim: boolean } => {
    if (hasRightTrim(at) && src.startsWith('}}', at + 2)) return { delim: true, trim: true };
    return { delim: src.startsWith('}}', at), trim: false };
  };
  const leftTrimLength = (at: number) => {
    let n = 0;
    while (isSpace(src[at + n])) n++;
    return n;
  };

  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    const textEnd = open < 0 ? src.length : open;
    let text = src.slice(pos, textEnd);
    if (open >= 0 && hasLeftTrim(open + 2)) text = text.replace(/[ \t\r\n]+$/, '');
    if (text.length > 0) items.push({ type: 'text', value: text, offset: pos });
    if (open < 0) break;

    // Left delimiter, maybe with a trim marker, maybe a comment.
    pos = open + 2;
    const trimLeft = hasLeftTrim(pos);
    const afterMarker = trimLeft ? pos + 2 : pos;
    if (src.startsWith('/*', afterMarker)) {
      const close = src.indexOf('*/', afterMarker + 2);
      if (close < 0) throw syntaxError(src, open, 'unclosed comment');
      pos = close + 2;
      const { delim, trim } = atRightDelim(pos);
      if (!delim) throw syntaxError(src, open, 'comment ends before closing delimiter');
      pos += (trim ? 2 : 0) + 2;
      if (trim) pos += leftTrimLength(pos);
      continue;
    }
    items.push({ type: 'left', value: '{{', offset: open });
    pos = afterMarker;

    let parenDepth = 0;
    for (;;) {
      const { delim, trim } = atRightDelim(pos);
      if (delim) {
        if (parenDepth !== 0) throw syntaxError(src, pos, 'unclosed left paren');
        pos += (trim ? 2 : 0) + 2;
        items.push({ type: 'right', value: '}}', offset: pos - 2 });
        if (trim) pos += leftTrimLength(pos);
        break;
      }
      const start = pos;
      const c = src[pos];
      if (c === undefined) throw syntaxError(src, open, 'unclosed action');
      if (isSpace(c)) {
        // Stop before a ` -}}` so the trim marker is seen.
        while (isSpace(src[pos]) && !(hasRightTrim(pos) && src.startsWith('}}', pos + 2))) pos++;
        if (pos === start) pos++;
        items.push({ type: 'space', value: src.slice(start, pos), offset: start });
        continue;
      }
      const terminated = (at: number) => {
        const t = src[at];
        if (t === undefined || isSpace(t) || '.,|:)('.includes(t)) return true;
        return src.startsWith('}}', at);
      };
      if (c === '=') {
        items.push({ type: 'assign', value: '=', offset: pos++ });
      } else if (c === ':') {
        if (src[pos + 1] !== '=') throw syntaxError(src, pos, 'expected :=');
        items.push({ type: 'declare', value: ':=', offset: pos });
        pos += 2;
      } else if (c === '|') {
        items.push({ type: 'pipe', value: '|', offset: pos++ });
      } else if (c === '"') {
        pos++;
        while (src[pos] !== '"') {
          if (src[pos] === '\\') pos++;
          if (src[pos] === undefined || src[pos] === '\n') throw syntaxError(src, start, 'unterminated quoted string');
          pos++;
        }
        pos++;
        items.push({ type: 'string', value: src.slice(start, pos), offset: start });
      } else if (c === '`') {
        const close = src.indexOf('`', pos + 1);
        if (close < 0) throw syntaxError(src, start, 'unterminated raw quoted string');
        pos = close + 1;
        items.push({ type: 'string', value: src.slice(start, pos), offset: start });
      } else if (c === "'") {
        pos++;
        while (src[pos] !== "'") {
          if (src[pos] === '\\') pos++;
          if (src[pos] === undefined || src[pos] === '\n') throw syntaxError(src, start, 'unterminated character constant');
          pos++;
        }
        pos++;
        items.push({ type: 'number', value: src.slice(start, pos), offset: start });
      } else if (c === '$' || (c === '.' && !/[0-9]/.test(src[pos + 1] ?? ''))) {
        pos++;
        if (terminated(pos)) {
          items.push({ type: c === '$' ? 'variable' : 'dot', value: c, offset: start });
        } else {
          while (isAlnum(src[pos])) pos++;
          if (!terminated(pos)) throw syntaxError(src, pos, `bad character ${JSON.stringify(src[pos])}`);
          items.push({ type: c === '$' ? 'variable' : 'field', value: src.slice(start, pos), offset: start });
        }
      } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
        const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)i?/.exec(src.slice(pos));
        const text = m?.[0] ?? '';
        if (text === '' || text === '+' || text === '-' || !terminated(pos + text.length)) throw syntaxError(src, pos, `bad number syntax: ${JSON.stringify(src.slice(pos, pos + text.length + 1))}`);
        pos += text.length;
        items.push({ type: 'number', value: text, offset: start });
      } else if (isAlnum(c)) {
        while (isAlnum(src[pos])) pos++;
        if (!terminated(pos)) throw syntaxError(src, pos, `bad character ${JSON.stringify(src[pos])}`);
        const word = src.slice(start, pos);
        const type: ItemType = KEYWORDS.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier';
        items.push({ type, value: word, offset: start });
      } else if (c === '(') {
        items.push({ type: 'lparen', value: c, offset: pos++ });
        parenDepth++;
      } else if (c === ')') {
        items.push({ type: 'rparen', value: c, offset: pos++ });
        parenDepth--;
        if (parenDepth < 0) throw syntaxError(src, start, 'unexpected right paren');
      } else if (c <= '\x7f' && c >= ' ') {
        items.push({ type: 'char', value: c, offset: pos++ });
      } else {
        throw syntaxError(src, pos, `unrecognized character in action: ${JSON.stringify(c)}`);
      }
    }
  }
  items.push({ type: 'eof', value: '', offset: src.length });
  return items;
}

// ------------------------------------------------------------------------------------------------
// Literals

/** Unquotes a Go interpreted ("...") or raw (`...`) string literal. */
function unquote(src: string, item: Item): string {
  const lit = item.value;
  if (lit.startsWith('`')) return lit.slice(1, -1).replace(/\r/g, '');
  return unescape(src, item, lit.slice(1, -1), '"');
}

function unescape(src: string, item: Item, body: string, quote: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e in simple) out += simple[e];
    else if (e === quote) out += quote;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw syntaxError(src, item.offset, `invalid syntax in ${item.value}`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += len;
    } else if (/[0-7]/.test(e ?? '')) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw syntaxError(src, item.offset, `invalid syntax in ${item.value}`);
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else throw syntaxError(src, item.offset, `invalid syntax in ${item.value}`);
  }
  return out;
}

function parseNumber(src: string, item: Item): NumberLiteral {
  const text = item.value;
  if (text.startsWith("'")) {
    const s = unescape(src, item, text.slice(1, -1), "'");
    if ([...s].length !== 1) throw syntaxError(src, item.offset, `malformed character constant: ${text}`);
    return { kind: 'int', value: s.codePointAt(0) ?? 0 };
  }
  if (text.endsWith('i')) throw syntaxError(src, item.offset, `complex numbers are not supported: ${text}`);
  const clean = text.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[+-]/, '');
  let value: number;
  let kind: 'int' | 'float' = 'int';
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) value = parseInt(body.slice(2), 16);
  else if (/^0[bB][01]+$/.test(body)) value = parseInt(body.slice(2), 2);
  else if (/^0[oO][0-7]+$/.test(body)) value = parseInt(body.slice(2), 8);
  else if (/^0[0-7]+$/.test(body)) value = parseInt(body.slice(1), 8);
  else if (/^[0-9]+$/.test(body)) value = parseInt(body, 10);
  else if (/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(body)) {
    value = parseFloat(body);
    kind = 'float';
  } else throw syntaxError(src, item.offset, `bad number syntax: ${JSON.stringify(text)}`);
  if (kind === 'int' && !Number.isSafeInteger(value)) throw syntaxError(src, item.offset, `number out of range: ${text}`);
  return { kind, value: sign * value };
}

// ------------------------------------------------------------------------------------------------
// Parser

class Parser {
  private i = 0;
  /** Declared variable names, innermost last. */
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly items: Item[],
  ) {}

  parse(): ParsedTemplate {
    const { nodes, end } = this.itemList();
    if (end) throw this.error(end.offset, `unexpected {{${end.value}}}`);
    return { source: this.src, nodes };
  }

  private error(offset: number, reason: string): CommitTemplateError {
    return syntaxError(this.src, offset, reason);
  }

  private pos(offset: number): TemplatePos {
    return position(this.src, offset);
  }

  private peek(): Item {
    return this.items[this.i];
  }

  private next(): Item {
    return this.items[this.i++];
  }

  private peekNonSpace(): Item {
    while (this.items[this.i].type === 'space') this.i++;
    return this.items[this.i];
  }

  private nextNonSpace(): Item {
    this.peekNonSpace();
    return this.next();
  }

  /** Nodes up to `{{end}}` or `{{else}}` (returned as `end`) or the end of the template. */
  private itemList(): { nodes: TemplateNode[]; end?: Item } {
    const nodes: TemplateNode[] = [];
    for (;;) {
      const item = this.next();
      if (item.type === 'eof') return { nodes };
      if (item.type === 'text') {
        nodes.push({ type: 'text', text: item.value });
        continue;
      }
      // item is `{{`
      const word = this.peekNonSpace();
      if (word.type === 'keyword' && (word.value === 'end' || word.value === 'else')) {
        this.next();
        if (word.value === 'end') {
          this.expectRight('end');
          return { nodes, end: word };
        }
        // The caller decides whether `else if` / `else with` chains or `}}` must follow.
        return { nodes, end: word };
      }
      nodes.push(this.action(item));
    }
  }

  private expectRight(context: string): void {
    const t = this.nextNonSpace();
    if (t.type !== 'right') throw this.error(t.offset, `unexpected ${describe(t)} in ${context}`);
  }

  private action(left: Item): TemplateNode {
    const word = this.peekNonSpace();
    if (word.type === 'keyword') {
      this.next();
      switch (word.value) {
        case 'if':
        case 'with':
        case 'range':
          return this.control(word.value, word);
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) throw this.error(word.offset, `{{${word.value}}} outside {{range}}`);
          this.expectRight(word.value);
          return { type: word.value, pos: this.pos(word.offset) };
        default:
          throw this.error(word.offset, `{{${word.value}}} is not supported in a commit message template (it is a single template)`);
      }
    }
    const pipe = this.pipeline('command', 'right');
    return { type: 'action', pipe, pos: this.pos(left.offset) };
  }

  private control(kind: 'if' | 'with' | 'range', word: Item): TemplateNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, 'right');
    if (kind === 'range') this.rangeDepth++;
    const { nodes: list, end } = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    if (!end) throw this.error(word.offset, `unexpected EOF: {{${kind}}} without {{end}}`);
    let elseList: TemplateNode[] | undefined;
    if (end.value === 'else') {
      const next = this.peekNonSpace();
      if ((kind === 'if' && next.type === 'keyword' && next.value === 'if') || (kind === 'with' && next.type === 'keyword' && next.value === 'with')) {
        this.next();
        // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}
        elseList = [this.control(kind, next)];
      } else {
        this.expectRight('else');
        const rest = this.itemList();
        if (!rest.end || rest.end.value !== 'end') throw this.error(rest.end?.offset ?? this.src.length, `expected end; found ${rest.end ? `{{${rest.end.value}}}` : 'EOF'}`);
        elseList = rest.nodes;
      }
    }
    this.vars.length = mark;
    return { type: kind, pipe, list, ...(elseList ? { elseList } : {}), pos: this.pos(word.offset) };
  }

  private pipeline(context: string, end: 'right' | 'rparen'): TemplatePipe {
    const first = this.peekNonSpace();
    const decl: string[] = [];
    let isAssign = false;
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const save = this.i;
      this.next();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        this.next();
        isAssign = next.type === 'assign';
        if (isAssign && !this.vars.includes(v.value)) throw this.error(v.offset, `undefined variable ${JSON.stringify(v.value)}`);
        decl.push(v.value);
        if (!isAssign) this.vars.push(v.value);
        break;
      }
      if (next.type === 'char' && next.value === ',') {
        this.next();
        decl.push(v.value);
        this.vars.push(v.value);
        if (context === 'range' && decl.length < 2) {
          const after = this.peekNonSpace();
          if (after.type === 'variable') continue;
          throw this.error(after.offset, 'range can only initialize variables');
        }
        throw this.error(next.offset, `too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    const cmds: TemplateCommand[] = [];
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === end) {
        this.next();
        break;
      }
      if (['bool', 'number', 'dot', 'field', 'identifier', 'nil', 'string', 'variable', 'lparen'].includes(t.type)) {
        cmds.push(this.command());
        continue;
      }
      throw this.error(t.offset, `unexpected ${describe(t)} in ${context}`);
    }
    if (cmds.length === 0) throw this.error(first.offset, `missing value for ${context}`);
    cmds.slice(1).forEach((c, i) => {
      const t = c.args[0].type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') throw this.error(this.offsetOf(c.pos), `non executable command in pipeline stage ${i + 2}`);
    });
    return { decl, isAssign, cmds, pos: this.pos(first.offset) };
  }

  private offsetOf(pos: TemplatePos): number {
    const lines = this.src.split('\n');
    return lines.slice(0, pos.line - 1).reduce((n, l) => n + l.length + 1, 0) + pos.column - 1;
  }

  private command(): TemplateCommand {
    const start = this.peekNonSpace();
    const args: TemplateArg[] = [];
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'right' || t.type === 'rparen') {
        this.i--;
        break;
      }
      if (t.type === 'pipe') break;
      throw this.error(t.offset, `unexpected ${describe(t)} in operand`);
    }
    if (args.length === 0) throw this.error(start.offset, 'empty command');
    return { args, pos: this.pos(start.offset) };
  }

  private operand(): TemplateArg | undefined {
    const term = this.term();
    if (!term) return undefined;
    if (this.peek().type !== 'field') return term;
    const chain: string[] = [];
    while (this.peek().type === 'field') chain.push(this.next().value.slice(1));
    switch (term.type) {
      case 'field':
        return { ...term, chain: [...term.chain, ...chain] };
      case 'variable':
        return { ...term, chain: [...term.chain, ...chain] };
      case 'pipe':
        return { ...term, chain: [...term.chain, ...chain] };
      case 'identifier':
        throw this.error(this.offsetOf(term.pos), `function ${JSON.stringify(term.name)} cannot be followed by a field; wrap the call in parentheses`);
      default:
        throw this.error(this.offsetOf(term.pos), `unexpected . after term`);
    }
  }

  private term(): TemplateArg | undefined {
    const t = this.nextNonSpace();
    const pos = this.pos(t.offset);
    switch (t.type) {
      case 'identifier':
        return { type: 'identifier', name: t.value, pos };
      case 'dot':
        return { type: 'dot', pos };
      case 'nil':
        return { type: 'nil', pos };
      case 'variable': {
        if (!this.vars.includes(t.value)) throw this.error(t.offset, `undefined variable ${JSON.stringify(t.value)}`);
        return { type: 'variable', name: t.value, chain: [], pos };
      }
      case 'field':
        return { type: 'field', chain: [t.value.slice(1)], pos };
      case 'bool':
        return { type: 'bool', value: t.value === 'true', pos };
      case 'number':
        return { type: 'number', value: parseNumber(this.src, t), pos };
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        return { type: 'pipe', pipe, chain: [], pos };
      }
      case 'string':
        return { type: 'string', value: unquote(this.src, t), pos };
      default:
        this.i--;
        return undefined;
    }
  }
}

function describe(item: Item): string {
  switch (item.type) {
    case 'eof':
      return 'EOF';
    case 'right':
      return '"}}"';
    case 'keyword':
      return `<${item.value}>`;
    default:
      return JSON.stringify(item.value);
  }
}
