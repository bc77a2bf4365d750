import { Construct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import { Fleet } from './fleet';
import { ImageRepository } from './image-repository';
import { checkUniqueName } from './unique-name';
import {
  FluxInterval,
  Platform,
  PrereleaseHandling,
  TagFilter,
  applyTagFilter,
  check,
  childPath,
  dnsLabelProblem,
  goParseFloat,
  imageTagProblem,
  intervalProblem,
  parseFluxVersion,
  platformProblem,
  satisfiesRange,
  semverRangeProblem,
  singleLineTextProblem,
  tagFilterProblem,
} from './validation';

/** Which end of an ordering wins. As in Flux, `asc` selects the highest value (`Z`, `9`). */
export type SortOrder = 'asc' | 'desc';

/** Pick the highest version in a semver range. */
export interface SemverPolicyRule {
  /** Discriminant. */
  readonly kind: 'semver';
  /** Range over the (extracted) tag, e.g. `^1.4.0`. */
  readonly range: string;
  /**
   * Whether prerelease tags (`1.5.0-rc.1`) are candidates.
   * @default 'exclude'
   */
  readonly prereleases?: PrereleaseHandling;
}

/** Order tags as strings. */
export interface AlphabeticalPolicyRule {
  /** Discriminant. */
  readonly kind: 'alphabetical';
  /** `asc` selects the last tag in ascending order. */
  readonly order: SortOrder;
}

/** Order tags as numbers (typically a build timestamp extracted with `filterTags`). */
export interface NumericalPolicyRule {
  /** Discriminant. */
  readonly kind: 'numerical';
  /** `asc` selects the highest number. */
  readonly order: SortOrder;
}

/** How a policy picks the latest tag. */
export type ImagePolicyRule = SemverPolicyRule | AlphabeticalPolicyRule | NumericalPolicyRule;

/** Keeps a policy on one tag until someone lifts the hold, with the reason recorded. */
export interface ImageHold {
  /** The tag to stay on. */
  readonly tag: string;
  /** Why (shown in warnings, annotations and commit messages). */
  readonly reason: string;
}

/** Properties of an {@link ImagePolicy}. */
export interface ImagePolicyProps {
  /**
   * Object name; also the policy's key in the lock file.
   * @default the construct id
   */
  readonly name?: string;
  /** The repository whose tags this policy chooses from. */
  readonly repository: ImageRepository;
  /** Ordering rule. */
  readonly policy: ImagePolicyRule;
  /**
   * Only consider matching tags, and order the extracted value.
   * @default all tags, ordered as written
   */
  readonly filterTags?: TagFilter;
  /** Tag to deploy while the lock file has no entry for this policy. Must be a candidate of the policy. */
  readonly initialTag: string;
  /**
   * Platforms every selected image must provide (checked against the image index).
   * @default ['linux/arm64']
   */
  readonly platforms?: readonly Platform[];
  /**
   * Deploy `name:tag@sha256:...` rather than `name:tag`, so a re-pushed tag cannot change what runs.
   * @default true
   */
  readonly digestPinning?: boolean;
  /**
   * Never move to a tag that orders below the locked one, even if the newer tag disappears.
   * @default true
   */
  readonly noDowngrade?: boolean;
  /**
   * Stay on one tag regardless of newer candidates.
   * @default no hold
   */
  readonly hold?: ImageHold;
  /**
   * Health-gated roll-back. When a workload running an image this policy's lock entry moved to
   * does not become healthy within `timeout` after the apply (or its pods crash-loop or cannot
   * pull), the reconciler commits the previous lock entry back with a message saying why, marks
   * the tag bad (`badTags`) so the policy skips it, and the site returns to the previous image.
   * `false` leaves a failed rollout in place (the site reports it as not Ready).
   * @default { timeout: '5m' }
   */
  readonly rollback?: false | ImageRollback;
}

/** Settings of health-gated roll-back. */
export interface ImageRollback {
  /**
   * How long a workload may take to become healthy after an image update.
   * @default '5m'
   */
  readonly timeout?: FluxInterval;
}

/** Chooses which tag of an {@link ImageRepository} the fleet runs. */
export class ImagePolicy extends Construct {
  /** Whether `x` is an ImagePolicy (works across copies of this module). */
  static isImagePolicy(x: unknown): x is ImagePolicy {
    return hasBrand(x, BRANDS.imagePolicy);
  }

  /** Object name and lock-file key. */
  readonly policyName: string;
  /** Repository scanned. */
  readonly repository: ImageRepository;
  /** Ordering rule. */
  readonly rule: ImagePolicyRule;
  /** Tag filter, if any. */
  readonly filterTags?: TagFilter;
  /** Fallback tag when the lock has no entry. */
  readonly initialTag: string;
  /** Required platforms. */
  readonly platforms: readonly Platform[];
  /** Whether images are pinned by digest. */
  readonly digestPinning: boolean;
  /** Whether downgrades are refused. */
  readonly noDowngrade: boolean;
  /** Active hold, if any. */
  readonly hold?: ImageHold;
  /** Health-gated roll-back (`false`: off), with its timeout. */
  readonly rollback: false | { readonly timeout: FluxInterval };

  constructor(scope: Construct, id: string, props: ImagePolicyProps) {
    const path = childPath(scope, id);
    const name = props.name ?? id;
    const platforms = props.platforms ?? ['linux/arm64'];
    const fleet = Fleet.of(scope);
    check(path, 'name', name, dnsLabelProblem(name));
    check(
      path,
      'repository',
      props.repository,
      !ImageRepository.isImageRepository(props.repository)
        ? 'must be an ImageRepository'
        : Fleet.of(props.repository) !== fleet
          ? 'belongs to a different fleet'
          : undefined,
    );
    checkRule(path, props.policy);
    if (props.filterTags !== undefined) {
      const p = tagFilterProblem(props.filterTags);
      if (p) check(path, `filterTags.${p.field}`, props.filterTags[p.field], p.problem);
    }
    check(path, 'initialTag', props.initialTag, imageTagProblem(props.initialTag));
    check(path, 'initialTag', props.initialTag, candidateProblem(props.policy, props.filterTags, props.initialTag));
    check(path, 'platforms', platforms, platforms.length === 0 ? 'must name at least one platform' : undefined);
    platforms.forEach((p, i) => check(path, `platforms[${i}]`, p, platformProblem(p)));
    check(path, 'platforms', platforms, new Set(platforms).size !== platforms.length ? 'must not repeat a platform' : undefined);
    if (props.hold !== undefined) {
      check(path, 'hold.tag', props.hold.tag, imageTagProblem(props.hold.tag));
      check(path, 'hold.reason', props.hold.reason, singleLineTextProblem(props.hold.reason));
    }
    const rollback = props.rollback === false ? false : { timeout: props.rollback?.timeout ?? ('5m' as FluxInterval) };
    if (props.rollback !== undefined && props.rollback !== false) {
      check(path, 'rollback', props.rollback, typeof props.rollback !== 'object' || props.rollback === null || Array.isArray(props.rollback) ? 'must be false or { timeout }' : undefined);
    }
    if (rollback) check(path, 'rollback.timeout', rollback.timeout, intervalProblem(rollback.timeout));
    checkUniqueName(path, 'name', name, fleet.imagePolicies, (p) => p.policyName === name);
    super(scope, id);
    this.policyName = name;
    this.repository = props.repository;
    this.rule = props.policy;
    this.filterTags = props.filterTags;
    this.initialTag = props.initialTag;
    this.platforms = [...platforms];
    this.digestPinning = props.digestPinning ?? true;
    this.noDowngrade = props.noDowngrade ?? true;
    this.hold = props.hold;
    this.rollback = rollback;
    setBrand(this, BRANDS.imagePolicy);
  }

  /** The policy's key in the lock file. */
  get lockKey(): string {
    return this.policyName;
  }

  /** The value this policy would order for `tag`, or `undefined` if the tag is not a candidate. */
  candidateValue(tag: string): string | undefined {
    return policyCandidate(this.rule, this.filterTags, tag);
  }
}

/**
 * The value a rule orders for `tag` (after the filter's `extract`), or `undefined` when the tag
 * is filtered out or cannot be ordered by the rule (not semver in range, not a number).
 */
export function policyCandidate(rule: ImagePolicyRule, filter: TagFilter | undefined, tag: string): string | undefined {
  const value = applyTagFilter(filter, tag);
  if (value === undefined) return undefined;
  switch (rule.kind) {
    case 'semver':
      return satisfiesRange(value, rule.range, rule.prereleases) ? value : undefined;
    case 'numerical':
      return numericalValue(value) !== undefined ? value : undefined;
    case 'alphabetical':
      return value;
  }
}

/**
 * The number a numerical rule orders for an (extracted) tag: Go's `strconv.ParseFloat`, as Flux
 * reads it. NaN is not a candidate: Flux's ordering of NaN depends on the order tags were listed.
 */
export function numericalValue(value: string): number | undefined {
  const r = goParseFloat(value);
  return r.ok && !Number.isNaN(r.value) ? r.value : undefined;
}

function candidateProblem(rule: ImagePolicyRule, filter: TagFilter | undefined, tag: string): string | undefined {
  if (policyCandidate(rule, filter, tag) !== undefined) return undefined;
  const value = applyTagFilter(filter, tag);
  if (value === undefined) return 'does not match filterTags.pattern';
  if (rule.kind === 'semver') {
    if (parseFluxVersion(value) === undefined) return `extracted value "${value}" is not a semver version (major.minor.patch, optional "v")`;
    return `version ${value} is not in range "${rule.range}" (prereleases: ${rule.prereleases ?? 'exclude'})`;
  }
  return `extracted value "${value}" is not a number`;
}

function checkRule(path: string, rule: ImagePolicyRule): void {
  switch (rule?.kind) {
    case 'semver':
      check(
        path,
        'policy.prereleases',
        rule.prereleases,
        rule.prereleases === undefined || rule.prereleases === 'exclude' || rule.prereleases === 'include'
          ? undefined
          : 'must be "exclude" or "include"',
      );
      return check(path, 'policy.range', rule.range, semverRangeProblem(rule.range, rule.prereleases));
    case 'alphabetical':
    case 'numerical':
      return check(path, 'policy.order', rule.order, rule.order === 'asc' || rule.order === 'desc' ? undefined : 'must be "asc" or "desc"');
    default:
      check(path, 'policy.kind', (rule as { kind?: unknown } | undefined)?.kind, 'must be one of semver, alphabetical, numerical');
  }
}
