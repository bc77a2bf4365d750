import type { Fleet } from '../fleet';
import type { ImagePolicy } from '../image-policy';
import { Site } from '../site';
import { compileGoRegex, testGoRegex } from '../validation';
import { ImageLock, ImageLockEntry, ImageLockHold, findBadTag } from './image-lock';

/** Flux's default `exclusionList` of an ImageRepository (cosign signature tags). */
export const DEFAULT_TAG_EXCLUSIONS: readonly string[] = ['^.*\\.sig$'];

/** Why a lock entry cannot be deployed as is. */
export type LockProblemCode =
  /** The entry names another image than its policy's repository (renamed lock, moved registry). */
  | 'lock-image-mismatch'
  /** The tag is not a candidate of the policy (range, filter pattern, not a number...). */
  | 'lock-tag-out-of-policy'
  /** The tag matches the repository's exclusion list. */
  | 'lock-tag-excluded'
  /** The recorded platforms do not cover the policy's required platforms (or none are recorded). */
  | 'lock-platforms-missing'
  /** An entry for a policy the fleet no longer has (harmless; image automation removes it). */
  | 'lock-entry-orphaned'
  /** The entry's tag is marked bad (deploys go on; image automation moves off it, a hold rolls back now). */
  | 'lock-tag-bad'
  /** A hold for a policy the fleet does not have, for a site it does not have, or for a policy no app on that site uses (it has no effect). */
  | 'lock-hold-orphaned'
  /** A lock hold that a hold in fleet code overrides (it has no effect while the code hold exists). */
  | 'lock-hold-overridden'
  /** A lock hold on a tag the lock also marks bad (the hold wins: it is the explicit decision). */
  | 'lock-hold-bad-tag'
  /** Bad tags for a policy the fleet does not have (harmless). */
  | 'lock-bad-tag-orphaned';

/** One finding of {@link checkImageLock}, naming the policy, the lock field and the value. */
export interface LockProblem {
  readonly code: LockProblemCode;
  /** `error` blocks `up`, `preview` and the reconciler; `warning` never blocks. */
  readonly severity: 'error' | 'warning';
  /** Policy (lock key). */
  readonly policy: string;
  /** Site of a site-specific entry. */
  readonly site?: string;
  /** Dotted path of the field in the lock file (`policies.gateway.tag`). */
  readonly field: string;
  /** The offending value. */
  readonly value: unknown;
  /** Why, without the prefix. */
  readonly reason: string;
  /** One line for people: `<source>: <field> "<value>": <reason>`. */
  readonly message: string;
}

/** Options of {@link checkImageLock}. */
export interface CheckImageLockOptions {
  /** Site whose entries (and holds) are checked; fleet-wide entries are always checked. @default every site */
  readonly site?: string | Site;
  /** Name of the lock in messages (file path, or `<repo>@<commit>:fluxops.lock.yaml`). */
  readonly source: string;
}

/**
 * Validates a lock against the fleet: every entry must belong to its policy's repository, its tag
 * must satisfy the policy (range or order rule, filter, exclusions; a held tag, by a hold in code
 * or in the lock, need only be the hold's) and its recorded platforms must cover the policy's
 * required platforms. Pure.
 *
 * Holds and bad tags only ever give warnings: a hold may name any valid tag (rolling back outside
 * the policy's range is what holds are for); a held tag whose entry the lock records deploys that
 * entry's digest, and that entry is checked like any other (platforms included); a held tag
 * without an entry cannot be checked offline and deploys by tag (`digest-unknown`) until image
 * automation records it. Holds and bad tags for unknown policies or sites, lock holds that a code
 * hold overrides, holds on bad tags and entries on bad tags are reported as warnings.
 *
 * Callers that deploy (`up`, `preview`, the reconciler) refuse to continue on any `error`;
 * `synth` reports them as warnings unless `--strict`.
 */
