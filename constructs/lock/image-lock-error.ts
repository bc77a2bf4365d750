import { FluxOpsError } from '../../errors';

/** A lock file that cannot be read: bad YAML, a missing or malformed field, or an unknown schema version. */
export class ImageLockError extends FluxOpsError {
  override readonly name = 'ImageLockError';
  /** Name of the input (file path, or a description such as `git show HEAD:fluxops.lock.yaml`). */
  readonly source: string;
  /** Dotted path of the bad field (`policies.gateway.digest`), when the problem is a field. */
  readonly field?: string;
  /** 1-based line of a YAML syntax error. */
  readonly line?: number;
  /** 1-based column of a YAML syntax error. */
  readonly column?: number;
  /** The problem, without the source/field prefix. */
  readonly reason: string;

  constructor(init: { source: string; reason: string; field?: string; line?: number; column?: number; cause?: unknown }) {
    const where = init.field !== undefined ? `: ${init.field}` : init.line !== undefined ? `:${init.line}:${init.column ?? 1}` : '';
    super('invalid-lock', `${init.source}${where}: ${init.reason}`, { cause: init.cause });
    this.source = init.source;
    this.field = init.field;
    this.line = init.line;
    this.column = init.column;
    this.reason = init.reason;
  }
}
