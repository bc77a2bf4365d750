import { CompiledGoRegex, compileGoRegex } from './go-regex';

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

type TemplatePart = { readonly literal: string } | { readonly group: string };

/** Parses a Go `regexp.Expand` template into literal and group parts. */
export function parseExtractTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      literal += c;
      continue;
    }
    if (template[i + 1] === '$') {
      literal += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      if (close > i + 2) {
        name = template.slice(i + 2, close);
        i = close;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        i += m[0].length;
      }
    }
    if (name === undefined) {
      // Go copies a `$` that does not start a valid reference literally.
      literal += '$';
      continue;
    }
    if (literal) parts.push({ literal });
    literal = '';
    parts.push({ group: name });
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** Validates a filter: the pattern compiles and every group `extract` names exists. */
export function tagFilterProblem(filter: TagFilter): { field: 'pattern' | 'extract'; problem: string } | undefined {
  const compiled = compileGoRegex(filter.pattern);
  if (!compiled.ok) return { field: 'pattern', problem: compiled.problem };
  if (filter.extract === undefined) return undefined;
  if (filter.extract === '') return { field: 'extract', problem: 'must not be empty; omit it to use the whole tag' };
  for (const part of parseExtractTemplate(filter.extract)) {
    if ('group' in part && !groupExists(compiled.value, part.group)) {
      return {
        field: 'extract',
        problem: `refers to group "${part.group}" which the pattern does not define (groups: ${describeGroups(compiled.value)})`,
      };
    }
  }
  return undefined;
}

/**
 * Applies a filter to one tag: `undefined` if the tag is filtered out, otherwise the extracted
 * value the policy should order.
 */
export function applyTagFilter(filter: TagFilter | undefined, tag: string): string | undefined {
  if (!filter) return tag;
  const compiled = compileGoRegex(filter.pattern);
  if (!compiled.ok) return undefined;
  const match = compiled.value.regex.exec(tag);
  if (!match) return undefined;
  if (filter.extract === undefined) return tag;
  return parseExtractTemplate(filter.extract)
    .map((p) => ('literal' in p ? p.literal : groupValue(match, p.group)))
    .join('');
}

function groupExists(re: CompiledGoRegex, name: string): boolean {
  if (/^[0-9]+$/.test(name)) return Number(name) <= re.groupCount;
  return re.groupNames.includes(name);
}

function groupValue(match: RegExpExecArray, name: string): string {
  if (/^[0-9]+$/.test(name)) return match[Number(name)] ?? '';
  return match.groups?.[name] ?? '';
}

function describeGroups(re: CompiledGoRegex): string {
  const numbered = Array.from({ length: re.groupCount }, (_, i) => `$${i + 1}`);
  return [...re.groupNames.map((n) => `$${n}`), ...numbered].join(', ') || 'none';
}
