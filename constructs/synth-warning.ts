/** Kinds of things synthesis tells the developer about without failing. */
export type SynthWarningCode =
  /** No lock entry for a policy: the policy's initialTag was used. */
  | 'lock-entry-missing'
  /** The lock entry names another image than the policy's repository: it was ignored. */
  | 'lock-image-mismatch'
  /** Digest pinning is on but the digest of the deployed tag is unknown: deployed by tag. */
  | 'digest-unknown'
  /** A hold (in fleet code or in the lock) keeps a policy on a tag. */
  | 'image-held'
  /** The tag the lock gives is marked bad (`badTags`); see resolveImage for what is deployed instead. */
  | 'image-bad-tag'
  /** The lock file does not exist (an error for `up`, `preview` and the reconciler). */
  | 'lock-missing'
  /** The lock file cannot be read (an error for `up`, `preview` and the reconciler). */
  | 'lock-invalid'
  /** A lock entry breaks its policy (an error for `up`, `preview` and the reconciler; see checkImageLock). */
  | 'lock-problem';

/** A non-fatal finding of synthesis, attached to the construct it concerns (like cdk8s Annotations). */
export interface SynthWarning {
  /** What kind of finding. */
  readonly code: SynthWarningCode;
  /** Construct path it concerns. */
  readonly path: string;
  /** Human-readable message, naming the path. */
  readonly message: string;
}
