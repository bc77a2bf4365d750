import { Document, isScalar } from 'yaml';
import { compareCodePoints } from '../compare-code-points';

/** A JSON value as found in a Kubernetes manifest. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A Kubernetes manifest as plain JSON data. */
export type Manifest = { readonly [key: string]: JsonValue };

/** A path into a manifest (`['spec', 'template', 'spec', 'containers', 0, 'image']`). */
export type ManifestPath = readonly (string | number)[];

/** A comment to put after a scalar, e.g. a Flux image-policy setter marker. */
export interface LineComment {
  /** Where. */
  readonly path: ManifestPath;
  /** The comment text, without `#`. */
  readonly text: string;
}

const TOP_LEVEL_FIRST = ['apiVersion', 'kind', 'metadata'];

/**
 * Canonical form of a manifest: keys sorted by code point at every level, except that
 * `apiVersion`, `kind` and `metadata` lead; `undefined` dropped. Independent of cdk8s's own
 * sorting switch (`CDK8S_DISABLE_SORT`) and of insertion order.
 */
export function canonicalManifest(value: Record<string, unknown>): Manifest {
  const sorted = sortDeep(value) as Record<string, JsonValue>;
  const out: Record<string, JsonValue> = {};
  for (const k of TOP_LEVEL_FIRST) if (k in sorted) out[k] = sorted[k];
  for (const k of Object.keys(sorted)) if (!TOP_LEVEL_FIRST.includes(k)) out[k] = sorted[k];
  return deepFreeze(out);
}

/**
 * Renders one manifest as a YAML document: block style, no line folding, no anchors, and
 * YAML 1.1-safe quoting (so `"yes"`, `"on"`, `"1.10"` survive Kubernetes' YAML parser).
 */
export function manifestToYaml(manifest: Manifest, comments: readonly LineComment[] = []): string {
  const doc = new Document(manifest, { version: '1.1', aliasDuplicateObjects: false });
  for (const c of comments) {
    const node = doc.getIn(c.path, true);
    if (isScalar(node)) node.comment = ` ${c.text}`;
  }
  return doc.toString({ lineWidth: 0, indent: 2 });
}

function sortDeep(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(sortDeep);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const out: Record<string, JsonValue> = {};
    for (const k of Object.keys(obj).sort(compareCodePoints)) {
      if (obj[k] !== undefined) out[k] = sortDeep(obj[k]);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot render non-finite number ${value}`);
  return value as JsonValue;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
