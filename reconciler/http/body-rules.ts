import { PayloadTooLargeError, UnsupportedContentTypeError, WebhookConfigError } from './errors';
import { headerValue, mediaType, type HeaderMap } from './request';

/** Default body limit of webhook routes: 1 MiB (push payloads list at most 20 commits; registry events are a few KiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Throws {@link UnsupportedContentTypeError} unless the `Content-Type` media type is one of `accepted`. */
export function requireContentType(headers: HeaderMap, accepted: readonly string[], input: string, hint?: string): void {
  const type = mediaType(headerValue(headers, 'content-type'));
  if (type === undefined || !accepted.includes(type)) {
    throw new UnsupportedContentTypeError({ input, contentType: type, expected: accepted, ...(hint ? { hint } : {}) });
  }
}

/** Throws {@link PayloadTooLargeError} if `body` is longer than `limitBytes`. */
export function requireBodyWithin(body: Buffer, limitBytes: number, input: string): void {
  if (body.length > limitBytes) throw new PayloadTooLargeError({ input, limitBytes, receivedBytes: body.length, declared: false });
}

/** Validates a configured body limit (a positive safe integer). */
export function checkMaxBodyBytes(value: number | undefined, input: string): number {
  const limit = value ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new WebhookConfigError({ input, field: 'maxBodyBytes', value: limit, reason: 'must be a positive integer' });
  }
  return limit;
}

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A sender's delivery id, if it is a plain token (letters, digits, `._:-`, at most 128). Anything
 * else is dropped rather than logged, since it arrives before authentication.
 */
export function deliveryIdFrom(headers: HeaderMap, header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = headerValue(headers, header)?.trim();
  return value !== undefined && DELIVERY_ID.test(value) ? value : undefined;
}
