import type { ImagePolicy } from './image-policy';
import type { NormalizedImageSource } from './image-source';
import { ImageLock, findLockEntry } from './lock';
import type { Site } from './site';
import { SynthWarning } from './synth-warning';
import { formatImageReference } from './validation';

/** A container image as deployed. */
export interface ResolvedImage {
  /** Full reference: `name:tag` or `name:tag@sha256:...`. */
  readonly reference: string;
  /** Repository name. */
  readonly name: string;
  /** Tag, if any. */
  readonly tag?: string;
  /** Digest, if pinned. */
  readonly digest?: string;
  /** Where the tag came from. */
  readonly origin: 'lock' | 'hold' | 'initial-tag' | 'fixed';
  /** The policy followed, if any. */
  readonly policy?: ImagePolicy;
}

/** Result of {@link resolveImage}. */
export interface ImageResolution {
  /** The image. */
  readonly image: ResolvedImage;
  /** What the developer should know (fallbacks, holds). */
  readonly warnings: readonly SynthWarning[];
}

/**
 * Decides the image a container runs on a site:
 *
 * 1. a hold (the site's, else the policy's) fixes the tag; the digest is used only if a lock
 *    entry records that very tag;
 * 2. otherwise the lock entry (the site's own, else the fleet-wide one) gives tag and digest;
 * 3. otherwise the policy's `initialTag`, unpinned, with a warning.
 *
 * A lock entry for a different image than the policy's repository is ignored with a warning.
 */
export function resolveImage(source: NormalizedImageSource, lock: ImageLock, site: Site | undefined, path: string): ImageResolution {
  if (source.kind === 'ref') {
    const { name, tag, digest } = source.parsed;
    return { image: { reference: source.ref, name, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), origin: 'fixed' }, warnings: [] };
  }
  const policy = source.policy;
  const name = policy.repository.image;
  const warnings: SynthWarning[] = [];
  const warn = (code: SynthWarning['code'], text: string): void => {
    warnings.push({ code, path, message: `${path}: ${text}` });
  };
  let locked = findLockEntry(lock, policy.lockKey, site?.siteName);
  if (locked && locked.entry.image !== name) {
    warn('lock-image-mismatch', `lock entry "${policy.lockKey}" is for image ${locked.entry.image}, but policy ${policy.node.path} follows ${name}; ignoring the entry`);
    locked = undefined;
  }
  const hold = site ? site.holdFor(policy) : policy.hold;
  let tag: string;
  let digest: string | undefined;
  let origin: ResolvedImage['origin'];
  if (hold) {
    tag = hold.tag;
    digest = locked?.entry.tag === hold.tag ? locked.entry.digest : undefined;
    origin = 'hold';
    warn('image-held', `policy ${policy.policyName} is held at ${hold.tag}${site ? ` on site ${site.siteName}` : ''}: ${hold.reason}`);
  } else if (locked) {
    tag = locked.entry.tag;
    digest = locked.entry.digest;
    origin = 'lock';
  } else {
    tag = policy.initialTag;
    origin = 'initial-tag';
    warn('lock-entry-missing', `no lock entry for policy "${policy.lockKey}"; using its initialTag ${tag}`);
  }
  if (policy.digestPinning && digest === undefined) {
    warn('digest-unknown', `digest of ${name}:${tag} is not in the lock; deploying by tag until image automation records it`);
  }
  const pinned = policy.digestPinning ? digest : undefined;
  return {
    image: { reference: formatImageReference({ name, tag, ...(pinned ? { digest: pinned } : {}) }), name, tag, ...(pinned ? { digest: pinned } : {}), origin, policy },
    warnings,
  };
}
