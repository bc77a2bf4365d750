/**
 * "How versions compare": one ordering per policy kind. An ordering turns an (extracted) tag value
 * into a sort key, or says why it cannot order it; it knows nothing about registries or filters.
 */

/** Why a value is not a candidate of an ordering. */
export type OrderingRejection =
  | { readonly code: 'not-a-version'; readonly message: string }
  | { readonly code: 'out-of-range'; readonly message: string }
  | { readonly code: 'not-a-number'; readonly message: string };

/**
 * What an ordering says about a value: its sort key when it can be ordered at all, and a rejection
 * when it is not a candidate (a version outside the range has a key but is rejected).
 */
export interface OrderingKey<K> {
  /** Sort key, when the value can be ordered. */
  readonly key?: K;
  /** Set when the value is not a candidate. */
  readonly rejection?: OrderingRejection;
}

/**
 * An ordering over tag values. `key` may return a comparable key that is not eligible (a semver
 * version outside the range): such a key still orders against the locked tag for no-downgrade.
 */
export interface TagOrdering<K = unknown> {
  /** `semver`, `alphabetical` or `numerical`. */
  readonly kind: 'semver' | 'alphabetical' | 'numerical';
  /** Human-readable rule, for messages (`semver ^1.2.0`, `numerical asc`). */
  readonly description: string;
  /** The sort key of a value, and whether the value is a candidate. */
  key(value: string): OrderingKey<K>;
  /** Positive when `a` is newer than `b` (the policy would pick `a`), 0 when equal. */
  compareKeys(a: K, b: K): number;
  /**
   * Among tags with equal keys, which to prefer (positive: `a`). Chosen so that FluxOps picks what
   * Flux picks from a registry's (lexically sorted) tag list wherever Flux's choice is determined.
   */
  tieBreak(a: TaggedValue, b: TaggedValue): number;
}

/** A tag and the value its filter extracted (the tag itself without `extract`). */
export interface TaggedValue {
  readonly tag: string;
  readonly value: string;
}

/**
 * Flux's filter keeps one tag per extracted value: the last one listed (a map assignment), so the
 * lexically greatest tag. Used by every ordering for tags that extract the same value.
 */
export function preferLastListedTag(a: TaggedValue, b: TaggedValue): number {
  return compareGoStrings(a.tag, b.tag);
}

/** Go's string order (`sort.Strings`): UTF-8 bytes, which is code point order. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}
