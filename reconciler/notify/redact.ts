/** What replaces a secret in any text FluxOps shows. */
export const REDACTED = '<redacted>';

/**
 * A function that removes secrets from text (error messages, response snippets) before they are
 * logged, recorded or thrown. For a URL secret (a Slack or Teams webhook) it also removes the
 * parts a message might quote on their own: the path and query, every long path segment or
 * query value, and the percent-encoded forms.
 */
export function secretRedactor(secrets: readonly string[]): (text: string) => string {
  const fragments = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    fragments.add(secret);
    fragments.add(encodeURIComponent(secret));
    const url = parseUrl(secret);
    if (!url) continue;
    fragments.add(url.href);
    if (url.pathname.length > 1 || url.search) fragments.add(`${url.pathname}${url.search}`);
    for (const segment of url.pathname.split('/')) if (segment.length >= 6) fragments.add(segment);
    for (const value of url.searchParams.values()) if (value.length >= 6) fragments.add(value);
    if (url.password) fragments.add(url.password);
  }
  // Longest first, so a URL is replaced whole before its segments are.
  const ordered = [...fragments].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text;
    for (const f of ordered) if (out.includes(f)) out = out.split(f).join(REDACTED);
    return out;
  };
}

function parseUrl(value: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
