/** `{ [key]: value }` when value is defined, `{}` otherwise: keeps `undefined` out of resolved specs. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
