import { CompiledGoRegex, compileGoRegex, runGoRegex } from './go-regex';

/**
 * Narrows the tags a policy considers, with Flux semantics: tags that do not match `pattern`
 * are ignored; `extract` (a Go `regexp.Expand` template such as `$ts`, `${version}` or `$1`)
 * turns a matching tag into the value the policy orders.
 */
export interface TagFilter {
  /** Go (RE2) regular expression, unanchored. Named groups: `(?P<ts>[0-9]+)`. */
  readonly pattern: string;
  /**
   * Template built from the match: `$name`, `${name}`, `$1`; `$$` is a literal `$`.
   * @default the whole tag
   */
  readonly extract?: string;
}

/** One piece of an `extract` template: literal text, or a reference to a group by number or name. */
export type TemplatePart = { readonly literal: string } | { readonly group: string; readonly index?: number };

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Parses a Go `regexp.Expand` template exactly as Go does: `$name` and `${name}` take the longest
 * run of letters, digits and `_` (so `$1x` names the group "1x", not group 1), a name of digits
 * without a leading zero is a group number, `$$` is a literal `$`, and a malformed reference
 * (`$-`, `${x`) leaves the `$` as text.
 */
export function parseExtractTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  const chars = Array.from(template);
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] !== '$') {
      literal += chars[i];
      continue;
    }
    if (chars[i + 1] === '$') {
      literal += '$';
      i++;
      continue;
    }
    const brace = chars[i + 1] === '{';
    let j = i + 1 + (brace ? 1 : 0);
    let name = '';
    while (j < chars.length && NAME_CHAR.test(chars[j] as string)) name += chars[j++];
    if (name === '' || (brace && chars[j] !== '}')) {
      literal += '$';
      continue;
    }
    i = brace ? j : j - 1;
    if (literal) parts.push({ literal });
    literal = '';
    parts.push(groupRef(name));
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** Go's rule: up to 9 ASCII digits without a leading zero -> a group number; anything else is a name. */
function groupRef(name: string): TemplatePart {
  if (/^[0-9]{1,9}$/.test(name) && !(name.length > 1 && name.startsWith('0'))) return { group: name, index: Number(name) };
  return { group: name };
}

/** Validates a filter: the pattern compiles and every group `extract` names exists. */
export function tagFilterProblem(filter: TagFilter): { field: 'pattern' | 'extract'; problem: string } | undefined {
  const compiled = compileGoRegex(filter.pattern);
  if (!compiled.ok) return { field: 'pattern', problem: compiled.problem };
  if (filter.extract === undefined) return undefined;
  if (filter.extract === '') return { field: 'extract', problem: 'must not be empty; omit it to use the whole tag' };
  const parts = parseExtractTemplate(filter.extract);
  for (const part of parts) {
    // Go expands an unknown group to nothing; FluxOps refuses the template instead, since that is
    // always a typo (`$ts` for a group called `tstamp`) that would make every tag extract the same value.
    if ('group' in part && !groupExists(compiled.value, part)) {
      return {
        field: 'extract',
        problem: `refers to group "${part.group}" which the pattern does not define (groups: ${describeGroups(compiled.value)})`,
      };
    }
  }
  // The two places where JavaScript's submatches differ from Go's (see go-regex.ts): refuse rather
  // than extract a different value than Flux would.
  if (parts.some((p) => 'group' in p) && compiled.value.emptyLoop) {
    return {
      field: 'pattern',
      problem: 'repeats an expression that can match the empty string (like "(a?)+"); FluxOps cannot extract from it exactly as Go does. Make the repeated part non-empty',
    };
  }
  for (const part of parts) {
    if ('group' in part && groupIndexes(compiled.value, part).some((i) => compiled.value.groupsInLoops.has(i))) {
      return {
        field: 'extract',
        problem: `refers to group "${part.group}", which is inside a repetition; FluxOps cannot extract it exactly as Go does (Go keeps an earlier iteration's value). Capture the whole repetition instead`,
      };
    }
  }
  return undefined;
}

function groupIndexes(re: CompiledGoRegex, part: { group: string; index?: number }): readonly number[] {
  return part.index !== undefined ? [part.index] : (re.groupIndex.get(part.group) ?? []);
}

/**
 * Applies a filter to one tag the way Flux does (`FindStringSubmatchIndex` + `ExpandString`):
 * `undefined` if the pattern does not match anywhere in the tag, otherwise the expanded `extract`
 * template of the first match (the whole tag when there is no template).
 */
export function applyTagFilter(filter: TagFilter | undefined, tag: string): string | undefined {
  if (!filter) return tag;
  const compiled = compileGoRegex(filter.pattern);
  if (!compiled.ok) return undefined;
  return applyCompiledTagFilter(compiled.value, filter.extract, tag);
}

/**
 * {@link applyTagFilter} with an already compiled pattern (for scanning many tags). Throws
 * {@link RegexTimeLimitError} when a super-linear pattern runs away on `tag`.
 */
export function applyCompiledTagFilter(re: CompiledGoRegex, extract: string | undefined, tag: string): string | undefined {
  const match = runGoRegex(re, tag);
  if (!match) return undefined;
  if (extract === undefined || extract === '') return tag;
  return parseExtractTemplate(extract)
    .map((p) => ('literal' in p ? p.literal : groupValue(re, match, p)))
    .join('');
}

function groupExists(re: CompiledGoRegex, part: { group: string; index?: number }): boolean {
  if (part.index !== undefined) return part.index <= re.groupCount;
  return re.groupIndex.has(part.group);
}

/** Go's expand: a number past the last group, or a name no participating group has, expands to nothing. */
function groupValue(re: CompiledGoRegex, match: RegExpExecArray, part: { group: string; index?: number }): string {
  if (part.index !== undefined) return match[part.index] ?? '';
  const hit = (re.groupIndex.get(part.group) ?? []).find((i) => match[i] !== undefined);
  return hit === undefined ? '' : (match[hit] as string);
}

function describeGroups(re: CompiledGoRegex): string {
  const numbered = Array.from({ length: re.groupCount }, (_, i) => `$${i + 1}`);
  return [...re.groupNames.map((n) => `$${n}`), ...numbered].join(', ') || 'none';
}
