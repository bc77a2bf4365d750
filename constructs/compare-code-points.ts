/** Locale-independent string order (UTF-16 code units), so output never depends on the machine's locale. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
