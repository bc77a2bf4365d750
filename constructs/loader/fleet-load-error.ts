/** A config repository whose fleet entry cannot be found, compiled or understood. */
export class FleetLoadError extends Error {
  override readonly name = 'FleetLoadError';
  /** The entry file (or the directory searched). */
  readonly entry: string;

  constructor(entry: string, message: string, cause?: unknown) {
    super(`${entry}: ${message}`, cause === undefined ? undefined : { cause });
    this.entry = entry;
  }
}
