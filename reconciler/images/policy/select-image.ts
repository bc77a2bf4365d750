import { normalizePlatformString, platformSatisfies } from '../../../constructs/validation';
import type { TagPolicy } from './tag-policy';
import type { TagRejection } from './tag-rejection';

/** What a tag points at in the registry right now. */
export interface TagPlatforms {
  /** Digest of the manifest or index the tag resolves to. */
  readonly digest: string;
  /** Platforms it provides (`os/arch[/variant]`); attestation entries excluded. */
  readonly platforms: readonly string[];
}

/**
 * The one thing the selection needs from a registry (the registry client implements it): what a
 * tag points at, or `undefined` when the tag does not exist (any more). Faults are thrown.
 */
export interface TagPlatformLookup {
  platformsOf(tag: string): Promise<TagPlatforms | undefined>;
}

/** The lock entry the selection starts from. */
export interface LockedTag {
  readonly tag: string;
  readonly digest: string;
}

/** A hold: stay on `tag`, for `reason`. */
export interface TagHold {
  readonly tag: string;
  readonly reason: string;
}

/** Input of {@link selectImage}. */
export interface SelectImageInput {
  /** The policy (see {@link createTagPolicy}). */
  readonly policy: TagPolicy;
  /** Every tag of the repository, as listed. */
  readonly tags: readonly string[];
  /** Platform lookups (the registry client). Only called for tags in the order they are needed. */
  readonly lookup: TagPlatformLookup;
  /** Platforms the image must provide. @default ['linux/arm64'] */
  readonly requiredPlatforms?: readonly string[];
  /** The current lock entry, if any. */
  readonly locked?: LockedTag;
  /** A hold pinning the tag. @default none */
  readonly hold?: TagHold;
  /** Tags marked bad: never selected again. @default none */
  readonly badTags?: Iterable<string>;
  /** Whether a tag ordering below the locked one may be selected. @default false */
  readonly allowDowngrade?: boolean;
}

/** The selected image. */
export interface SelectedImage {
  readonly tag: string;
  readonly digest: string;
  /** Platforms the image provides (all of them, not only the required ones). */
  readonly platforms: readonly string[];
}

/** What the registry says about the locked tag. */
export type LockedTagState =
  /** Same digest as the lock. */
  | { readonly tag: string; readonly state: 'current'; readonly digest: string }
  /** The tag was pushed again: the registry serves another digest than the lock records. */
  | { readonly tag: string; readonly state: 'repushed'; readonly lockedDigest: string; readonly registryDigest: string }
  /** The tag is no longer in the registry. */
  | { readonly tag: string; readonly state: 'missing'; readonly lockedDigest: string };

/** Result of {@link selectImage}: data for the lock writer, status and commit messages. */
export interface ImageSelection {
  /** `selected`: the policy picked a tag; `held`: a hold picked it; `none`: nothing qualifies. */
  readonly outcome: 'selected' | 'held' | 'none';
  /** The image to lock, if any. */
  readonly selected?: SelectedImage;
  /** Whether {@link selected} differs from the lock entry (tag or digest). */
  readonly changed: boolean;
  /** The locked tag as the registry sees it, when there is a lock entry. */
  readonly locked?: LockedTagState;
  /** The hold in effect, with its reason. */
  readonly hold?: TagHold;
  /** Every tag that was turned down, with the reason, in the order it was decided. */
  readonly rejected: readonly TagRejection[];
  /** Candidates after the selected one, not examined (they order below it). */
  readonly notExamined: number;
  /** How many tags had their manifest looked up. */
  readonly lookups: number;
}

/**
 * Chooses the image to lock: the newest tag the policy admits that really provides every required
 * platform, subject to the hold, bad tags and no-downgrade. Manifests are looked up only for
 * candidates in order, newest first, stopping at the first that qualifies, so choosing among
 * 10 000 tags costs a few lookups. Registry faults propagate (nothing is selected): an older tag
 * is never chosen because a newer one could not be checked.
 */
