import { UnauthorizedRequestError } from './errors';
import { headerValue, type HeaderMap } from './request';
import { isSha256Hex, tokenMatches, verifyHmacSha256 } from './signatures';

/**
 * Credential checks that throw {@link UnauthorizedRequestError} (401) naming the header and what
 * was wrong with it (missing, malformed, mismatch), never the value presented or expected.
 */

/** Options for {@link requireHmacSignature}. */
export interface HmacSignatureCheck {
  readonly headers: HeaderMap;
  readonly body: Buffer;
  /** Header carrying the signature, e.g. `X-Hub-Signature-256`. */
  readonly header: string;
  /** Text before the hex digest, e.g. `sha256=` (GitHub); `''` for a bare digest (Gitea). */
  readonly prefix: string;
  readonly secrets: readonly string[];
  readonly input: string;
}

/** Requires `header` to hold `<prefix><hex HMAC-SHA256 of the raw body>` under one of the secrets. */
export function requireHmacSignature(check: HmacSignatureCheck): void {
  const { header, input } = check;
  const raw = headerValue(check.headers, header);
  if (raw === undefined || raw.trim() === '') {
    throw new UnauthorizedRequestError({ input, field: header, problem: 'missing', reason: 'is missing: the request is not signed (configure the webhook secret on the sender)' });
  }
  const value = raw.trim();
  const hasPrefix = check.prefix === '' || value.toLowerCase().startsWith(check.prefix.toLowerCase());
  const hex = hasPrefix ? value.slice(check.prefix.length) : '';
  if (!hasPrefix || !isSha256Hex(hex)) {
    const shape = check.prefix === '' ? '64 hex digits' : `${check.prefix}<64 hex digits>`;
    throw new UnauthorizedRequestError({ input, field: header, problem: 'malformed', reason: `is not of the form ${shape} (HMAC-SHA256)` });
  }
  if (!verifyHmacSha256(check.body, hex, check.secrets)) {
    throw new UnauthorizedRequestError({ input, field: header, problem: 'mismatch', reason: 'does not match the body signed with the configured secret' });
  }
}

/** Where a token is looked for by {@link requireToken}: a header (with an optional scheme such as `Bearer`) or a query parameter. */
export type TokenLocation =
  | { readonly kind: 'header'; readonly name: string; /** e.g. `Bearer`; `''` for the bare token. */ readonly scheme: string }
  | { readonly kind: 'query'; readonly name: string };

/** Options for {@link requireToken}. */
export interface TokenCheck {
  readonly headers: HeaderMap;
  readonly query?: URLSearchParams;
  /** Accepted locations, tried in order; the first one present is checked. */
  readonly locations: readonly TokenLocation[];
  readonly secrets: readonly string[];
  readonly input: string;
}

/** Requires a shared-secret token (GitLab, registry notifications, Harbor, Docker Hub), compared by hash in constant time. */
export function requireToken(check: TokenCheck): void {
  const { input } = check;
  for (const loc of check.locations) {
    const raw = loc.kind === 'header' ? headerValue(check.headers, loc.name) : (check.query?.get(loc.name) ?? undefined);
    if (raw === undefined || raw === '') continue;
    const field = loc.kind === 'header' ? loc.name : `query parameter ${loc.name}`;
    let token = raw;
    if (loc.kind === 'header' && loc.scheme !== '') {
      const prefix = `${loc.scheme} `;
      if (!raw.toLowerCase().startsWith(prefix.toLowerCase())) {
        throw new UnauthorizedRequestError({ input, field, problem: 'malformed', reason: `is not of the form "${loc.scheme} <token>"` });
      }
      token = raw.slice(prefix.length).trim();
    }
    if (!tokenMatches(token, check.secrets)) {
      throw new UnauthorizedRequestError({ input, field, problem: 'mismatch', reason: 'does not match the configured secret' });
    }
    return;
  }
  const names = check.locations.map((l) => (l.kind === 'header' ? l.name : `query parameter ${l.name}`));
  throw new UnauthorizedRequestError({
    input,
    field: names[0] ?? 'credentials',
    problem: 'missing',
    reason: names.length > 1 ? `is missing (also looked for ${names.slice(1).join(', ')})` : 'is missing',
  });
}
