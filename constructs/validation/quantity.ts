/** CPU as Kubernetes writes it: millicores (`'250m'`) or cores (`0.5`). */
export type CpuQuantity = `${number}m` | number;

/** Memory in binary units (`'128Mi'`, `'1Gi'`). */
export type MemoryQuantity = `${number}${'Ki' | 'Mi' | 'Gi'}`;

const MEMORY_UNITS = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 } as const;

/** Millicores in a CPU quantity, or `undefined` if it is not one (or not a whole number of millicores). */
export function cpuMillis(value: CpuQuantity): number | undefined {
  let millis: number;
  if (typeof value === 'number') millis = value * 1000;
  else if (typeof value === 'string' && /^[0-9]+(\.[0-9]+)?m$/.test(value)) millis = Number(value.slice(0, -1));
  else return undefined;
  if (!Number.isFinite(millis) || millis <= 0 || Math.abs(millis - Math.round(millis)) > 1e-9) return undefined;
  return Math.round(millis);
}

/** Bytes in a memory quantity, or `undefined` if it is not one. */
export function memoryBytes(value: MemoryQuantity): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]+)(Ki|Mi|Gi)$/.exec(value);
  if (!m || Number(m[1]) <= 0) return undefined;
  return Number(m[1]) * MEMORY_UNITS[m[2] as keyof typeof MEMORY_UNITS];
}

/** Validates a CPU quantity. */
export function cpuProblem(value: CpuQuantity): string | undefined {
  return cpuMillis(value) === undefined ? 'must be a positive whole number of millicores like "250m", or cores like 0.5' : undefined;
}

/** Validates a memory quantity. */
export function memoryProblem(value: MemoryQuantity): string | undefined {
  return memoryBytes(value) === undefined ? 'must be a positive integer with Ki, Mi or Gi, like "128Mi"' : undefined;
}
