import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookConfigError } from './errors';

/**
 * Constant-time credential checks for webhook receivers. Every function compares against all
 * configured secrets (secret rotation: old and new are both valid for a while) without returning
 * early, and never includes a secret or the presented value in anything it returns.
 */

/** One secret, or several during a rotation. */
export type SecretInput = string | readonly string[];

/** Validates and freezes configured secrets; an empty list or an empty/blank secret is a configuration error. */
export function normalizeSecrets(secrets: SecretInput, input: string): readonly string[] {
  const list = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (list.length === 0) throw new WebhookConfigError({ input, field: 'secret', reason: 'at least one secret is required' });
  for (const [i, s] of list.entries()) {
    // The value itself is never echoed; only where it is and what is wrong.
    if (typeof s !== 'string' || s.trim() === '') {
      throw new WebhookConfigError({ input, field: list.length > 1 ? `secret[${i}]` : 'secret', reason: 'must be a non-empty string' });
    }
  }
  return Object.freeze(list);
}

/** HMAC-SHA256 of `body` under `secret`, lowercase hex: what GitHub, Gitea and the generic receiver sign. */
export function hmacSha256Hex(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Whether `hex` has the shape of a SHA-256 digest in hex (64 hex digits). */
export function isSha256Hex(hex: string): boolean {
  return HEX_SHA256.test(hex);
}

/**
 * Whether `signatureHex` (64 hex digits, any case) is the HMAC-SHA256 of the raw `body` under one
 * of `secrets`. Compared with `timingSafeEqual` on equal-length buffers.
 */
export function verifyHmacSha256(body: Buffer, signatureHex: string, secrets: readonly string[]): boolean {
  if (!isSha256Hex(signatureHex)) return false;
  const presented = Buffer.from(signatureHex, 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    // Lengths are equal by construction (32 bytes); checked anyway because timingSafeEqual throws otherwise.
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) ok = true;
  }
  return ok;
}

/**
 * Whether a presented token (GitLab's `X-Gitlab-Token`, an `Authorization` value, a query
 * parameter) equals one of `expected`. Both sides are hashed first so the comparison is constant
 * time and does not reveal the length of the secret.
 */
export function tokenMatches(presented: string, expected: readonly string[]): boolean {
  const got = createHash('sha256').update(presented, 'utf8').digest();
  let ok = false;
  for (const candidate of expected) {
    const want = createHash('sha256').update(candidate, 'utf8').digest();
    if (timingSafeEqual(got, want)) ok = true;
  }
  return ok;
}
