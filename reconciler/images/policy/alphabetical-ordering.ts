import { compareGoStrings, preferLastListedTag, type OrderingKey, type TagOrdering } from './tag-ordering';

/**
 * Tags as strings in Go's byte order (`sort.Strings`). As in Flux, `asc` picks the last tag in
 * ascending order (`Z`, `9`) and `desc` the first.
 */
export function alphabeticalOrdering(order: 'asc' | 'desc'): TagOrdering<string> {
  const sign = order === 'asc' ? 1 : -1;
  return {
    kind: 'alphabetical',
    description: `alphabetical ${order}`,
    key: (value: string): OrderingKey<string> => ({ key: value }),
    compareKeys: (a, b) => sign * compareGoStrings(a, b),
    // Equal keys only arise from `extract`; prefer the lexically last original tag, like Flux's map.
    tieBreak: preferLastListedTag,
  };
}
