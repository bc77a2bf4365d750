import {
  GoFloat,
  GoMap,
  GoSlice,
  GoStruct,
  GoType,
  GoValue,
  NO_VALUE,
  T_ANY,
  T_BOOL,
  T_INT,
  T_STRING,
  byteLength,
  formatValue,
  goEqual,
  isTrue,
  typeName,
  zeroValue,
} from './go-values';

/** A failure inside a function; the engine adds the position. */
export class TemplateFunctionError extends Error {}

/** A function callable from a template. */
export interface TemplateFunction {
  /** Fewest arguments. */
  readonly min: number;
  /** Most arguments (`Infinity` for variadic functions). */
  readonly max: number;
  /** `and`/`or`: arguments are evaluated one by one and evaluation stops early. */
  readonly lazy?: boolean;
  /** The Go function returns `interface{}`: a nil result prints as `<no value>`, like a missing key. */
  readonly interfaceResult?: boolean;
  /** Result type for the checker, from the argument types. */
  result(args: readonly GoType[]): GoType;
  /** Calls the function (lazy functions get thunks through `lazyCall`). */
  call(args: readonly GoValue[]): GoValue;
  /** For lazy functions: evaluates arguments on demand. */
  lazyCall?(args: readonly (() => GoValue)[]): GoValue;
}

const ANY_SLICE: Extract<GoType, { kind: 'slice' }> = { kind: 'slice', elem: T_ANY };
const STRING_SLICE: Extract<GoType, { kind: 'slice' }> = { kind: 'slice', elem: T_STRING };
const fail = (message: string): never => {
  throw new TemplateFunctionError(message);
};

// ------------------------------------------------------------------------------------------------
// Argument conversion, as text/template does for typed parameters.

function str(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v === NO_VALUE) return fail('invalid value; expected string');
  if (v === null) return fail('cannot assign nil to string');
  return fail(`wrong type for value; expected string; got ${typeName(v)}`);
}

function int(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (v === NO_VALUE) return fail('invalid value; expected int');
  if (v === null) return fail('cannot assign nil to int');
  return fail(`wrong type for value; expected int; got ${typeName(v)}`);
}

function bool(v: GoValue): boolean {
  if (typeof v === 'boolean') return v;
  if (v === NO_VALUE) return fail('invalid value; expected bool');
  return fail(`wrong type for value; expected bool; got ${typeName(v)}`);
}

/** An `interface{}` parameter: an absent map value arrives as nil. */
const iface = (v: GoValue): GoValue => (v === NO_VALUE ? null : v);

/** sprig's strval. */
export function strval(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof GoStruct && v.type.stringer && v.methods.String) return formatValue(v.methods.String());
  return formatValue(iface(v));
}

/** sprig's strslice. */
function strslice(v: GoValue): string[] {
  if (v instanceof GoSlice) return v.items.filter((i) => i !== null && i !== NO_VALUE).map(strval);
  if (v === null || v === NO_VALUE) return [];
  return [strval(v)];
}

/** spf13/cast ToInt64, which sprig's arithmetic uses. */
function toInt64(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat) return Math.trunc(v.value);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.replace(/_/g, '');
    const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
    if (!m) return 0;
    const body = m[2];
    const n = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : /^0[bB]/.test(body) ? parseInt(body.slice(2), 2) : /^0[oO]/.test(body) ? parseInt(body.slice(2), 8) : /^0/.test(body) ? parseInt(body || '0', 8) : parseInt(body, 10);
    return m[1] === '-' ? -n : n;
  }
  return 0;
}

/** sprig's empty (reflect-based zero check). */
export function empty(v: GoValue): boolean {
  if (v === null || v === NO_VALUE) return true;
  if (v instanceof GoStruct) return false;
  return !isTrue(v);
}

function items(v: GoValue, fn: string): readonly GoValue[] {
  if (v instanceof GoSlice) return v.items;
  return fail(`Cannot find ${fn} on type ${v instanceof GoMap ? 'map' : typeName(v)}`);
}

function deepEqual(a: GoValue, b: GoValue): boolean {
  if (a instanceof GoSlice && b instanceof GoSlice) return a.items.length === b.items.length && a.items.every((x, i) => deepEqual(x, b.items[i]));
  if (typeof a !== typeof b) return false;
  return goEqual(a, b);
}

// ------------------------------------------------------------------------------------------------
// fmt

