import { ImageLock, findLockEntry, findLockHold, lockBadTags } from '../../constructs/lock';
import type { PolicyHoldData } from '../synth/protocol';
import type { LockedTag, TagHold } from './policy/select-image';

/**
 * What {@link policyState} needs to know about a policy besides its name: the repository it
 * follows (a lock entry for another image is ignored, as synthesis does) and the holds declared
 * in fleet code (`PolicyData.holds` from isolated synthesis; only `source: 'construct'` holds are
 * used here, lock holds are read from the lock given, which may be newer).
 */
export interface PolicyStatePolicy {
  /** Policy name (lock key). */
  readonly name: string;
  /** Repository image (`registry/path`); when given, a lock entry for another image is ignored. */
  readonly repository?: string;
  /** Holds by site or `*` (`PolicyData.holds`). */
  readonly holds?: Readonly<Record<string, PolicyHoldData>>;
}

/** A hold with where it was declared. */
export interface PolicyStateHold extends TagHold {
  /** `construct` (fleet code) or `lock` (`holds`/`siteHolds`). */
  readonly source: 'construct' | 'lock';
  /** `site` (one site) or `fleet`. */
  readonly scope: 'site' | 'fleet';
  /** When a lock hold was set. */
  readonly since?: string;
}

/** The inputs `selectImage` takes from the lock, for one policy (on one site). */
export interface PolicyState {
  /** The lock entry selection starts from (the site's own, else the fleet-wide one), with its scope. */
  readonly locked?: LockedTag & { readonly scope: 'site' | 'fleet' };
  /** The hold in effect: a hold in fleet code wins over a hold in the lock; a site's own hold over a fleet-wide one. */
  readonly hold?: PolicyStateHold;
  /** Tags never to select (`badTags` of the policy), in file order. */
  readonly badTags: readonly string[];
}

/**
 * The lock's view of one policy for the image loop: the entry to start from, the hold in effect
 * and the bad tags, ready for `selectImage({ locked, hold, badTags, ... })`. Pure.
 *
 * Hold precedence matches synthesis (`effectiveHold`): the site's hold in code, the policy's hold
 * in code, the site's lock hold (`siteHolds`), the fleet-wide lock hold (`holds`). Passing just
 * the policy name considers lock holds only.
 */
export function policyState(lock: ImageLock, policy: string | PolicyStatePolicy, site?: string): PolicyState {
  const p: PolicyStatePolicy = typeof policy === 'string' ? { name: policy } : policy;
  const found = findLockEntry(lock, p.name, site);
  const locked = found && (p.repository === undefined || found.entry.image === p.repository) ? { tag: found.entry.tag, digest: found.entry.digest, scope: found.scope } : undefined;
  const badTags = lockBadTags(lock, p.name).map((b) => b.tag);
  return { ...(locked ? { locked } : {}), ...withHold(codeHold(p, site) ?? lockHold(lock, p.name, site)), badTags };
}

function withHold(hold: PolicyStateHold | undefined): { hold?: PolicyStateHold } {
  return hold ? { hold } : {};
}

/** A construct hold from `PolicyData.holds`: the site's entry if it came from code, else `*` if it came from code. */
function codeHold(p: PolicyStatePolicy, site: string | undefined): PolicyStateHold | undefined {
  const fromCode = (h: PolicyHoldData | undefined) => h !== undefined && (h.source ?? 'construct') === 'construct';
  const own = site !== undefined ? p.holds?.[site] : undefined;
  if (own && fromCode(own)) return { tag: own.tag, reason: own.reason, source: 'construct', scope: 'site' };
  const everywhere = p.holds?.['*'];
  if (everywhere && fromCode(everywhere)) return { tag: everywhere.tag, reason: everywhere.reason, source: 'construct', scope: 'fleet' };
  return undefined;
}

function lockHold(lock: ImageLock, policy: string, site: string | undefined): PolicyStateHold | undefined {
  const found = findLockHold(lock, policy, site);
  return found ? { tag: found.hold.tag, reason: found.hold.reason, source: 'lock', scope: found.scope, since: found.hold.since } : undefined;
}
