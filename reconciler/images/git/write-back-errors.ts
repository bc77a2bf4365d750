import { FluxOpsError } from '../../../errors';

/**
 * The compute function of a write-back returned something that cannot be committed: a file
 * outside the lock and the marker files it was given, a non-text value, or changed files with an
 * empty change set. Nothing was committed or pushed.
 */
export class WriteBackComputeError extends FluxOpsError {
  override readonly name = 'WriteBackComputeError';
  /** Field of the plan concerned (`files["clusters/x.yaml"]`, `changes`). */
  readonly field: string;
  /** The problem. */
  readonly reason: string;
  constructor(field: string, reason: string) {
    super('write-back-plan-invalid', `image write-back: invalid plan ${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** A file at the head cannot be handed to the compute function (the lock is a symlink, a directory, not UTF-8). Nothing was committed. */
export class WriteBackInputError extends FluxOpsError {
  override readonly name = 'WriteBackInputError';
  /** Repository URL without credentials. */
  readonly repository: string;
  /** Commit read. */
  readonly commit: string;
  /** Path in the repository. */
  readonly file: string;
  /** The problem. */
  readonly reason: string;
  constructor(init: { repository: string; commit: string; file: string; reason: string }) {
    super('write-back-input-invalid', `image write-back ${init.repository}@${init.commit.slice(0, 12)}: ${init.file}: ${init.reason}`);
    this.repository = init.repository;
    this.commit = init.commit;
    this.file = init.file;
    this.reason = init.reason;
  }
}

/**
 * The update branch exists and its head commit was not made by the automation (a person pushed
 * to it): FluxOps does not overwrite it. Merge or delete the branch, or push to another one.
 */
export class UpdateBranchNotOwnedError extends FluxOpsError {
  override readonly name = 'UpdateBranchNotOwnedError';
  /** Repository URL without credentials. */
  readonly repository: string;
  /** The update branch. */
  readonly branch: string;
  /** Its head commit. */
  readonly commit: string;
  /** Author of that commit (`Name <email>`). */
  readonly author: string;
  constructor(init: { repository: string; branch: string; commit: string; author: string }) {
    super(
      'update-branch-not-owned',
      `image write-back ${init.repository}: branch ${init.branch} has a commit by ${init.author} (${init.commit.slice(0, 12)}) on top; FluxOps only replaces its own commits there`,
    );
    this.repository = init.repository;
    this.branch = init.branch;
    this.commit = init.commit;
    this.author = init.author;
  }
}

/**
 * Every push attempt lost a race with other pushes to the branch (each time: fetched, recomputed,
 * pushed, rejected as not a fast-forward). Nothing of FluxOps' is on the branch; the next run
 * starts over.
 */
export class WriteBackContendedError extends FluxOpsError {
  override readonly name = 'WriteBackContendedError';
  /** Repository URL without credentials. */
  readonly repository: string;
  /** Branch pushed to. */
  readonly branch: string;
  /** Attempts made. */
  readonly attempts: number;
  constructor(init: { repository: string; branch: string; attempts: number }) {
    super('write-back-contended', `image write-back ${init.repository}: push to ${init.branch} rejected ${init.attempts} times because the branch kept moving`);
    this.repository = init.repository;
    this.branch = init.branch;
    this.attempts = init.attempts;
  }
}
