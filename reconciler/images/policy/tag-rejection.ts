/**
 * Why a tag was not selected. Stable codes for status, logs and commit messages; `message` says the
 * same in words for people.
 */
export type TagRejectionCode =
  /** Not a valid OCI tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`): a registry listed junk; it can never be requested. */
  | 'invalid-tag'
  /** Matches an ImageRepository `exclusionList` pattern (signatures, attestations by default). */
  | 'excluded'
  /** Does not match the ImagePolicy's `filterTags.pattern`. */
  | 'filtered'
  /** Not a semver version (semver rule). */
  | 'not-a-version'
  /** A version outside the range, or a prerelease the rule does not admit (semver rule). */
  | 'out-of-range'
  /** Not a number, or NaN (numerical rule). */
  | 'not-a-number'
  /** Its manifest or index lacks a required platform; `platforms` lists what it has. */
  | 'missing-platform'
  /** Marked bad; it never comes back (a newer tag is needed). */
  | 'bad-tag'
  /** Orders below the locked tag and downgrades are not allowed. */
  | 'older-than-locked'
  /** A hold pins another tag; `message` carries the hold's reason. */
  | 'held'
  /** Listed, but its manifest was gone when FluxOps looked (deleted between listing and fetching). */
  | 'tag-vanished';

/** One rejected tag. */
export interface TagRejection {
  readonly tag: string;
  readonly code: TagRejectionCode;
  readonly message: string;
  /** For `missing-platform`: the platforms the image does have. */
  readonly platforms?: readonly string[];
}