export function checkImageLock(fleet: Fleet, lock: ImageLock, opts: CheckImageLockOptions): LockProblem[] {
  const problems: LockProblem[] = [];
  const sites = opts.site === undefined ? fleet.sites : [Site.isSite(opts.site) ? opts.site : fleet.findSite(opts.site)].filter((s): s is Site => !!s);
  const byName = new Map(fleet.imagePolicies.map((p) => [p.lockKey, p]));
  const add = (p: Omit<LockProblem, 'message'>): void => {
    problems.push({ ...p, message: `${opts.source}: ${p.field} ${JSON.stringify(p.value)}: ${p.reason}` });
  };
  const checkEntry = (key: string, entry: ImageLockEntry, prefix: string, site?: Site): void => {
    const policy = byName.get(key);
    if (!policy) {
      add({ code: 'lock-entry-orphaned', severity: 'warning', policy: key, ...(site ? { site: site.siteName } : {}), field: prefix, value: entry.image, reason: 'no image policy of this name exists in the fleet' });
      return;
    }
    const siteName = site ? { site: site.siteName } : {};
    if (entry.image !== policy.repository.image) {
      add({
        code: 'lock-image-mismatch',
        severity: 'error',
        policy: key,
        ...siteName,
        field: `${prefix}.image`,
        value: entry.image,
        reason: `policy ${policy.node.path} follows ${policy.repository.image}; the entry is for another image (renamed policy or moved registry?). Run image automation to record the new repository, or fix the entry by hand`,
      });
    }
    const holds = (site ? [site] : sites).map((s) => s.holdFor(policy)).filter((h) => h !== undefined);
    const lockHolds: ImageLockHold[] = [
      ...(lock.holds?.[key] ? [lock.holds[key]] : []),
      ...(site ? [site] : sites).map((s) => lock.siteHolds?.[s.siteName]?.[key]).filter((h): h is ImageLockHold => h !== undefined),
    ];
    const heldHere = holds.some((h) => h!.tag === entry.tag) || policy.hold?.tag === entry.tag || lockHolds.some((h) => h.tag === entry.tag);
    if (!heldHere) {
      const excluded = exclusionMatch(policy, entry.tag);
      if (excluded !== undefined) {
        add({ code: 'lock-tag-excluded', severity: 'error', policy: key, ...siteName, field: `${prefix}.tag`, value: entry.tag, reason: `matches the exclusion pattern ${JSON.stringify(excluded)} of repository ${policy.repository.repositoryName}` });
      } else if (policy.candidateValue(entry.tag) === undefined) {
        add({ code: 'lock-tag-out-of-policy', severity: 'error', policy: key, ...siteName, field: `${prefix}.tag`, value: entry.tag, reason: `is not allowed by policy ${policy.policyName} (${describeRule(policy)})` });
      }
    }
    const recorded = entry.platforms ?? [];
    const missing = policy.platforms.filter((p) => !recorded.includes(p));
    if (missing.length > 0) {
      add({
        code: 'lock-platforms-missing',
        severity: 'error',
        policy: key,
        ...siteName,
        field: `${prefix}.platforms`,
        value: entry.platforms ?? null,
        reason: `${entry.platforms === undefined ? 'no platforms are recorded' : `the image provides ${recorded.join(', ') || 'no platform'}`}; policy ${policy.policyName} requires ${policy.platforms.join(', ')} (missing ${missing.join(', ')})`,
      });
    }
    const bad = findBadTag(lock, key, entry.tag);
    if (bad && !heldHere) {
      add({
        code: 'lock-tag-bad',
        severity: 'warning',
        policy: key,
        ...siteName,
        field: `${prefix}.tag`,
        value: entry.tag,
        reason: `is marked bad (badTags.${key}: ${bad.reason}); it stays deployed until image automation selects another tag. To roll back now: fluxops images hold ${key} <tag> --reason "..."`,
      });
    }
  };
  const checkHold = (key: string, hold: ImageLockHold, prefix: string, siteName?: string): void => {
    const at = siteName !== undefined ? { site: siteName } : {};
    const policy = byName.get(key);
    const site = siteName !== undefined ? fleet.findSite(siteName) : undefined;
    const orphan = !policy
      ? 'no image policy of this name exists in the fleet'
      : siteName !== undefined && !site
        ? `no site ${siteName} exists in the fleet`
        : site && !site.imagePolicies.includes(policy)
          ? `no app on site ${siteName} uses policy ${key}`
          : undefined;
    if (orphan || !policy) {
      add({ code: 'lock-hold-orphaned', severity: 'warning', policy: key, ...at, field: prefix, value: hold.tag, reason: `${orphan}; the hold has no effect` });
      return;
    }
    // Where a hold in code takes precedence (holds in code win over holds in the lock).
    const overriddenOn = policy.hold ? ['every site'] : (site ? [site] : sites).filter((s) => s.holds.some((h) => h.policy === policy)).map((s) => `site ${s.siteName}`);
    if (overriddenOn.length > 0) {
      const by = policy.hold ? `the hold of policy ${policy.node.path} (at ${policy.hold.tag})` : 'Site.holds in fleet code';
      add({
        code: 'lock-hold-overridden',
        severity: 'warning',
        policy: key,
        ...at,
        field: prefix,
        value: hold.tag,
        reason: `has no effect on ${overriddenOn.join(', ')}: ${by} wins (holds in code win over holds in the lock)`,
      });
    }
    const bad = findBadTag(lock, key, hold.tag);
    if (bad) {
      add({ code: 'lock-hold-bad-tag', severity: 'warning', policy: key, ...at, field: `${prefix}.tag`, value: hold.tag, reason: `is marked bad (${bad.reason}); the hold wins and deploys it anyway` });
    }
  };
  for (const key of Object.keys(lock.policies).sort()) checkEntry(key, lock.policies[key], `policies.${key}`);
  for (const site of sites) {
    const entries = lock.sites[site.siteName] ?? {};
    for (const key of Object.keys(entries).sort()) checkEntry(key, entries[key], `sites.${site.siteName}.${key}`, site);
  }
  for (const key of Object.keys(lock.holds ?? {}).sort()) checkHold(key, lock.holds![key], `holds.${key}`);
  const heldSites = Object.keys(lock.siteHolds ?? {}).sort();
  for (const siteName of heldSites) {
    // Like site entries: a check for one site looks at that site's holds only.
    if (opts.site !== undefined && !sites.some((s) => s.siteName === siteName)) continue;
    const held = lock.siteHolds![siteName];
    for (const key of Object.keys(held).sort()) checkHold(key, held[key], `siteHolds.${siteName}.${key}`, siteName);
  }
  for (const key of Object.keys(lock.badTags ?? {}).sort()) {
    if (!byName.has(key)) {
      add({ code: 'lock-bad-tag-orphaned', severity: 'warning', policy: key, field: `badTags.${key}`, value: lock.badTags![key].map((b) => b.tag), reason: 'no image policy of this name exists in the fleet' });
    }
  }
  return problems;
}

function exclusionMatch(policy: ImagePolicy, tag: string): string | undefined {
  for (const pattern of policy.repository.exclusionList ?? DEFAULT_TAG_EXCLUSIONS) {
    const compiled = compileGoRegex(pattern);
    if (compiled.ok && testGoRegex(compiled.value, tag)) return pattern;
  }
  return undefined;
}

function describeRule(policy: ImagePolicy): string {
  const rule = policy.rule;
  const base = rule.kind === 'semver' ? `semver range ${rule.range}${rule.prereleases === 'include' ? ', prereleases included' : ''}` : `${rule.kind} ${rule.order}`;
  return policy.filterTags ? `${base}, filter ${policy.filterTags.pattern}` : base;
}
