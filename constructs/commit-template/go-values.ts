/**
 * Go values as the template engine sees them, and the Go types the checker reasons about.
 * Only what commit-message data needs: strings, bools, ints, floats, nil, slices, maps and
 * structs (with promoted fields of embedded structs, and methods without arguments).
 */

/** A static Go type. `any` is `interface{}`: anything goes, checked when rendering. */
export type GoType =
  | { readonly kind: 'string' | 'bool' | 'int' | 'float' | 'any' }
  | { readonly kind: 'slice'; readonly name?: string; readonly elem: GoType }
  | { readonly kind: 'map'; readonly name?: string; readonly key: GoType; readonly elem: GoType }
  | StructType;

/** A struct type: fields in declaration order (embedded structs listed as fields and promoted), methods by name. */
export interface StructType {
  readonly kind: 'struct';
  /** Qualified name for messages (`update.Change`). */
  readonly name: string;
  /** Fields in declaration order. */
  readonly fields: readonly { readonly name: string; readonly type: GoType; readonly embedded?: boolean }[];
  /** Methods without arguments, by name, with their result types. */
  readonly methods: Readonly<Record<string, GoType>>;
  /** Whether the type has a `String() string` method, which printing uses. */
  readonly stringer?: boolean;
}

/** Go `string`. */
export const T_STRING: GoType = { kind: 'string' };
/** Go `bool`. */
export const T_BOOL: GoType = { kind: 'bool' };
/** Go `int` (template integer constants, `len`, sprig arithmetic). */
export const T_INT: GoType = { kind: 'int' };
/** Go `float64`. */
export const T_FLOAT: GoType = { kind: 'float' };
/** Go `interface{}`: checked only when rendering. */
export const T_ANY: GoType = { kind: 'any' };

/** A float64 (kept apart from ints, which are plain numbers, because Go prints them differently). */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** A struct value. */
export class GoStruct {
  constructor(
    readonly type: StructType,
    readonly fields: Readonly<Record<string, GoValue>>,
    readonly methods: Readonly<Record<string, () => GoValue>> = {},
  ) {}
}

/** A map value; keys are strings or structs. */
export class GoMap {
  constructor(
    readonly type: Extract<GoType, { kind: 'map' }>,
    readonly entries: readonly (readonly [GoValue, GoValue])[],
  ) {}

  get(key: GoValue): GoValue | undefined {
    return this.entries.find(([k]) => goEqual(k, key))?.[1];
  }

  /** Entries in the order text/template visits them: sorted keys (internal/fmtsort). */
  sorted(): (readonly [GoValue, GoValue])[] {
    return [...this.entries].sort(([a], [b]) => compareKeys(a, b));
  }
}

/** A slice value with its static type (so `index` and printing know the element type). */
export class GoSlice {
  constructor(
    readonly type: Extract<GoType, { kind: 'slice' }>,
    readonly items: readonly GoValue[],
  ) {}
}

/** The "no value" of a missing map key (prints `<no value>`). */
export const NO_VALUE = Symbol('no value');

/** Any value the engine handles. `null` is Go's nil. */
export type GoValue = string | number | boolean | null | GoFloat | GoStruct | GoMap | GoSlice | typeof NO_VALUE;

/** The name Go would print for the type of a value, for error messages. */
export function typeName(v: GoValue): string {
  if (v === null) return 'nil';
  if (v === NO_VALUE) return 'invalid value';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoFloat) return 'float64';
  if (v instanceof GoStruct) return v.type.name;
  if (v instanceof GoMap) return v.type.name ?? `map[${staticTypeName(v.type.key)}]${staticTypeName(v.type.elem)}`;
  return v.type.name ?? `[]${staticTypeName(v.type.elem)}`;
}

/** The name of a static type. */
export function staticTypeName(t: GoType): string {
  switch (t.kind) {
    case 'any':
      return 'interface {}';
    case 'float':
      return 'float64';
    case 'slice':
      return t.name ?? `[]${staticTypeName(t.elem)}`;
    case 'map':
      return t.name ?? `map[${staticTypeName(t.key)}]${staticTypeName(t.elem)}`;
    case 'struct':
      return t.name;
    default:
      return t.kind;
  }
}

/** The zero value of a static type (what `index` returns for a missing map key). */
export function zeroValue(t: GoType): GoValue {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
      return 0;
    case 'float':
      return new GoFloat(0);
    case 'slice':
      return new GoSlice(t, []);
    case 'map':
      return new GoMap(t, []);
    case 'struct':
      return new GoStruct(t, Object.fromEntries(t.fields.map((f) => [f.name, zeroValue(f.type)])));
    default:
      return null;
  }
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64), which `%v` uses for float64. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // Shortest digits; %e form when the exponent is < -4 or >= 6 (precision 6 for shortest 'g').
  const [mant, e] = f.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** fmt's `%v` (what `{{ x }}` and `print` write). */
export function formatValue(v: GoValue): string {
  if (v === NO_VALUE) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoFloat) return formatFloat(v.value);
  if (v instanceof GoSlice) return `[${v.items.map(formatNested).join(' ')}]`;
  if (v instanceof GoMap) return `map[${v.sorted().map(([k, e]) => `${formatNested(k)}:${formatNested(e)}`).join(' ')}]`;
  if (v.type.stringer && v.methods.String) return formatValue(v.methods.String());
  return `{${v.type.fields.map((f) => formatNested(v.fields[f.name])).join(' ')}}`;
}

/** Inside a composite value, nil prints as `<nil>` and an absent value the same way. */
function formatNested(v: GoValue): string {
  return v === NO_VALUE ? '<nil>' : formatValue(v);
}

/** text/template's truth: false, 0, nil, empty string, slice and map are false; structs are true. */
export function isTrue(v: GoValue): boolean {
  if (v === NO_VALUE || v === null) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (v instanceof GoFloat) return v.value !== 0;
  if (v instanceof GoSlice) return v.items.length > 0;
  if (v instanceof GoMap) return v.entries.length > 0;
  return true;
}

/** Go's `==` for the values the engine has (structs compare field by field). */
export function goEqual(a: GoValue, b: GoValue): boolean {
  if (a instanceof GoFloat || b instanceof GoFloat) {
    const x = a instanceof GoFloat ? a.value : a;
    const y = b instanceof GoFloat ? b.value : b;
    return x === y;
  }
  if (a instanceof GoStruct && b instanceof GoStruct) {
    return a.type === b.type && a.type.fields.every((f) => goEqual(a.fields[f.name], b.fields[f.name]));
  }
  return a === b;
}

/** Key order of internal/fmtsort: strings bytewise, numbers numerically, structs field by field. */
export function compareKeys(a: GoValue, b: GoValue): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof GoStruct && b instanceof GoStruct) {
    for (const f of a.type.fields) {
      const c = compareKeys(a.fields[f.name], b.fields[f.name]);
      if (c !== 0) return c;
    }
    return 0;
  }
  return 0;
}

/** The byte length Go's `len` reports for a string. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
