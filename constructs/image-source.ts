import { ImagePolicy } from './image-policy';
import { ImageReference, parseImageReference } from './validation';

/**
 * Where a container's image comes from. Policies are referenced as objects (never as strings
 * in comments): the tag and digest are resolved at synthesis from the lock file.
 *
 * - `policy` or `{ policy }`: follow an {@link ImagePolicy}.
 * - `{ ref }`: a fixed reference outside automation, e.g. `docker.io/library/busybox:1.36@sha256:...`.
 */
export type ImageSource = ImagePolicy | { readonly policy: ImagePolicy } | { readonly ref: string };

/** An {@link ImageSource} in canonical form. */
export type NormalizedImageSource =
  | { readonly kind: 'policy'; readonly policy: ImagePolicy }
  | { readonly kind: 'ref'; readonly ref: string; readonly parsed: ImageReference };

/** Canonicalises an image source; returns a reason string when it is not a valid one. */
export function normalizeImageSource(source: ImageSource): NormalizedImageSource | string {
  if (ImagePolicy.isImagePolicy(source)) return { kind: 'policy', policy: source };
  if (typeof source === 'object' && source !== null && 'policy' in source) {
    return ImagePolicy.isImagePolicy(source.policy) ? { kind: 'policy', policy: source.policy } : 'policy must be an ImagePolicy';
  }
  if (typeof source === 'object' && source !== null && 'ref' in source) {
    const parsed = parseImageReference(source.ref);
    if (typeof parsed === 'string') return `ref ${parsed}`;
    if (parsed.tag === undefined && parsed.digest === undefined) return 'ref must carry a tag or a digest';
    return { kind: 'ref', ref: source.ref, parsed };
  }
  return 'must be an ImagePolicy, { policy } or { ref }';
}
