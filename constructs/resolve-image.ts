import { EffectiveHold, effectiveHold } from './effective-hold';
import type { ImagePolicy } from './image-policy';
import type { NormalizedImageSource } from './image-source';
import { ImageLock, ImageLockEntry, findBadTag } from './lock';
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
  /** The hold that fixed the tag (`origin: 'hold'`), with where it was declared. */
  readonly hold?: EffectiveHold;
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
 * 1. a hold fixes the tag: a hold in fleet code (the site's, else the policy's), else a hold in
 *    the lock (`siteHolds` of the site, else `holds`). Code wins over the lock. The digest is
 *    used only if a lock entry in scope (the site's, else the fleet-wide one) records that very
 *    tag; otherwise the tag is deployed by tag (`digest-unknown`);
 * 2. otherwise the lock entry (the site's own, else the fleet-wide one) gives tag and digest. A
 *    site entry whose tag is marked bad (`badTags`) gives way to the fleet-wide entry when that
 *    one is not bad; with no such alternative the bad tag stays (it is what runs; image
 *    automation moves off it, a hold rolls back at once) and `image-bad-tag` says so;
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
  const key = policy.lockKey;
  const warnings: SynthWarning[] = [];
  const warn = (code: SynthWarning['code'], text: string): void => {
    warnings.push({ code, path, message: `${path}: ${text}` });
  };
  // Lock entries in scope, most specific first. An entry for another image is ignored, and a
  // site entry that exists decides alone (a mismatched one falls back to the initialTag, not to
  // the fleet-wide entry, which may be what the site moved away from).
  const siteEntry = site ? lock.sites[site.siteName]?.[key] : undefined;
  const candidates: { entry: ImageLockEntry; scope: 'site' | 'fleet' }[] = [];
  if (siteEntry) candidates.push({ entry: siteEntry, scope: 'site' });
  if (lock.policies[key]) candidates.push({ entry: lock.policies[key], scope: 'fleet' });
  const inScope: { entry: ImageLockEntry; scope: 'site' | 'fleet' }[] = [];
  for (const c of candidates) {
    if (c.entry.image === name) {
      inScope.push(c);
      continue;
    }
    // Only the entry that would decide is worth a warning (a fleet-wide fallback is not).
    if (inScope.length === 0) warn('lock-image-mismatch', `lock entry "${key}" is for image ${c.entry.image}, but policy ${policy.node.path} follows ${name}; ignoring the entry`);
    break;
  }
  const hold = effectiveHold(policy, site, lock);
  const badReason = (tag: string) => findBadTag(lock, key, tag)?.reason;
  let tag: string;
  let digest: string | undefined;
  let origin: ResolvedImage['origin'];
  if (hold) {
    tag = hold.tag;
    digest = inScope.find((l) => l.entry.tag === hold.tag)?.entry.digest;
    origin = 'hold';
    const where = hold.source === 'lock' ? ` (lock ${hold.scope === 'site' ? 'siteHolds' : 'holds'}, since ${hold.since})` : '';
    const bad = badReason(hold.tag);
    warn('image-held', `policy ${policy.policyName} is held at ${hold.tag}${site ? ` on site ${site.siteName}` : ''}${where}: ${hold.reason}${bad !== undefined ? ` (the tag is marked bad: ${bad}; the hold wins)` : ''}`);
  } else if (inScope.length > 0) {
    const chosen = inScope.find((l) => badReason(l.entry.tag) === undefined) ?? inScope[0];
    tag = chosen.entry.tag;
    digest = chosen.entry.digest;
    origin = 'lock';
    if (chosen !== inScope[0]) {
      const skipped = inScope[0].entry.tag;
      warn('image-bad-tag', `the lock entry "${key}" of site ${site?.siteName} is at ${skipped}, which is marked bad (${badReason(skipped)}); using the fleet-wide entry ${tag}`);
    }
    const bad = badReason(tag);
    if (bad !== undefined) {
      warn('image-bad-tag', `the lock entry "${key}" is at ${tag}, which is marked bad (${bad}); it stays deployed until image automation selects another tag, or a hold rolls it back (fluxops images hold ${key} <tag>)`);
    }
  } else {
    tag = policy.initialTag;
    origin = 'initial-tag';
    warn('lock-entry-missing', `no lock entry for policy "${key}"; using its initialTag ${tag}`);
    const bad = badReason(tag);
    if (bad !== undefined) warn('image-bad-tag', `the initialTag ${tag} of policy "${key}" is marked bad (${bad}); there is no other tag in the lock to deploy`);
  }
  if (policy.digestPinning && digest === undefined) {
    warn('digest-unknown', `digest of ${name}:${tag} is not in the lock; deploying by tag until image automation records it`);
  }
  const pinned = policy.digestPinning ? digest : undefined;
  return {
    image: {
      reference: formatImageReference({ name, tag, ...(pinned ? { digest: pinned } : {}) }),
      name,
      tag,
      ...(pinned ? { digest: pinned } : {}),
      origin,
      policy,
      ...(hold ? { hold } : {}),
    },
    warnings,
  };
}