export async function selectImage(input: SelectImageInput): Promise<ImageSelection> {
  const required = (input.requiredPlatforms ?? ['linux/arm64']).map(normalizePlatformString);
  const bad = new Set(input.badTags ?? []);
  const listed = new Set(input.tags);
  const rejected: TagRejection[] = [];
  const seen = new Map<string, TagPlatforms | undefined>();
  let lookups = 0;
  const lookup = async (tag: string): Promise<TagPlatforms | undefined> => {
    if (seen.has(tag)) return seen.get(tag);
    lookups++;
    const p = await input.lookup.platformsOf(tag);
    seen.set(tag, p);
    return p;
  };
  /** Checks one tag's image; returns it when it qualifies, else records why not. */
  const qualify = async (tag: string): Promise<SelectedImage | undefined> => {
    const p = await lookup(tag);
    if (!p) {
      rejected.push({ tag, code: 'tag-vanished', message: 'listed, but the registry has no manifest for it any more' });
      return undefined;
    }
    const missing = required.filter((r) => !p.platforms.some((a) => platformSatisfies(r, a)));
    if (missing.length > 0) {
      rejected.push({
        tag,
        code: 'missing-platform',
        message: `lacks ${missing.join(', ')}; the image provides ${p.platforms.length > 0 ? p.platforms.join(', ') : 'no platform'}`,
        platforms: [...p.platforms],
      });
      return undefined;
    }
    return { tag, digest: p.digest, platforms: [...p.platforms] };
  };

  let locked: LockedTagState | undefined;
  if (input.locked) {
    const { tag, digest } = input.locked;
    const now = listed.has(tag) ? await lookup(tag) : undefined;
    locked = !now
      ? { tag, state: 'missing', lockedDigest: digest }
      : now.digest === digest
        ? { tag, state: 'current', digest }
        : { tag, state: 'repushed', lockedDigest: digest, registryDigest: now.digest };
  }
  const result = (outcome: ImageSelection['outcome'], selected: SelectedImage | undefined, notExamined: number): ImageSelection => ({
    outcome: selected ? outcome : 'none',
    ...(selected ? { selected } : {}),
    changed: selected !== undefined && (selected.tag !== input.locked?.tag || selected.digest !== input.locked?.digest),
    ...(locked ? { locked } : {}),
    ...(input.hold ? { hold: input.hold } : {}),
    rejected,
    notExamined,
    lookups,
  });

  const ranking = input.policy.rank(input.tags);

  if (input.hold) {
    const hold = input.hold;
    for (const c of ranking.candidates) {
      if (c.tag !== hold.tag) rejected.push({ tag: c.tag, code: 'held', message: `held at ${hold.tag}: ${hold.reason}` });
    }
    if (bad.has(hold.tag)) {
      rejected.push({ tag: hold.tag, code: 'bad-tag', message: `held, but marked bad (hold reason: ${hold.reason})` });
      return result('held', undefined, 0);
    }
    if (!listed.has(hold.tag)) {
      rejected.push({ tag: hold.tag, code: 'tag-vanished', message: `held (${hold.reason}), but the registry does not list it` });
      return result('held', undefined, 0);
    }
    return result('held', await qualify(hold.tag), 0);
  }

  rejected.push(...ranking.rejected);
  // The locked tag is the floor, unless it is itself marked bad: marking it bad means "go back".
  const floor = !input.allowDowngrade && input.locked && !bad.has(input.locked.tag) ? input.locked.tag : undefined;
  const candidates = ranking.candidates;
  for (let i = 0; i < candidates.length; i++) {
    const tag = (candidates[i] as { tag: string }).tag;
    if (bad.has(tag)) {
      rejected.push({ tag, code: 'bad-tag', message: 'marked bad; it is skipped until a newer tag appears' });
      continue;
    }
    if (floor !== undefined && tag !== floor && (input.policy.compareTags(tag, floor) ?? 0) < 0) {
      rejected.push({ tag, code: 'older-than-locked', message: `orders below the locked tag ${floor} and downgrades are not allowed` });
      continue;
    }
    const selected = await qualify(tag);
    if (selected) return result('selected', selected, candidates.length - i - 1);
  }
  return result('selected', undefined, 0);
}
