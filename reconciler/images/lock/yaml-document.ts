import { CST, Composer, Document, Node, Pair, Parser, YAMLError, isAlias, isCollection, isMap, isPair, isScalar, isSeq } from 'yaml';

/** A document composed with its CST source tokens kept, so nodes can be mapped back to text spans. */
export type SourceDocument = Document.Parsed;

/** The documents of a YAML stream, each node carrying `srcToken` and `range`. */
export interface ParsedYamlStream {
  /** Documents in order (an empty text has none). */
  readonly documents: readonly SourceDocument[];
  /** Syntax and composition errors of all documents, in order. */
  readonly errors: readonly YAMLError[];
  /** The parser's top-level CST tokens (the documents' `srcToken`s point into them). */
  readonly tokens: readonly CST.Token[];
}

/**
 * Parses a YAML stream the way the editors here need it: `Parser` -> `Composer` with
 * `keepSourceTokens`, YAML 1.2, duplicate keys rejected (as Kubernetes, kyaml and the lock
 * schema do).
 */
export function parseYamlStream(text: string): ParsedYamlStream {
  const composer = new Composer({ version: '1.2', keepSourceTokens: true, uniqueKeys: true, prettyErrors: false });
  const tokens = [...new Parser().parse(text)];
  const documents = [...composer.compose(tokens)];
  const errors = documents.flatMap((d) => [...d.errors]);
  return { documents, errors, tokens };
}

/** A parsed node's `[start, valueEnd, nodeEnd]`. */
function rangeOf(node: Node): [number, number, number] {
  const r = node.range;
  if (!r) throw new Error('node without a source range (not a parsed node)');
  return r;
}

/** Offset where a node's own text starts (after its anchor or tag). */
export function nodeStart(node: Node): number {
  return rangeOf(node)[0];
}

/**
 * Offset just after a node's last content character (scalar text, closing bracket, last item
 * of a block collection), excluding trailing comments and blank lines.
 */
export function nodeContentEnd(node: Node): number {
  if (isScalar(node) || isAlias(node)) return rangeOf(node)[1];
  if (isCollection(node)) {
    const token = node.srcToken;
    if (token?.type === 'flow-collection') return rangeOf(node)[1];
    let end = rangeOf(node)[0];
    for (const item of node.items) {
      if (isPair(item)) {
        const p = item as Pair<Node | null, Node | null>;
        const last = p.value ?? p.key;
        if (last) end = Math.max(end, nodeContentEnd(last));
      } else if (item) end = Math.max(end, nodeContentEnd(item as Node));
    }
    return end;
  }
  return rangeOf(node)[1];
}

/** The `:` token of a pair written in a block or flow map, if it has one. */
export function pairValueIndicator(pair: Pair): CST.SourceToken | undefined {
  const sep = (pair.srcToken as CST.CollectionItem | undefined)?.sep ?? [];
  return sep.find((t) => t.type === 'map-value-ind');
}

/** Key text of a pair with a scalar key, as a string (`123:` is `"123"`). */
export function pairKey(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/** The pair of a map whose key is `key`. */
export function findPair(map: Node | null | undefined, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(map)) return undefined;
  return (map.items as Pair<Node, Node | null>[]).find((p) => pairKey(p) === key);
}

/** Whether a collection is written in flow style (`{...}` or `[...]`). */
export function isFlowCollection(node: Node | null | undefined): boolean {
  return (isMap(node) || isSeq(node)) && node.srcToken?.type === 'flow-collection';
}
