import { FluxOpsError } from '../../errors';
import type { SynthProblem } from './protocol';

/** The config repository and commit a synthesis ran on, for messages. */
export interface SynthSource {
  /** Checkout directory. */
  readonly configDir: string;
  /** Repository URL or name, when known. */
  readonly repo?: string;
  /** Commit id, when known. */
  readonly commit?: string;
}

/** How a synthesis failed. */
export type SynthFailureKind =
  /** The entry module could not be found, compiled or evaluated (syntax error, throw at load). */
  | 'load-failed'
  /** A construct rejected its props, or fleet-wide checks failed. */
  | 'invalid-fleet'
  /** The fleet's builder threw something that is not a validation error. */
  | 'fleet-threw'
  /** The lock file is missing or invalid, or an entry breaks its policy (strict mode). */
  | 'invalid-lock'
  /** The fleet ran longer than the time limit (an endless loop?). */
  | 'timeout'
  /** The fleet used more memory than the limit. */
  | 'out-of-memory'
  /** The fleet ended the process (process.exit) before synthesis finished. */
  | 'exited'
  /** The process died (signal, crash) without an answer. */
  | 'crashed'
  /** The answer was not a valid synthesis result, or larger than the limit. */
  | 'invalid-output';

/** Human label of a source: `config repository <repo> at <commit7>` or its directory. */
export function describeSource(source: SynthSource): string {
  const what = source.repo ?? source.configDir;
  return `config repository ${what}${source.commit ? ` at ${source.commit.slice(0, 12)}` : ''}`;
}

/**
 * Synthesis of a config repository failed; nothing derived from it may be applied. Names the
 * repository and commit, says how it failed, and lists the problems with construct path, field
 * and value (or lock field) each.
 */
export class SynthesisError extends FluxOpsError {
  override readonly name = 'SynthesisError';

  constructor(
    readonly kind: SynthFailureKind,
    readonly source: SynthSource,
    readonly summary: string,
    readonly problems: readonly SynthProblem[] = [],
    /** The tail of what the fleet printed (stdout and stderr), if anything. */
    readonly fleetOutput: string = '',
    options?: { cause?: unknown },
  ) {
    const lines = problems.map((p) => `  - ${p.message}`);
    super(`synthesis-${kind}`, `${describeSource(source)}: ${summary}${lines.length ? `\n${lines.join('\n')}` : ''}`, options);
  }
}