/** strconv.Quote (what `%q` writes for a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]$/u.test(ch)) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
function sprint(args: readonly GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(iface(a));
  });
  return out;
}

function badVerb(verb: string, v: GoValue): string {
  const x = iface(v);
  return x === null ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(x)}=${formatValue(x)})`;
}

/** unicode.ToUpper/ToLower per rune: Go has only one-rune mappings (ß stays ß, İ lowers to i). */
function mapRunes(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    const cps = [...m];
    out += cps.length === 1 ? m : upper ? ch : cps[0];
  }
  return out;
}

/** fmt.Sprintf for the verbs commit messages use: %v %s %d %q %t %f %x %X %c %%, flags `-+ 0#`, width, precision. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^([-+ 0#]*)(\d*)(?:\.(\d*))?(.)?/u.exec(format.slice(i + 1));
    const [whole, flags, widthText, precText, verb] = m ?? ['', '', '', undefined, undefined];
    i += whole.length;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const v = iface(args[argi++]);
    const prec = precText === undefined ? undefined : Number(precText || '0');
    let text: string;
    let numeric = false;
    switch (verb) {
      case 'v':
        text = v instanceof GoFloat && prec !== undefined ? v.value.toFixed(prec) : formatValue(v);
        numeric = typeof v === 'number' || v instanceof GoFloat;
        break;
      case 's':
        if (typeof v === 'string' || (v instanceof GoStruct && v.type.stringer)) text = strval(v);
        else if (v instanceof GoSlice && v.items.every((x) => typeof x === 'string')) text = formatValue(v);
        else text = badVerb('s', v);
        if (prec !== undefined && (typeof v === 'string' || v instanceof GoStruct)) text = [...text].slice(0, prec).join('');
        break;
      case 'd':
        text = typeof v === 'number' ? String(v) : badVerb('d', v);
        numeric = typeof v === 'number';
        break;
      case 'q':
        text = typeof v === 'string' ? goQuote(v) : typeof v === 'number' ? `'${String.fromCodePoint(v)}'` : badVerb('q', v);
        break;
      case 't':
        text = typeof v === 'boolean' ? String(v) : badVerb('t', v);
        break;
      case 'f':
        text = v instanceof GoFloat ? v.value.toFixed(prec ?? 6) : badVerb('f', v);
        numeric = v instanceof GoFloat;
        break;
      case 'x':
      case 'X': {
        const hex = typeof v === 'number' ? v.toString(16) : typeof v === 'string' ? Buffer.from(v).toString('hex') : undefined;
        text = hex === undefined ? badVerb(verb, v) : verb === 'X' ? hex.toUpperCase() : hex;
        numeric = typeof v === 'number';
        break;
      }
      case 'c':
        text = typeof v === 'number' ? String.fromCodePoint(v) : badVerb('c', v);
        break;
      default:
        text = badVerb(verb, v);
    }
    if (numeric && flags.includes('+') && !text.startsWith('-')) text = `+${text}`;
    const width = widthText === '' ? 0 : Number(widthText);
    const len = [...text].length;
    if (len < width) {
      const pad = width - len;
      if (flags.includes('-')) text += ' '.repeat(pad);
      else if (flags.includes('0') && numeric) text = text.startsWith('-') || text.startsWith('+') ? text[0] + '0'.repeat(pad) + text.slice(1) : '0'.repeat(pad) + text;
      else text = ' '.repeat(pad) + text;
    }
    out += text;
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => `${typeName(iface(a))}=${formatValue(iface(a))}`).join(', ')})`;
  return out;
}

// ------------------------------------------------------------------------------------------------
// strings and path helpers with Go semantics

const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

function trimSet(s: string, cut: (ch: string) => boolean): string {
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && cut(chars[a])) a++;
  while (b > a && cut(chars[b - 1])) b--;
  return chars.slice(a, b).join('');
}

function isTitleSeparator(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  if (c <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return GO_SPACE.test(ch);
}

function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isTitleSeparator(prev) ? mapRunes(ch, true) : ch;
    prev = ch;
  }
  return out;
}

function byteSlice(s: string, start: number, end?: number): string {
  const b = Buffer.from(s, 'utf8');
  if (start < 0 || start > b.length || (end !== undefined && (end < start || end > b.length))) {
    fail(`runtime error: slice bounds out of range [${start}:${end ?? b.length}] with length ${b.length}`);
  }
  return b.subarray(start, end).toString('utf8');
}

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(seg);
  }
  const out = (rooted ? '/' : '') + parts.join('/');
  return out === '' ? '.' : out;
}

function basePath(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function dirPath(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

function extPath(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

// ------------------------------------------------------------------------------------------------
// The table

const fixed = (t: GoType) => () => t;
const fn = (min: number, max: number, result: (args: readonly GoType[]) => GoType, call: (args: readonly GoValue[]) => GoValue): TemplateFunction => ({ min, max, result, call });
const s1 = (f: (s: string) => string) => fn(1, 1, fixed(T_STRING), ([a]) => f(str(a)));
const s2 = (f: (a: string, b: string) => GoValue, t: GoType = T_STRING) => fn(2, 2, fixed(t), ([a, b]) => f(str(a), str(b)));
const elemOf = (t: GoType | undefined): GoType => (t && (t.kind === 'slice' || t.kind === 'map') ? t.elem : T_ANY);

function compareOrdered(name: string, a: GoValue, b: GoValue): number {
  const x = iface(a);
  const y = iface(b);
  const num = (v: GoValue) => (typeof v === 'number' ? v : v instanceof GoFloat ? v.value : undefined);
  if (typeof x === 'string' && typeof y === 'string') return Buffer.compare(Buffer.from(x), Buffer.from(y));
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (x instanceof GoFloat && y instanceof GoFloat) return x.value - y.value;
  if (num(x) !== undefined && num(y) !== undefined) return fail('incompatible types for comparison');
  if (typeof x === 'boolean' || typeof y === 'boolean' || x === null || y === null) return fail('invalid type for comparison');
  return fail(`incompatible types for comparison in ${name}`);
}

function basicEqual(a: GoValue, b: GoValue): boolean {
  const x = iface(a);
  const y = iface(b);
  const kind = (v: GoValue) => (typeof v === 'number' ? 'int' : v instanceof GoFloat ? 'float' : typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : v === null ? 'nil' : 'other');
  if (kind(x) !== kind(y)) {
    if (kind(x) === 'nil' || kind(y) === 'nil') return fail('invalid type for comparison');
    return fail('incompatible types for comparison');
  }
  if (x instanceof GoSlice || x instanceof GoMap) return fail(`non-comparable type ${typeName(x)}`);
  return goEqual(x, y);
}

const TABLE: Record<string, TemplateFunction> = {
  // text/template builtins
  and: {
    min: 1,
    max: Infinity,
    lazy: true,
    result: fixed(T_ANY),
    call: (args) => args.find((a) => !isTrue(a)) ?? args[args.length - 1],
    lazyCall: (args) => {
      let v: GoValue = null;
      for (const a of args) if (!isTrue((v = a()))) return v;
      return v;
    },
  },
  or: {
    min: 1,
    max: Infinity,
    lazy: true,
    result: fixed(T_ANY),
    call: (args) => args.find((a) => isTrue(a)) ?? args[args.length - 1],
    lazyCall: (args) => {
      let v: GoValue = null;
      for (const a of args) if (isTrue((v = a()))) return v;
      return v;
    },
  },
  not: fn(1, 1, fixed(T_BOOL), ([a]) => !isTrue(a)),
  len: fn(1, 1, fixed(T_INT), ([a]) => {
    if (typeof a === 'string') return byteLength(a);
    if (a instanceof GoSlice) return a.items.length;
    if (a instanceof GoMap) return a.entries.length;
    return fail(a === null || a === NO_VALUE ? 'len of nil pointer' : `len of type ${typeName(a)}`);
  }),
  index: fn(1, Infinity, (args) => args.slice(1).reduce<GoType>((t) => elemOf(t), args[0] ?? T_ANY), ([x, ...keys]) => {
    let v: GoValue = x;
    for (const k of keys) {
      if (v === null || v === NO_VALUE) return fail('index of untyped nil');
      if (v instanceof GoSlice) {
        const i = int(k);
        if (i < 0 || i >= v.items.length) return fail(`error calling index: index out of range: ${i}`);
        v = v.items[i];
      } else if (v instanceof GoMap) {
        v = v.get(iface(k)) ?? zeroValue(v.type.elem);
      } else if (typeof v === 'string') {
        const b = Buffer.from(v);
        const i = int(k);
        if (i < 0 || i >= b.length) return fail(`error calling index: index out of range: ${i}`);
        v = b[i];
      } else return fail(`can't index item of type ${typeName(v)}`);
    }
    return v;
  }),
  print: fn(0, Infinity, fixed(T_STRING), (args) => sprint(args)),
  println: fn(0, Infinity, fixed(T_STRING), (args) => `${args.map((a) => formatValue(iface(a))).join(' ')}\n`),
  printf: fn(1, Infinity, fixed(T_STRING), ([f, ...args]) => sprintf(str(f), args)),
  eq: fn(2, Infinity, fixed(T_BOOL), ([a, ...bs]) => bs.some((b) => basicEqual(a, b))),
  ne: fn(2, 2, fixed(T_BOOL), ([a, b]) => !basicEqual(a, b)),
  lt: fn(2, 2, fixed(T_BOOL), ([a, b]) => compareOrdered('lt', a, b) < 0),
  le: fn(2, 2, fixed(T_BOOL), ([a, b]) => compareOrdered('le', a, b) <= 0),
  gt: fn(2, 2, fixed(T_BOOL), ([a, b]) => compareOrdered('gt', a, b) > 0),
  ge: fn(2, 2, fixed(T_BOOL), ([a, b]) => compareOrdered('ge', a, b) >= 0),
  html: fn(0, Infinity, fixed(T_STRING), (args) =>
    sprint(args).replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c] ?? c),
  ),

  // sprig: strings
  upper: s1((s) => mapRunes(s, true)),
  lower: s1((s) => mapRunes(s, false)),
  title: s1(title),
  trim: s1((s) => trimSet(s, (ch) => GO_SPACE.test(ch))),
  trimAll: s2((cut, s) => trimSet(s, (ch) => cut.includes(ch))),
  trimall: s2((cut, s) => trimSet(s, (ch) => cut.includes(ch))),
  trimPrefix: s2((p, s) => (s.startsWith(p) ? s.slice(p.length) : s)),
  trimSuffix: s2((p, s) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  trunc: fn(2, 2, fixed(T_STRING), ([c, s]) => {
    const n = int(c);
    const t = str(s);
    const len = byteLength(t);
    if (n < 0 && len + n > 0) return byteSlice(t, len + n);
    if (n >= 0 && len > n) return byteSlice(t, 0, n);
    return t;
  }),
  repeat: fn(2, 2, fixed(T_STRING), ([c, s]) => {
    const n = int(c);
    if (n < 0) return fail('error calling repeat: strings: negative Repeat count');
    return str(s).repeat(n);
  }),
  replace: fn(3, 3, fixed(T_STRING), ([o, n, s]) => {
    const old = str(o);
    const rep = str(n);
    const src = str(s);
    if (old === '') return [...src].reduce((acc, ch) => acc + ch + rep, rep);
    return src.split(old).join(rep);
  }),
  contains: s2((sub, s) => s.includes(sub), T_BOOL),
  hasPrefix: s2((p, s) => s.startsWith(p), T_BOOL),
  hasSuffix: s2((p, s) => s.endsWith(p), T_BOOL),
  quote: fn(0, Infinity, fixed(T_STRING), (args) =>
    args
      .map(iface)
      .filter((a) => a !== null)
      .map((a) => goQuote(strval(a)))
      .join(' '),
  ),
  squote: fn(0, Infinity, fixed(T_STRING), (args) =>
    args
      .map(iface)
      .filter((a) => a !== null)
      .map((a) => `'${formatValue(a)}'`)
      .join(' '),
  ),
  cat: fn(0, Infinity, fixed(T_STRING), (args) =>
    args
      .map(iface)
      .filter((a) => a !== null)
      .map(formatValue)
      .join(' '),
  ),
  indent: fn(2, 2, fixed(T_STRING), ([n, s]) => {
    const pad = ' '.repeat(Math.max(0, int(n)));
    return pad + str(s).split('\n').join(`\n${pad}`);
  }),
  nindent: fn(2, 2, fixed(T_STRING), ([n, s]) => {
    const pad = ' '.repeat(Math.max(0, int(n)));
    return `\n${pad}${str(s).split('\n').join(`\n${pad}`)}`;
  }),
  substr: fn(3, 3, fixed(T_STRING), ([a, b, s]) => {
    const start = int(a);
    const end = int(b);
    const t = str(s);
    if (start < 0) return byteSlice(t, 0, end);
    if (end < 0 || end > byteLength(t)) return byteSlice(t, start);
    return byteSlice(t, start, end);
  }),
  splitList: fn(2, 2, fixed(STRING_SLICE), ([sep, s]) => {
    const d = str(sep);
    const t = str(s);
    return new GoSlice(STRING_SLICE, d === '' ? [...t] : t.split(d));
  }),
  join: fn(2, 2, fixed(T_STRING), ([sep, v]) => strslice(v).join(str(sep))),
  toString: fn(1, 1, fixed(T_STRING), ([v]) => strval(v)),
  plural: fn(3, 3, fixed(T_STRING), ([one, many, n]) => (int(n) === 1 ? str(one) : str(many))),

  // sprig: defaults and lists
  default: fn(1, Infinity, fixed(T_ANY), ([d, ...given]) => (given.length === 0 || empty(given[0]) ? iface(d) : iface(given[0]))),
  empty: fn(1, 1, fixed(T_BOOL), ([v]) => empty(v)),
  coalesce: fn(0, Infinity, fixed(T_ANY), (args) => args.map(iface).find((a) => !empty(a)) ?? null),
  ternary: fn(3, 3, fixed(T_ANY), ([t, f, c]) => (bool(c) ? iface(t) : iface(f))),
  list: fn(0, Infinity, fixed(ANY_SLICE), (args) => new GoSlice(ANY_SLICE, args.map(iface))),
  first: fn(1, 1, (args) => elemOf(args[0]), ([v]) => items(iface(v), 'first')[0] ?? null),
  last: fn(1, 1, (args) => elemOf(args[0]), ([v]) => {
    const l = items(iface(v), 'last');
    return l.length === 0 ? null : l[l.length - 1];
  }),
  uniq: fn(1, 1, fixed(ANY_SLICE), ([v]) => {
    const out: GoValue[] = [];
    for (const x of items(iface(v), 'uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return new GoSlice(ANY_SLICE, out);
  }),
  sortAlpha: fn(1, 1, fixed(STRING_SLICE), ([v]) => {
    const x = iface(v);
    const list = x instanceof GoSlice ? strslice(x) : [strval(x)];
    return new GoSlice(STRING_SLICE, [...list].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  }),
  has: fn(2, 2, fixed(T_BOOL), ([needle, haystack]) => {
    const h = iface(haystack);
    if (h === null) return false;
    return items(h, 'has').some((x) => deepEqual(iface(needle), x));
  }),

  // sprig: paths (Go's path package, always '/')
  base: s1(basePath),
  dir: s1(dirPath),
  ext: s1(extPath),
  clean: s1(cleanPath),

  // sprig: integer arithmetic
  add: fn(0, Infinity, fixed(T_INT), (args) => args.reduce<number>((n, a) => n + toInt64(iface(a)), 0)),
  add1: fn(1, 1, fixed(T_INT), ([a]) => toInt64(iface(a)) + 1),
  sub: fn(2, 2, fixed(T_INT), ([a, b]) => toInt64(iface(a)) - toInt64(iface(b))),
};

/** Functions a commit message template may call: Go's builtins and the sprig functions FluxOps implements. */
export const TEMPLATE_FUNCTIONS: Readonly<Record<string, TemplateFunction>> = Object.fromEntries(
  Object.entries(TABLE).map(([name, f]) => [name, ['default', 'coalesce', 'ternary', 'first', 'last'].includes(name) ? { ...f, interfaceResult: true } : f]),
);

