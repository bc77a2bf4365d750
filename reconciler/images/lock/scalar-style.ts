import { CST, parse } from 'yaml';

/** How a one-line string scalar is written: `plain`, `'single'` or `"double"` quoted. */
export type ScalarStyle = 'plain' | 'single' | 'double';

const CST_TYPE: Record<ScalarStyle, 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE'> = {
  plain: 'PLAIN',
  single: 'QUOTE_SINGLE',
  double: 'QUOTE_DOUBLE',
};

/** The style of an existing CST scalar token, `undefined` for block scalars and non-scalars. */
export function scalarStyleOf(token: CST.Token): ScalarStyle | undefined {
  switch (token.type) {
    case 'scalar':
      return 'plain';
    case 'single-quoted-scalar':
      return 'single';
    case 'double-quoted-scalar':
      return 'double';
    default:
      return undefined;
  }
}

/**
 * Whether `source`, written as a plain scalar, reads back as exactly the string `value` under
 * both YAML 1.2 (core schema, what FluxOps and most tools read) and YAML 1.1 (what older
 * Kubernetes tooling and kyaml check). `1.10` fails (a float), so does `true`, `null`, `0o17`,
 * `2025-11-20T10:00:00Z` (a 1.1 timestamp) and `yes`.
 */
export function plainReadsAsString(source: string, value: string): boolean {
  for (const version of ['1.2', '1.1'] as const) {
    let read: unknown;
    try {
      read = parse(source, { version, strict: true, prettyErrors: false });
    } catch {
      // Not even parseable on its own (e.g. a leading indicator): it needs quotes.
      return false;
    }
    if (read !== value) return false;
  }
  return true;
}

/**
 * Renders a one-line string as scalar source text in the preferred style, the way
 * `CST.setScalarValue` would write it, but quoted (in `fallback`) whenever the plain form would
 * read back as another type or another string. Throws on values that would need a block scalar
 * (line breaks): image fields never contain them, so that is a caller bug.
 */
export function renderScalarSource(value: string, style: ScalarStyle, options: { inFlow: boolean; fallback: 'single' | 'double'; indent?: number }): string {
  if (/[\r\n]/.test(value)) throw new RangeError(`refusing to write a multi-line value as an image field: ${JSON.stringify(value)}`);
  const token: CST.FlowScalar = { type: 'scalar', offset: 0, indent: options.indent ?? 0, source: '' };
  CST.setScalarValue(token, value, { inFlow: options.inFlow, type: CST_TYPE[style] });
  // Plain was asked for but cannot be used: because it would read as another value, or because
  // the yaml library itself had to quote (`: ` or ` #` inside, as free-text reasons have). Either
  // way the file's own quote is used.
  if (style === 'plain' && (token.type !== 'scalar' || !plainReadsAsString(token.source, value))) {
    CST.setScalarValue(token, value, { inFlow: options.inFlow, type: CST_TYPE[options.fallback] });
  }
  return token.source;
}

/**
 * New source text for an existing flow scalar token holding `value`: same quoting style as
 * before unless that would change how the value reads (then `fallback` quotes).
 */
export function rewriteScalarToken(token: CST.FlowScalar, value: string, options: { inFlow: boolean; fallback: 'single' | 'double' }): string {
  const style = scalarStyleOf(token) ?? 'plain';
  return renderScalarSource(value, style, { ...options, indent: token.indent });
}
