import { FluxOpsError } from '../../errors';

/** One bad `fluxops init` option: the flag (or `DIR`), the value given and why it is refused. */
export interface InitOptionProblem {
  readonly option: string;
  readonly value: unknown;
  readonly reason: string;
}

/**
 * `fluxops init` options that cannot be used. Raised before anything is written; lists every
 * problem found, not only the first, so one correction round is enough.
 */
export class InitOptionError extends FluxOpsError {
  override readonly name = 'InitOptionError';
  constructor(readonly problems: readonly InitOptionProblem[]) {
    super(
      'init-invalid-option',
      problems.length === 1
        ? `${describe(problems[0])}; nothing was written`
        : `${problems.length} invalid options; nothing was written:\n${problems.map((p) => `  - ${describe(p)}`).join('\n')}`,
    );
  }
}

function describe(p: InitOptionProblem): string {
  return p.value === undefined ? `${p.option}: ${p.reason}` : `${p.option} ${JSON.stringify(p.value)}: ${p.reason}`;
}

/** `fluxops init` would overwrite files that exist (and `--force` was not given); nothing was written. */
export class InitConflictError extends FluxOpsError {
  override readonly name = 'InitConflictError';
  constructor(
    /** The target directory. */
    readonly dir: string,
    /** Paths relative to `dir` that exist already. */
    readonly existing: readonly string[],
  ) {
    super(
      'init-would-overwrite',
      `${dir}: ${existing.length === 1 ? `${existing[0]} exists` : `${existing.length} files exist (${existing.join(', ')})`}; nothing was written. ` +
        'Move them away, choose another directory, or pass --force to overwrite them',
    );
  }
}

/** Writing a scaffold failed part-way (disk full, permissions); says what was written already. */
export class ScaffoldWriteError extends FluxOpsError {
  override readonly name = 'ScaffoldWriteError';
  constructor(
    readonly dir: string,
    /** The file that could not be written, relative to `dir`. */
    readonly file: string,
    /** Files written before the failure, relative to `dir`. */
    readonly written: readonly string[],
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(
      'init-write-failed',
      `${dir}: could not write ${file} (${why}); ${written.length === 0 ? 'nothing was written' : `written before: ${written.join(', ')}`}`,
      options,
    );
  }
}

/** A template of `fluxops init` is broken (a FluxOps defect, never a user error): which one and why. */
export class TemplateError extends FluxOpsError {
  override readonly name = 'TemplateError';
  constructor(
    /** Template path, relative to `templates/`. */
    readonly template: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('template-invalid', `template ${template}: ${reason}`, options);
  }
}
