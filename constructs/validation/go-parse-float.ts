/**
 * Go's `strconv.ParseFloat(s, 64)`, which Flux's numerical policy applies to every (extracted) tag.
 * JavaScript's `Number()` reads a different language: it accepts `0x10`, `0b11`, `0o7`, blanks
 * around the number and `''` (as 0), and rejects `1_000`, `inf`, `0x1p4`. This follows Go's grammar:
 * optional sign; `inf`/`infinity`/`nan` in any case (`nan` without sign); decimal digits with an
 * optional `.` and `e` exponent; hexadecimal mantissas only with a `p` exponent; `_` only between
 * digits. Values are correctly rounded like Go's, and out-of-range values are errors like Go's
 * `ErrRange`.
 */

/** Result of {@link goParseFloat}. */
export type GoParseFloatResult =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly reason: 'syntax' | 'range' };

const DECIMAL = /^[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9][0-9_]*)?$/;
const HEX = /^([+-]?)0[xX]((?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+))[pP]([+-]?[0-9][0-9_]*)$/;

/** Parses `s` as Go's `strconv.ParseFloat(s, 64)` does. */
export function goParseFloat(s: string): GoParseFloatResult {
  const special = parseSpecial(s);
  if (special !== undefined) return { ok: true, value: special };
  if (s.includes('_') && !underscoreOK(s)) return { ok: false, reason: 'syntax' };
  const hex = HEX.exec(s);
  if (hex) {
    const mantissa = (hex[2] as string).replace(/_/g, '');
    if (!/[0-9a-fA-F]/.test(mantissa)) return { ok: false, reason: 'syntax' };
    return hexFloat(hex[1] === '-', mantissa, Number((hex[3] as string).replace(/_/g, '')));
  }
  if (!DECIMAL.test(s) || /^[+-]?0[xX]/.test(s)) return { ok: false, reason: 'syntax' };
  const clean = s.replace(/_/g, '');
  if (!/[0-9]/.test(clean.replace(/[eE].*$/, ''))) return { ok: false, reason: 'syntax' };
  const value = Number(clean);
  if (!Number.isFinite(value)) return { ok: false, reason: 'range' };
  return { ok: true, value };
}

/** Go's `special`: the whole string must be consumed. */
function parseSpecial(s: string): number | undefined {
  const lower = s.toLowerCase();
  let sign = 1;
  let body = lower;
  if (body.startsWith('+') || body.startsWith('-')) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  } else if (body === 'nan') {
    return NaN;
  }
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  return undefined;
}

/** Go's `underscoreOK`: underscores only between digits (or after a base prefix). */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  let t = s;
  if (t.length >= 1 && (t[0] === '-' || t[0] === '+')) t = t.slice(1);
  let hex = false;
  if (t.length >= 2 && t[0] === '0' && 'box'.includes((t[1] as string).toLowerCase())) {
    i = 2;
    saw = '0';
    hex = (t[1] as string).toLowerCase() === 'x';
  }
  for (; i < t.length; i++) {
    const c = t[i] as string;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** A hexadecimal float, rounded to nearest-even exactly (BigInt arithmetic). */
function hexFloat(negative: boolean, mantissaText: string, exponent: number): GoParseFloatResult {
  const [intPart, fracPart = ''] = mantissaText.split('.');
  const digits = `${intPart ?? ''}${fracPart}`;
  let mant = BigInt(`0x${digits === '' ? '0' : digits}`);
  // Go caps the exponent it reads at 10000; beyond that the result saturates anyway.
  let exp = Math.max(-100000, Math.min(100000, exponent)) - 4 * fracPart.length;
  const sign = negative ? -1 : 1;
  if (mant === 0n) return { ok: true, value: sign * 0 };
  // Round once to what a double can hold: 53 significant bits, fewer for subnormals (exp >= -1074).
  let shift = mant.toString(2).length - 53;
  if (exp + shift < -1074) shift = -1074 - exp;
  if (shift > 0) {
    const big = BigInt(shift);
    const rem = mant & ((1n << big) - 1n);
    const half = 1n << (big - 1n);
    mant >>= big;
    exp += shift;
    if (rem > half || (rem === half && (mant & 1n) === 1n)) mant += 1n;
  }
  // Exact: mant <= 2^53 and exp >= -1074, so the product is representable unless it overflows.
  const value = Number(mant) * 2 ** exp;
  if (!Number.isFinite(value)) return { ok: false, reason: 'range' };
  return { ok: true, value: sign * value };
}
