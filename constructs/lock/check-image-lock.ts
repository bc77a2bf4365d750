import type { Fleet } from '../fleet';
import type { ImagePolicy } from '../image-policy';
import { Site } from '../site';
import { compileGoRegex, testGoRegex } from '../validation';
import { ImageLock, ImageLockEntry } from './image-lock';

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
  | 'lock-entry-orphaned';

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
 * must satisfy the policy (range or order rule, filter, exclusions; a held tag need only be the
 * hold's) and its recorded platforms must cover the policy's required platforms. Pure.
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
    const heldHere = holds.some((h) => h!.tag === entry.tag) || policy.hold?.tag === entry.tag;
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
  };
  for (const key of Object.keys(lock.policies).sort()) checkEntry(key, lock.policies[key], `policies.${key}`);
  for (const site of sites) {
    const entries = lock.sites[site.siteName] ?? {};
    for (const key of Object.keys(entries).sort()) checkEntry(key, entries[key], `sites.${site.siteName}.${key}`, site);
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
