/**
 * Type brands for `instanceof`-free checks. A config repository may load a second copy of
 * these modules (TypeScript sources next to compiled JavaScript), so class identity is not a
 * reliable test; a global symbol is (the same approach as cdk8s's `Chart.isChart`).
 */
export const BRANDS = {
  fleet: Symbol.for('fluxops.Fleet'),
  fleetDefinition: Symbol.for('fluxops.FleetDefinition'),
  edgeApp: Symbol.for('fluxops.EdgeApp'),
  site: Symbol.for('fluxops.Site'),
  gitSource: Symbol.for('fluxops.GitSource'),
  imageRepository: Symbol.for('fluxops.ImageRepository'),
  imagePolicy: Symbol.for('fluxops.ImagePolicy'),
  imageUpdateAutomation: Symbol.for('fluxops.ImageUpdateAutomation'),
  rawObjects: Symbol.for('fluxops.RawObjects'),
  alert: Symbol.for('fluxops.Alert'),
} as const;

/** Marks `target` with `brand` (non-enumerable, so it never shows up in output). */
export function setBrand(target: object, brand: symbol): void {
  Object.defineProperty(target, brand, { value: true, enumerable: false });
}

/** Whether `x` carries `brand`. */
export function hasBrand(x: unknown, brand: symbol): boolean {
  return typeof x === 'object' && x !== null && brand in x;
}
