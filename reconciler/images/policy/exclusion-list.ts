import { compileGoRegex, RegexTimeLimitError, testGoRegex, type CompiledGoRegex } from '../../../constructs/validation';
import { InvalidTagPolicyError } from './errors';

/**
 * Tags never considered when an ImageRepository sets no `exclusionList`: cosign signatures
 * (`sha256-<hex>.sig`, Flux's own default `^.*\.sig$`) and everything else published under a digest
 * name (`sha256-<hex>.att` attestations, `.sbom`, and OCI 1.1 referrers fallback tags `sha256-<hex>`).
 *
 * Deliberately wider than Flux, whose default is only `^.*\.sig$`: an alphabetical policy would
 * otherwise pick `sha256-….att` over any `main-…` tag. As in Flux, a non-empty `exclusionList`
 * replaces this default rather than adding to it.
 */
export const DEFAULT_EXCLUSION_LIST: readonly string[] = ['^.*\\.sig$', '^sha256-'];

/** A compiled exclusion list. */
export interface ExclusionList {
  /** The patterns in effect (the default when none were given). */
  readonly patterns: readonly string[];
  /**
   * The first pattern `tag` matches, or `undefined`. Throws {@link InvalidTagPolicyError} (field
   * `exclusionList[i]`) when a pattern runs past its time limit on `tag`.
   */
  excludedBy(tag: string): string | undefined;
}

/** Compiles an exclusion list (Go RE2 syntax); an empty or missing list means {@link DEFAULT_EXCLUSION_LIST}. */
export function compileExclusionList(patterns: readonly string[] | undefined, policy?: string): ExclusionList {
  const effective = patterns && patterns.length > 0 ? [...patterns] : [...DEFAULT_EXCLUSION_LIST];
  const compiled: CompiledGoRegex[] = effective.map((pattern, i) => {
    const r = compileGoRegex(pattern);
    if (!r.ok) throw new InvalidTagPolicyError({ field: `exclusionList[${i}]`, value: pattern, reason: r.problem, policy });
    return r.value;
  });
  return {
    patterns: effective,
    excludedBy: (tag) =>
      compiled.find((re, i) => {
        try {
          return testGoRegex(re, tag);
        } catch (err) {
          if (!(err instanceof RegexTimeLimitError)) throw err;
          throw new InvalidTagPolicyError({ field: `exclusionList[${i}]`, value: re.source, reason: err.message, policy, cause: err });
        }
      })?.source,
  };
}
