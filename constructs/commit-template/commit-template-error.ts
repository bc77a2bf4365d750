import { FluxOpsError } from '../../errors';

/**
 * A commit message template that cannot be parsed, refers to data or functions that do not
 * exist, or fails while rendering (a wrong argument type, an index out of range). The construct
 * reports the first two kinds when the fleet is defined; rendering reports the last.
 */
export class CommitTemplateError extends FluxOpsError {
  override readonly name = 'CommitTemplateError';
  /** 1-based line in the template. */
  readonly line: number;
  /** 1-based column in the template. */
  readonly column: number;
  /** `parse` (syntax), `check` (unknown field or function, wrong argument count) or `render`. */
  readonly phase: 'parse' | 'check' | 'render';
  /** The problem, without the position. */
  readonly reason: string;

  constructor(init: { phase: 'parse' | 'check' | 'render'; line: number; column: number; reason: string; cause?: unknown }) {
    super('invalid-commit-template', `commit message template:${init.line}:${init.column}: ${init.reason}`, { cause: init.cause });
    this.phase = init.phase;
    this.line = init.line;
    this.column = init.column;
    this.reason = init.reason;
  }
}
