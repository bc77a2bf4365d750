import { CST } from 'yaml';

/** What a leaf of the flattened token stream is. */
export type LeafKind =
  | 'scalar'
  | 'block-scalar'
  | 'block-body'
  | 'alias'
  | 'comment'
  | 'newline'
  | 'space'
  | 'dash'
  | 'colon'
  | 'comma'
  | 'explicit-key'
  | 'flow-open'
  | 'flow-close'
  | 'prop'
  | 'doc-start'
  | 'doc-end'
  | 'other';

/**
 * One token of a YAML stream in source order, with what the tree around it says about it:
 * whether a scalar is a mapping key or a value, which document it is in, whether it sits inside
 * a flow collection. Comment attachment (what a `# ...` belongs to) is decided on this flat
 * list, the way yaml.v3 (and therefore Flux) decides it: by what is on the same line and on
 * the lines around it.
 */
export interface Leaf {
  /** What the token is. */
  readonly kind: LeafKind;
  /** For scalars, block scalars and aliases: mapping key or value (sequence items are values). */
  readonly role?: 'key' | 'value';
  /** The CST token (for block scalars, the whole block scalar token on its header leaf). */
  readonly token: CST.Token;
  /** Offset of the leaf's first character. */
  readonly offset: number;
  /** Offset after its last character. */
  readonly end: number;
  /** 0-based index of the document (leaves before the first document get 0). */
  readonly document: number;
  /** Whether the leaf is inside a flow collection. */
  readonly inFlow: boolean;
}

const SOURCE_KIND: Partial<Record<CST.SourceToken['type'], LeafKind>> = {
  comment: 'comment',
  newline: 'newline',
  space: 'space',
  'seq-item-ind': 'dash',
  'map-value-ind': 'colon',
  comma: 'comma',
  'explicit-key-ind': 'explicit-key',
  'flow-map-start': 'flow-open',
  'flow-seq-start': 'flow-open',
  'flow-map-end': 'flow-close',
  'flow-seq-end': 'flow-close',
  anchor: 'prop',
  tag: 'prop',
  'doc-start': 'doc-start',
};

/** Flattens the top-level tokens of `Parser.parse` into leaves, in source order. */
export function flattenTokens(tokens: readonly CST.Token[]): Leaf[] {
  const out: Leaf[] = [];
  let document = -1;
  const push = (kind: LeafKind, token: CST.Token, offset: number, end: number, inFlow: boolean, role?: 'key' | 'value') =>
    out.push({ kind, token, offset, end, document: Math.max(document, 0), inFlow, ...(role ? { role } : {}) });

  const source = (tokens: readonly CST.SourceToken[] | undefined, inFlow: boolean) => {
    for (const t of tokens ?? []) push(SOURCE_KIND[t.type] ?? 'other', t, t.offset, t.offset + t.source.length, inFlow);
  };

  const node = (token: CST.Token | null | undefined, role: 'key' | 'value', inFlow: boolean): void => {
    if (!token) return;
    switch (token.type) {
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'alias':
        push(token.type === 'alias' ? 'alias' : 'scalar', token, token.offset, token.offset + token.source.length, inFlow, role);
        source(token.end, inFlow);
        return;
      case 'block-scalar': {
        // props: the header (`|-`, `>2`), then what follows it on its line, then the line break.
        let bodyStart = token.offset;
        token.props.forEach((p, i) => {
          const start = 'offset' in p ? p.offset : bodyStart;
          const end = start + ('source' in p ? p.source.length : 0);
          if (i === 0) push('block-scalar', token, start, end, inFlow, role);
          else push(SOURCE_KIND[p.type as CST.SourceToken['type']] ?? 'other', p, start, end, inFlow);
          bodyStart = end;
        });
        push('block-body', token, bodyStart, bodyStart + token.source.length, inFlow);
        return;
      }
      case 'block-map':
        for (const item of token.items) {
          source(item.start, inFlow);
          if ('key' in item) {
            node(item.key, 'key', inFlow);
            source(item.sep, inFlow);
            node(item.value, role === 'key' ? 'key' : 'value', inFlow);
          }
        }
        return;
      case 'block-seq':
        for (const item of token.items) {
          source(item.start, inFlow);
          node(item.value, role, inFlow);
        }
        return;
      case 'flow-collection':
        source([token.start], true);
        for (const item of token.items) {
          source(item.start, true);
          const isPair = item.sep?.some((t) => t.type === 'map-value-ind') ?? false;
          if (item.key !== undefined) node(item.key, 'key', true);
          source(item.sep, true);
          node(item.value, role === 'key' ? 'key' : isPair || token.start.type === 'flow-seq-start' ? 'value' : 'key', true);
        }
        source(token.end, inFlow);
        return;
      default:
        push('other', token, token.offset, token.offset + ('source' in token ? token.source.length : 0), inFlow);
    }
  };

  for (const t of tokens) {
    if (t.type === 'document') {
      document++;
      source(t.start, false);
      node(t.value, 'value', false);
      source(t.end, false);
    } else if (t.type === 'doc-end') {
      push('doc-end', t, t.offset, t.offset + t.source.length, false);
      source(t.end, false);
    } else if (t.type === 'comment' || t.type === 'newline' || t.type === 'space') {
      source([t], false);
    } else {
      push('other', t, t.offset, t.offset + ('source' in t ? t.source.length : 0), false);
    }
  }
  return out;
}
