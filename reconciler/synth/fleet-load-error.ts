import { FluxOpsError } from '../../errors';

/** A config repository whose fleet entry cannot be found, compiled or understood (raised in the synthesis child). */
export class FleetLoadError extends FluxOpsError {
  override readonly name = 'FleetLoadError';
  /** The entry file (or the directory searched). */
  readonly entry: string;
  /** Why, without the entry prefix. */
  readonly reason: string;
  /** `load`: finding, compiling or evaluating the entry module; `build`: running the fleet's builder. */
  readonly stage: 'load' | 'build';

  constructor(entry: string, reason: string, cause?: unknown, stage: 'load' | 'build' = 'load') {
    super(stage === 'load' ? 'fleet-load-failed' : 'fleet-build-failed', `${entry}: ${reason}`, { cause });
    this.entry = entry;
    this.reason = reason;
    this.stage = stage;
  }
}
