/**
 * Flux evaluates tag filters and exclusion lists with Go's RE2. FluxOps evaluates the same
 * patterns in JavaScript, so a pattern is accepted only if both engines read it the same way.
 */

/** A Go (RE2) pattern translated to an equivalent JavaScript `RegExp`. */
export interface CompiledGoRegex {
  /** The pattern as written (Go syntax). */
  readonly source: string;
  /** The equivalent JavaScript expression (unanchored, like Go's `MatchString`). */
  readonly regex: RegExp;
  /** Names of named capture groups, in order of appearance. */
  readonly groupNames: readonly string[];
  /** Number of capture groups, named or not. */
  readonly groupCount: number;
}

/** Result of {@link compileGoRegex}. */
export type GoRegexResult = { readonly ok: true; readonly value: CompiledGoRegex } | { readonly ok: false; readonly problem: string };

const LEADING_FLAGS = /^\(\?([a-zA-Z]+)\)/;

/** Translates and compiles a Go regular expression; rejects constructs RE2 or FluxOps cannot run. */
export function compileGoRegex(pattern: string): GoRegexResult {
  if (typeof pattern !== 'string' || pattern === '') return { ok: false, problem: 'must be a non-empty regular expression' };
  let body = pattern;
  let flags = '';
  const lead = LEADING_FLAGS.exec(body);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 's' || f === 'm') flags += flags.includes(f) ? '' : f;
      else return { ok: false, problem: `inline flag "${f}" is not supported (only i, s, m at the start)` };
    }
    body = body.slice(lead[0].length);
  }
  let out = '';
  const groupNames: string[] = [];
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined) return { ok: false, problem: 'ends with a lone backslash' };
      if (!inClass && /[1-9]/.test(n)) return { ok: false, problem: 'backreferences (\\1) are not supported by Go RE2' };
      if (n === 'k' && body[i + 2] === '<') return { ok: false, problem: 'named backreferences are not supported by Go RE2' };
      if (n === 'z') out += '$(?![\\s\\S])';
      else if (n === 'A') out += '^';
      else if (n === 'p' || n === 'P' || n === 'Q' || n === 'C') {
        return { ok: false, problem: `escape \\${n} is not supported by FluxOps's evaluator` };
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && body[i + 1] === ':') return { ok: false, problem: 'POSIX classes like [[:alpha:]] are not supported; use [a-zA-Z]' };
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (body[i + 1] === '^') out += body[++i];
      if (body[i + 1] === ']') out += body[++i];
      continue;
    }
    if (c === '(' && body[i + 1] === '?') {
      const rest = body.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) return { ok: false, problem: 'lookaround assertions are not supported by Go RE2' };
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        if (groupNames.includes(named[1])) return { ok: false, problem: `duplicate group name "${named[1]}"` };
        groupNames.push(named[1]);
        out += `(?<${named[1]}>`;
        i += 1 + named[0].length;
        continue;
      }
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 2;
        continue;
      }
      return { ok: false, problem: 'only (?:...), (?P<name>...) and (?<name>...) groups are supported' };
    }
    out += c;
  }
  let regex: RegExp;
  try {
    regex = new RegExp(out, flags);
  } catch (e) {
    return { ok: false, problem: `is not a valid regular expression (${(e as Error).message})` };
  }
  const groupCount = (new RegExp(`${out}|`, flags).exec('') ?? ['']).length - 1;
  return { ok: true, value: { source: pattern, regex, groupNames, groupCount } };
}

/** Validates a Go regular expression; see {@link compileGoRegex}. */
export function goRegexProblem(pattern: string): string | undefined {
  const r = compileGoRegex(pattern);
  return r.ok ? undefined : r.problem;
}
