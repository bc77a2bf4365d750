import type { ImagePolicy, ImagePolicyRule } from '../../../constructs/image-policy';
import { applyCompiledTagFilter, compileGoRegex, imageTagProblem, RegexTimeLimitError, tagFilterProblem, type CompiledGoRegex, type TagFilter } from '../../../constructs/validation';
import { alphabeticalOrdering } from './alphabetical-ordering';
import { InvalidTagPolicyError } from './errors';
import { compileExclusionList, type ExclusionList } from './exclusion-list';
import { numericalOrdering } from './numerical-ordering';
import { semverOrdering } from './semver-ordering';
import type { TagOrdering } from './tag-ordering';
import type { TagRejection } from './tag-rejection';

/** What a policy is built from: the ImagePolicy's rule and filter, and its repository's exclusion list. */
export interface TagPolicySpec {
  /** Name for error messages (the policy's lock key). @default none */
  readonly name?: string;
  /** Ordering rule. */
  readonly rule: ImagePolicyRule;
  /** Tag filter (Go RE2 `pattern`, `regexp.Expand` `extract`). @default every tag, ordered as written */
  readonly filterTags?: TagFilter;
  /** ImageRepository `exclusionList` (Go RE2). @default {@link DEFAULT_EXCLUSION_LIST} */
  readonly exclusionList?: readonly string[];
}

/** A candidate tag and the value its ordering used. */
export interface RankedTag {
  readonly tag: string;
  /** The extracted value (the tag itself without `extract`). */
  readonly value: string;
}

/** Every tag of a list, split into candidates (best first) and rejections. */
export interface TagRanking {
  /** Candidates, newest first (position 0 is what {@link TagPolicy.latest} returns). */
  readonly candidates: readonly RankedTag[];
  /** Tags that are not candidates, with the reason, in input order. */
  readonly rejected: readonly TagRejection[];
}

/**
 * Chooses a tag from a list: Flux's "tiny interface" (`latest`), plus the ranking the selection
 * pipeline walks when it checks platforms, and a comparison for no-downgrade. Pure: no I/O.
 */
export interface TagPolicy {
  /** The policy's name, if given. */
  readonly name?: string;
  /** The rule in words (`semver ^1.2.0`, `numerical asc`). */
  readonly description: string;
  /** The ordering kind. */
  readonly kind: TagOrdering['kind'];
  /** The newest candidate, or `undefined` when no tag is a candidate. */
  latest(tags: readonly string[]): string | undefined;
  /** Candidates newest first, and why every other tag is not one. Throws {@link InvalidTagPolicyError} when a pattern runs past its time limit. */
  rank(tags: readonly string[]): TagRanking;
  /**
   * How two tags order under the policy, ignoring range and eligibility (a version outside the
   * range still orders): positive when `a` is newer. `undefined` when either tag is excluded, does
   * not match the filter, or has no order (`latest` under a semver rule).
   */
  compareTags(a: string, b: string): number | undefined;
}

/**
 * Builds a {@link TagPolicy}, validating every field first. Throws {@link InvalidTagPolicyError}
 * naming the field and value (the rule kind, order, range, filter pattern or extract, an exclusion).
 */
export function createTagPolicy(spec: TagPolicySpec): TagPolicy {
  const ordering = createOrdering(spec);
  const exclusions = compileExclusionList(spec.exclusionList, spec.name);
  const filter = compileFilter(spec.filterTags, spec.name);
  return new FilteredTagPolicy(spec.name, ordering, exclusions, filter);
}

/** {@link createTagPolicy} for an ImagePolicy construct (its rule, filter and repository's exclusion list). */
export function tagPolicyFor(policy: ImagePolicy): TagPolicy {
  return createTagPolicy({
    name: policy.policyName,
    rule: policy.rule,
    filterTags: policy.filterTags,
    exclusionList: policy.repository.exclusionList,
  });
}

function createOrdering(spec: TagPolicySpec): TagOrdering<unknown> {
  const rule = spec.rule as ImagePolicyRule | undefined;
  const fail = (field: string, value: unknown, reason: string): never => {
    throw new InvalidTagPolicyError({ field, value, reason, policy: spec.name });
  };
  switch (rule?.kind) {
    case 'semver': {
      if (rule.prereleases !== undefined && rule.prereleases !== 'include' && rule.prereleases !== 'exclude') {
        fail('rule.prereleases', rule.prereleases, 'must be "include" or "exclude"');
      }
      if (typeof rule.range !== 'string' || rule.range.trim() === '') fail('rule.range', rule.range, 'must be a non-empty semver range');
      try {
        return semverOrdering(rule.range, rule.prereleases) as TagOrdering<unknown>;
      } catch (err) {
        if (err instanceof InvalidTagPolicyError) fail(err.field, err.value, err.reason);
        throw err;
      }
    }
    case 'alphabetical':
    case 'numerical':
      if (rule.order !== 'asc' && rule.order !== 'desc') fail('rule.order', rule.order, 'must be "asc" or "desc"');
      return (rule.kind === 'alphabetical' ? alphabeticalOrdering(rule.order) : numericalOrdering(rule.order)) as TagOrdering<unknown>;
    default:
      return fail('rule.kind', (rule as { kind?: unknown } | undefined)?.kind, 'must be one of semver, alphabetical, numerical');
  }
}

