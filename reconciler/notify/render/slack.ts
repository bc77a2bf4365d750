import type { AlertSeverity } from '../../../constructs';
import { describeEvent } from '../describe-event';
import type { FluxOpsEvent } from '../events';
import { USER_AGENT, type OutgoingRequest } from './outgoing-request';

/**
 * Slack incoming-webhook messages (also accepted by Mattermost and Rocket.Chat's Slack-compatible
 * hooks). Everything taken from an event is escaped, so a reason quoting `<!channel>` cannot ping
 * a channel. `text` is the one-line title (what notifications and old clients show), `blocks` lay
 * out the title, the facts (app, site, old -> new tag and digest, commit), the details and a
 * footer with the kind, severity and event id.
 */

/** A Slack Block Kit text object. */
export interface SlackText {
  readonly type: 'mrkdwn' | 'plain_text';
  readonly text: string;
}

/** The Block Kit blocks FluxOps uses. */
export type SlackBlock =
  | { readonly type: 'section'; readonly text: SlackText }
  | { readonly type: 'section'; readonly fields: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] };

/** Body of a Slack webhook request. */
export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

const ICON: Readonly<Record<AlertSeverity, string>> = { info: ':large_blue_circle:', warning: ':warning:', error: ':red_circle:' };
/** Slack's limits: 3000 characters per section text, 2000 per field, 10 fields per section. */
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_MAX = 10;

/** Escapes the three characters Slack's mrkdwn reserves. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Slack message for an event. Pure. */
export function slackPayload(event: FluxOpsEvent): SlackPayload {
  const d = describeEvent(event);
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: clip(`${ICON[event.severity]} *${slackEscape(d.title)}*`, SECTION_MAX) } }];
  if (d.facts.length > 0) {
    blocks.push({
      type: 'section',
      fields: d.facts.slice(0, FIELDS_MAX).map((f) => ({ type: 'mrkdwn', text: clip(`*${slackEscape(f.label)}*\n${slackEscape(f.value)}`, FIELD_MAX) })),
    });
  }
  if (d.lines.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(d.lines.map(slackEscape).join('\n'), SECTION_MAX) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`FluxOps ${event.kind} · ${event.severity} · ${event.occurredAt} · id ${event.id}`) }] });
  // `text` is what notifications show; Slack parses it as mrkdwn too, so it is escaped as well.
  return { text: slackEscape(d.title), blocks };
}

/** Destination settings of a Slack webhook. */
export interface SlackTarget {
  /** Incoming webhook URL (secret). */
  readonly url: string;
  /** Name for logs (the secretRef). */
  readonly name: string;
}

/** The request for an event. */
export function renderSlack(event: FluxOpsEvent, target: SlackTarget): OutgoingRequest {
  return {
    method: 'POST',
    url: target.url,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': USER_AGENT },
    body: JSON.stringify(slackPayload(event)),
    target: `slack ${target.name}`,
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
