/** Validates a TCP/UDP port number (1-65535). */
export function portProblem(value: number): string | undefined {
  if (!Number.isInteger(value) || value < 1 || value > 65535) return 'must be an integer between 1 and 65535';
  return undefined;
}

/** Validates a Service nodePort against the default Kubernetes range (30000-32767). */
export function nodePortProblem(value: number): string | undefined {
  if (!Number.isInteger(value) || value < 30000 || value > 32767) {
    return 'must be an integer between 30000 and 32767 (the default service-node-port-range)';
  }
  return undefined;
}

/** Validates a non-negative integer (replicas, thresholds, seconds). */
export function nonNegativeIntegerProblem(value: number): string | undefined {
  if (!Number.isInteger(value) || value < 0) return 'must be a non-negative integer';
  return undefined;
}

/** Validates a positive integer. */
export function positiveIntegerProblem(value: number): string | undefined {
  if (!Number.isInteger(value) || value < 1) return 'must be a positive integer';
  return undefined;
}
