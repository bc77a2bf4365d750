/** The text that replaces a secret in anything FluxOps reports. */
export const REDACTED = '[REDACTED]';

/**
 * Removes secrets from text git printed before it goes into an error or a log: every occurrence
 * of the given strings, and any user info in URLs (`https://user:token@host` -> `https://host`).
 * Output is also cut to its last `maxChars` characters (the end of stderr says what failed).
 */
export function redactGitOutput(text: string, secrets: readonly string[], maxChars = 2000): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length > 0) out = out.split(s).join(REDACTED);
  }
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, (_m, scheme: string) => scheme);
  out = out.replace(/(authorization:\s*)(\S+)(\s+\S+)?/gi, (_m, p: string) => `${p}${REDACTED}`);
  out = out.trim();
  return out.length > maxChars ? `…${out.slice(out.length - maxChars)}` : out;
}
