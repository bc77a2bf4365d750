/** A unit accepted by Flux's duration fields. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h';

/**
 * A Flux/Go duration such as `30s`, `5m`, `1h30m`. The template-literal type rejects most typos
 * (`'5 minutes'`) at compile time; {@link intervalProblem} catches the rest at construction.
 */
export type FluxInterval =
  | `${number}${DurationUnit}`
  | `${number}${DurationUnit}${number}${DurationUnit}`
  | `${number}${DurationUnit}${number}${DurationUnit}${number}${DurationUnit}`;

/** The pattern Flux's CRDs enforce on `spec.interval`. */
const FLUX_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a valid interval; `undefined` if it is not one. */
export function intervalMillis(value: string): number | undefined {
  if (typeof value !== 'string' || !FLUX_DURATION.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
  return total;
}

/** Validates an interval against Flux's duration pattern and requires it to be positive. */
export function intervalProblem(value: string): string | undefined {
  const ms = intervalMillis(value);
  if (ms === undefined) return 'must be a Go duration like "30s", "5m" or "1h30m" (units ms, s, m, h)';
  if (ms <= 0) return 'must be greater than zero';
  return undefined;
}
