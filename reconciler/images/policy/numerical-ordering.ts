import { goParseFloat } from '../../../constructs/validation';
import { compareGoStrings, preferLastListedTag, type OrderingKey, type TagOrdering } from './tag-ordering';

/**
 * Tags as numbers read by Go's `strconv.ParseFloat` (so `1_000` is 1000, `0x10` is not a number,
 * `1e3` is 1000). As in Flux, `asc` picks the highest number and `desc` the lowest.
 *
 * Deliberately different from Flux: a value that is not a number (or is NaN) rejects that one tag
 * (`not-a-number`); Flux fails the whole policy, so one stray `latest` tag would stop every update.
 * Ties (`1`, `1.0`, `01`): the lexically last tag wins, which is what Flux picks from a sorted list.
 */
export function numericalOrdering(order: 'asc' | 'desc'): TagOrdering<number> {
  const sign = order === 'asc' ? 1 : -1;
  return {
    kind: 'numerical',
    description: `numerical ${order}`,
    key(value: string): OrderingKey<number> {
      const r = goParseFloat(value);
      if (!r.ok) {
        const why = r.reason === 'range' ? 'is out of the float64 range' : 'is not a number (Go strconv.ParseFloat)';
        return { rejection: { code: 'not-a-number', message: `"${value}" ${why}` } };
      }
      if (Number.isNaN(r.value)) return { rejection: { code: 'not-a-number', message: `"${value}" is NaN, which has no order` } };
      return { key: r.value };
    },
    compareKeys: (a, b) => sign * (a < b ? -1 : a > b ? 1 : 0),
    // Flux keeps the last of equal numbers it sees; with a filter, the last tag per extracted value.
    tieBreak: (a, b) => (a.value !== b.value ? compareGoStrings(a.value, b.value) : preferLastListedTag(a, b)),
  };
}
