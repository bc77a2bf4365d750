import type { ImagePolicy } from './image-policy';
import { ImageLock, findLockHold } from './lock/image-lock';
import type { Site } from './site';

/** The hold that decides a policy's tag on a site, and where it was declared. */
export interface EffectiveHold {
  /** The tag to stay on. */
  readonly tag: string;
  /** Why. */
  readonly reason: string;
  /** `construct`: `Site.holds` or `ImagePolicy.hold` in fleet code; `lock`: `holds`/`siteHolds` in the lock file. */
  readonly source: 'construct' | 'lock';
  /** `site` when it holds one site only, `fleet` when it holds the policy everywhere. */
  readonly scope: 'site' | 'fleet';
  /** When a lock hold was set (lock holds only). */
  readonly since?: string;
}

/**
 * The hold in effect for `policy` on `site` (or fleet-wide without a site). Holds in fleet code
 * win over holds in the lock, because code is reviewed with the change that needs it and a lock
 * hold is an operational switch: a construct hold (the site's own, else the policy's), else a
 * lock hold (`siteHolds` of the site, else `holds`).
 */
export function effectiveHold(policy: ImagePolicy, site: Site | undefined, lock: ImageLock): EffectiveHold | undefined {
  const siteOwn = site?.holds.find((h) => h.policy === policy);
  if (siteOwn) return { tag: siteOwn.tag, reason: siteOwn.reason, source: 'construct', scope: 'site' };
  if (policy.hold) return { tag: policy.hold.tag, reason: policy.hold.reason, source: 'construct', scope: 'fleet' };
  const locked = findLockHold(lock, policy.lockKey, site?.siteName);
  return locked ? { tag: locked.hold.tag, reason: locked.hold.reason, source: 'lock', scope: locked.scope, since: locked.hold.since } : undefined;
}
