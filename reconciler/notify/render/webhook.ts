import { createHmac } from 'node:crypto';

import type { FluxOpsEvent } from '../events';
import { describeEvent } from '../describe-event';
import { USER_AGENT, type OutgoingRequest } from './outgoing-request';

/** `schema` of every generic webhook body; a new major version gets a new value. */
export const WEBHOOK_SCHEMA = 'fluxops.dev/event/v1';
/** Header carrying `sha256=<hex HMAC-SHA256 of the body>`. */
export const SIGNATURE_HEADER = 'X-FluxOps-Signature-256';
/** Header carrying the event id (stable across retries: receivers drop duplicates by it). */
export const EVENT_ID_HEADER = 'X-FluxOps-Event-Id';
/** Header carrying the event kind. */
export const EVENT_KIND_HEADER = 'X-FluxOps-Event';

/** Body of a generic webhook request (JSON). */
export interface WebhookPayload {
  /** {@link WEBHOOK_SCHEMA}. */
  readonly schema: typeof WEBHOOK_SCHEMA;
  /** One line saying what changed. */
  readonly title: string;
  /** Further lines. */
  readonly lines: readonly string[];
  /** Names of the alerts that routed the event here. */
  readonly alerts: readonly string[];
  /** The event itself, with `id`, `kind`, `severity`, `occurredAt` and the kind's fields. */
  readonly event: FluxOpsEvent;
}

/** The generic webhook body for an event. Pure. */
export function webhookPayload(event: FluxOpsEvent, alerts: readonly string[]): WebhookPayload {
  const { title, lines } = describeEvent(event);
  return { schema: WEBHOOK_SCHEMA, title, lines, alerts: [...alerts], event };
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with `key` (UTF-8). */
export function webhookSignature(body: string | Buffer, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** Destination settings of a generic webhook. */
export interface WebhookTarget {
  /** Endpoint (secret). */
  readonly url: string;
  /** HMAC key (secret). */
  readonly hmacKey: string;
  /** Name for logs (the secretRef). */
  readonly name: string;
  /** Alerts routed to it. */
  readonly alerts: readonly string[];
}

/** The signed request for an event. */
export function renderWebhook(event: FluxOpsEvent, target: WebhookTarget): OutgoingRequest {
  const body = JSON.stringify(webhookPayload(event, target.alerts));
  return {
    method: 'POST',
    url: target.url,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      [SIGNATURE_HEADER]: webhookSignature(body, target.hmacKey),
      [EVENT_ID_HEADER]: event.id,
      [EVENT_KIND_HEADER]: event.kind,
    },
    body,
    target: `webhook ${target.name}`,
  };
}
