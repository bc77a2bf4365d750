import { z } from 'zod';
import type { WebhookRequest } from '../../http';
import type { GitProvider } from './push-event';

/**
 * The per-host part of a push receiver: how a delivery is authenticated, which event it is and
 * where the push data lives in its payload. Everything else (content type, size, matching,
 * decisions) is shared by `createGitPushReceiver`.
 */
export interface GitPushProvider {
  readonly provider: GitProvider;
  /** Media types the host sends (lowercase, no parameters). */
  readonly contentTypes: readonly string[];
  /** How to make the host send one of them, for the 415 message. */
  readonly contentTypeHint: string;
  /** Header with the host's delivery id, if it sends one. */
  readonly deliveryHeader?: string;
  /** Throws `UnauthorizedRequestError` unless the delivery carries a valid signature or token. */
  authenticate(req: WebhookRequest, secrets: readonly string[], input: string): void;
  /** Which event this is, from the headers (throws `InvalidRequestError` if the event header is missing). */
  classify(req: WebhookRequest, input: string): PushEventKind;
  /** Reads the push from the raw body (throws `InvalidPayloadError` naming the field). */
  parsePush(body: Buffer, input: string): ParsedPush;
}

/** The event a delivery carries: a push, the host's ping, or something else (named for the log). */
export type PushEventKind = { readonly kind: 'push' } | { readonly kind: 'ping' } | { readonly kind: 'other'; readonly name: string };

/** The provider-neutral content of a push payload. */
export interface ParsedPush {
  /** Full ref, e.g. `refs/heads/main` or `refs/tags/v1`. */
  readonly ref: string;
  /** The new commit of the ref (all zeros when the push deleted it). */
  readonly commit: string;
  /** Whether the push deleted the ref. */
  readonly deleted: boolean;
  readonly repositoryUrls: readonly string[];
}

/** A commit id: SHA-1 (40) or SHA-256 (64) lowercase hex, as every host sends it. */
export const commitIdSchema = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a commit id of 40 or 64 lowercase hex digits');

/** The all-zero commit id that hosts send as `after` when a push deleted the ref. */
export function isZeroCommit(commit: string): boolean {
  return /^0+$/.test(commit);
}

/** Non-empty URL strings, in order, without duplicates. */
export function urlList(...urls: readonly (string | null | undefined)[]): string[] {
  const out: string[] = [];
  for (const u of urls) if (typeof u === 'string' && u.trim() !== '' && !out.includes(u)) out.push(u);
  return out;
}
