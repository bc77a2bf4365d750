import type { AlertSeverity } from '../../../constructs';
import { describeEvent } from '../describe-event';
import type { FluxOpsEvent } from '../events';
import { USER_AGENT, type OutgoingRequest } from './outgoing-request';

/**
 * Microsoft Teams messages. As Flux's `msteams` provider does: an Adaptive Card (version 1.4) in
 * a `message` envelope, which Teams Workflows ("post to a channel when a webhook request is
 * received") accept; and a legacy MessageCard when the URL is an Office 365 connector
 * (`*.webhook.office.com`), which expects that format until its retirement.
 */

/** An Adaptive Card element FluxOps uses. */
export type AdaptiveElement =
  | {
      readonly type: 'TextBlock';
      readonly text: string;
      readonly wrap: true;
      readonly weight?: 'Bolder';
      readonly size?: 'Medium';
      readonly color?: 'Good' | 'Warning' | 'Attention';
      readonly isSubtle?: true;
      readonly spacing?: 'Small';
    }
  | { readonly type: 'FactSet'; readonly facts: readonly { readonly title: string; readonly value: string }[] };

/** Body of a Teams webhook request. */
export interface TeamsPayload {
  readonly type: 'message';
  readonly summary: string;
  readonly attachments: readonly [
    {
      readonly contentType: 'application/vnd.microsoft.card.adaptive';
      readonly contentUrl: null;
      readonly content: {
        readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
        readonly type: 'AdaptiveCard';
        readonly version: '1.4';
        readonly body: readonly AdaptiveElement[];
        readonly msteams: { readonly width: 'Full' };
      };
    },
  ];
}

const COLOR: Readonly<Record<AlertSeverity, 'Good' | 'Warning' | 'Attention'>> = { info: 'Good', warning: 'Warning', error: 'Attention' };

/** The Teams message for an event. Pure. */
export function teamsPayload(event: FluxOpsEvent): TeamsPayload {
  const d = describeEvent(event);
  const body: AdaptiveElement[] = [{ type: 'TextBlock', text: d.title, wrap: true, weight: 'Bolder', size: 'Medium', color: COLOR[event.severity] }];
  if (d.facts.length > 0) body.push({ type: 'FactSet', facts: d.facts.map((f) => ({ title: f.label, value: f.value })) });
  // Adaptive Card markdown needs a blank line between paragraphs.
  if (d.lines.length > 0) body.push({ type: 'TextBlock', text: d.lines.join('\n\n'), wrap: true });
  body.push({ type: 'TextBlock', text: `FluxOps ${event.kind} · ${event.severity} · ${event.occurredAt} · id ${event.id}`, wrap: true, isSubtle: true, spacing: 'Small' });
  return {
    type: 'message',
    summary: d.title,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, msteams: { width: 'Full' } },
      },
    ],
  };
}

/** Body of a request to a legacy Office 365 connector (`*.webhook.office.com`). */
export interface TeamsMessageCard {
  readonly '@type': 'MessageCard';
  readonly '@context': 'https://schema.org/extensions';
  readonly summary: string;
  readonly themeColor: string;
  readonly title: string;
  readonly sections: readonly [{ readonly facts: readonly { readonly name: string; readonly value: string }[]; readonly text: string }];
}

const THEME: Readonly<Record<AlertSeverity, string>> = { info: '0076D7', warning: 'FFA500', error: 'FF0000' };

/** The legacy connector message for an event. Pure. */
export function teamsMessageCard(event: FluxOpsEvent): TeamsMessageCard {
  const d = describeEvent(event);
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: d.title,
    themeColor: THEME[event.severity],
    title: d.title,
    sections: [{ facts: d.facts.map((f) => ({ name: f.label, value: f.value })), text: [...d.lines, `FluxOps ${event.kind} · ${event.severity} · id ${event.id}`].join('\n\n') }],
  };
}

/** Whether a Teams URL is a legacy Office 365 connector (which takes MessageCards). */
export function isOffice365Connector(url: string): boolean {
  try {
    return new URL(url).hostname.endsWith('.webhook.office.com');
  } catch {
    return false;
  }
}

/** Destination settings of a Teams webhook. */
export interface TeamsTarget {
  /** Webhook URL (secret). */
  readonly url: string;
  /** Name for logs (the secretRef). */
  readonly name: string;
}

/** The request for an event. */
export function renderTeams(event: FluxOpsEvent, target: TeamsTarget): OutgoingRequest {
  return {
    method: 'POST',
    url: target.url,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': USER_AGENT },
    body: JSON.stringify(isOffice365Connector(target.url) ? teamsMessageCard(event) : teamsPayload(event)),
    target: `teams ${target.name}`,
  };
}
