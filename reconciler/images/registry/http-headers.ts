/**
 * Parsers for the HTTP headers the distribution API relies on: `WWW-Authenticate` challenges,
 * `Link` pagination and `Retry-After`. Pure functions.
 */

/** One authentication challenge (`Bearer realm="...",service="...",scope="..."`). */
export interface AuthChallenge {
  /** Scheme in lower case (`bearer`, `basic`). */
  readonly scheme: string;
  /** Parameters, names in lower case. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235): several challenges, each a scheme followed by
 * comma-separated `name=value` or `name="quoted \"value\""` parameters.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: Array<{ scheme: string; params: Record<string, string> }> = [];
  let i = 0;
  const s = header;
  const skipSpaces = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipSpaces();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const word = token();
    if (word === '') {
      i++;
      continue;
    }
    skipSpaces();
    if (s[i] === '=') {
      // A parameter of the current challenge.
      i++;
      skipSpaces();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        // Lenient: an unquoted value runs to the next comma or blank (some servers leave URLs unquoted).
        const start = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
        value = s.slice(start, i);
      }
      const current = out[out.length - 1];
      if (current) current.params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}

/** The URL of the `rel="next"` link in a `Link` header, if any (relative URLs as given). */
export function nextLink(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = m[2] ?? '';
    if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(params)) return m[1];
  }
  return undefined;
}

/**
 * Milliseconds to wait according to `Retry-After`: delta-seconds or an HTTP date (relative to
 * `now`). `undefined` when absent or unreadable; never negative.
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/[a-zA-Z]/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