interface CompiledFilter {
  readonly spec: TagFilter;
  readonly regex: CompiledGoRegex;
}

function compileFilter(filter: TagFilter | undefined, policy: string | undefined): CompiledFilter | undefined {
  if (filter === undefined) return undefined;
  const problem = tagFilterProblem(filter);
  if (problem) throw new InvalidTagPolicyError({ field: `filterTags.${problem.field}`, value: filter[problem.field], reason: problem.problem, policy });
  const r = compileGoRegex(filter.pattern);
  if (!r.ok) throw new InvalidTagPolicyError({ field: 'filterTags.pattern', value: filter.pattern, reason: r.problem, policy });
  return { spec: filter, regex: r.value };
}

/** The stages of a tag's evaluation: exclusion, filter (+extract), ordering key. */
type Evaluation<K> =
  | { readonly stage: 'rejected'; readonly rejection: TagRejection; readonly value?: string; readonly key?: K }
  | { readonly stage: 'candidate'; readonly value: string; readonly key: K };

class FilteredTagPolicy<K> implements TagPolicy {
  readonly description: string;
  readonly kind: TagOrdering['kind'];

  constructor(
    readonly name: string | undefined,
    private readonly ordering: TagOrdering<K>,
    private readonly exclusions: ExclusionList,
    private readonly filter: CompiledFilter | undefined,
  ) {
    this.kind = ordering.kind;
    const filterText = filter ? `, filter ${JSON.stringify(filter.spec.pattern)}${filter.spec.extract ? ` -> ${JSON.stringify(filter.spec.extract)}` : ''}` : '';
    this.description = `${ordering.description}${filterText}`;
  }

  latest(tags: readonly string[]): string | undefined {
    return this.rank(tags).candidates[0]?.tag;
  }

  rank(tags: readonly string[]): TagRanking {
    const candidates: Array<{ tag: string; value: string; key: K }> = [];
    const rejected: TagRejection[] = [];
    for (const tag of new Set(tags)) {
      const e = this.evaluate(tag);
      if (e.stage === 'candidate') candidates.push({ tag, value: e.value, key: e.key });
      else rejected.push(e.rejection);
    }
    candidates.sort((a, b) => this.ordering.compareKeys(b.key, a.key) || this.ordering.tieBreak(b, a));
    return { candidates: candidates.map(({ tag, value }) => ({ tag, value })), rejected };
  }

  compareTags(a: string, b: string): number | undefined {
    const ka = this.evaluate(a).key;
    const kb = this.evaluate(b).key;
    if (ka === undefined || kb === undefined) return undefined;
    return this.ordering.compareKeys(ka, kb);
  }

  private applyFilter(filter: CompiledFilter, tag: string): string | undefined {
    try {
      return applyCompiledTagFilter(filter.regex, filter.spec.extract, tag);
    } catch (err) {
      if (!(err instanceof RegexTimeLimitError)) throw err;
      throw new InvalidTagPolicyError({ field: 'filterTags.pattern', value: filter.spec.pattern, reason: err.message, policy: this.name, cause: err });
    }
  }

  private evaluate(tag: string): Evaluation<K> {
    // A listed tag that is not a valid OCI tag can never be requested (the registry client refuses
    // it), so choosing it would stall the policy for good; reject it like any other non-candidate.
    const invalid = imageTagProblem(tag);
    if (invalid !== undefined) return { stage: 'rejected', rejection: { tag, code: 'invalid-tag', message: invalid } };
    const excludedBy = this.exclusions.excludedBy(tag);
    if (excludedBy !== undefined) {
      return { stage: 'rejected', rejection: { tag, code: 'excluded', message: `matches exclusion pattern ${JSON.stringify(excludedBy)}` } };
    }
    const value = this.filter ? this.applyFilter(this.filter, tag) : tag;
    if (value === undefined) {
      return { stage: 'rejected', rejection: { tag, code: 'filtered', message: `does not match filterTags.pattern ${JSON.stringify(this.filter?.spec.pattern)}` } };
    }
    const k = this.ordering.key(value);
    if (k.rejection) {
      const via = value === tag ? '' : ` (extracted from ${tag})`;
      return { stage: 'rejected', value, key: k.key, rejection: { tag, code: k.rejection.code, message: `${k.rejection.message}${via}` } };
    }
    return { stage: 'candidate', value, key: k.key as K };
  }
}
