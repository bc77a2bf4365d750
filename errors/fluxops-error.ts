/**
 * Base of every error FluxOps raises on purpose. Callers branch on the subclass with
 * `instanceof` (or on {@link FluxOpsError.code} across process boundaries), never on the message.
 *
 * Subclasses live next to the code that raises them (constructs, synthesis, stacks, registry, ...);
 * each carries the fields a caller needs (the input, the field, the value) as properties.
 */
export class FluxOpsError extends Error {
  override readonly name: string = 'FluxOpsError';
  /**
   * Stable, machine-readable identifier of the error kind (kebab-case, e.g. `stack-locked`).
   * Survives serialization (child processes, JSON output) where `instanceof` does not.
   */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  /** Plain data for JSON output and logs: name, code, message and the subclass's own fields. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const [k, v] of Object.entries(this)) {
      if (k === 'name' || k === 'code' || k === 'message' || k === 'cause' || v === undefined) continue;
      out[k] = v instanceof Error ? (v instanceof FluxOpsError ? v.toJSON() : { name: v.name, message: v.message }) : v;
    }
    return out;
  }
}

/** Whether `err` is a FluxOps error of the given code (useful for errors rebuilt from JSON). */
export function hasErrorCode(err: unknown, code: string): boolean {
  return err instanceof FluxOpsError && err.code === code;
}

/** The message of any thrown value, for logs (never used to classify). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