/**
 * Functions Flux's commit templates have (sprig's hermetic set) that FluxOps does not
 * implement; naming them gives a clearer error than "not defined".
 */
export const UNSUPPORTED_SPRIG_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    'abbrev abbrevboth add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec b64enc bcrypt biggest buildCustomCert ' +
    'camelcase ceil chunk compact concat decryptAES deepCopy deepEqual derivePassword dict dig div divf duration durationRound ' +
    'encryptAES fail float64 floor fromJson genCA genCAWithKey genPrivateKey genSelfSignedCert genSelfSignedCertWithKey genSignedCert ' +
    'genSignedCertWithKey get hasKey hello htpasswd initial initials int int64 isAbs kebabcase keys kindIs kindOf max maxf merge ' +
    'mergeOverwrite min minf mod mul mulf mustAppend mustChunk mustCompact mustDateModify mustDeepCopy mustFirst mustFromJson mustHas ' +
    'mustInitial mustLast mustMerge mustMergeOverwrite mustPrepend mustPush mustRegexFind mustRegexFindAll mustRegexMatch ' +
    'mustRegexReplaceAll mustRegexReplaceAllLiteral mustRegexSplit mustRest mustReverse mustSlice mustToDate mustToJson ' +
    'mustToPrettyJson mustToRawJson mustUniq mustWithout must_date_modify nospace omit osBase osClean osDir osExt osIsAbs pick pluck ' +
    'prepend push randInt regexFind regexFindAll regexMatch regexQuoteMeta regexReplaceAll regexReplaceAllLiteral regexSplit rest ' +
    'reverse round semver semverCompare seq set sha1sum sha256sum sha512sum shuffle slice snakecase split splitn swapcase toDate ' +
    'toDecimal toJson toPrettyJson toRawJson toStrings tuple typeIs typeIsLike typeOf unixEpoch unset until untilStep untitle urlJoin ' +
    'urlParse values without wrap wrapWith js urlquery call'
  ).split(' '),
);

