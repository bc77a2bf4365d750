import { FluxOpsError } from '../../../errors';

/**
 * A valid lock file that cannot be edited in place without touching more than the entry asked
 * for (an entry shared through a YAML anchor, an unusual layout), or an edit that did not
 * produce the intended lock. Nothing is written: the caller gets this instead of a text.
 */
export class LockEditError extends FluxOpsError {
  override readonly name = 'LockEditError';
  /** Name of the input (file path or a description). */
  readonly source: string;
  /** Dotted path of the entry or field concerned (`sites.warehouse-b.mqtt-broker`). */
  readonly field: string;
  /** The problem, without the source/field prefix. */
  readonly reason: string;

  constructor(init: { source: string; field: string; reason: string; cause?: unknown }) {
    super('lock-not-editable', `${init.source}: ${init.field}: ${init.reason}`, { cause: init.cause });
    this.source = init.source;
    this.field = init.field;
    this.reason = init.reason;
  }
}
