import { createHmac } from 'node:crypto';

import {
  MAX_DESCRIPTION,
  commitStatusesFor,
  describeEvent,
  isOffice365Connector,
  renderCommitStatus,
  renderCommitStatuses,
  renderSlack,
  renderTeams,
  renderWebhook,
  sameRepository,
  secretRedactor,
  slackEscape,
  slackPayload,
  teamsMessageCard,
  teamsPayload,
  webhookPayload,
  webhookSignature,
  type SlackPayload,
} from '../../../reconciler/notify';
import { IMAGE_SHA, SHA, allEvents, events, specOf } from './notify-fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const topology = specOf(() => ({ provider: { kind: 'slack', secretRef: 'x' }, events: ['image.updated'], severity: 'info' })).topology;

describe('describeEvent: says what changed, not just "reconciled"', () => {
  test('titles', () => {
    expect(allEvents().map((e) => describeEvent(e).title)).toEqual([
      'factory-a: applied a1b2c3d: 1 created, 1 configured, 0 deleted (3.2 s)',
      'factory-a: failed to apply a1b2c3d: Deployment edge-apps/sensor-gateway: pod sensor-gateway-7d9f: container gateway CrashLoopBackOff',
      'warehouse-b: corrected drift on 1 object at a1b2c3d',
      'gateway (app sensor-gateway) on factory-a: 1.4.0 -> 1.5.0',
      'gateway: refused 1.6.0: provides linux/amd64, requires linux/arm64',
      'gateway (app sensor-gateway) on factory-a: rolled back 1.6.0 -> 1.5.0: CrashLoopBackOff',
    ]);
  });

  test('image.updated lines name the digests and the commit that records it', () => {
    expect(describeEvent(events.updated()).lines).toEqual([
      'image registry.local:5000/edge/gateway',
      'digest sha256:111111111111 -> sha256:222222222222',
      'recorded in commit 0f1e2d3 of https://git.example.com/acme/fleet-config.git (main)',
    ]);
  });

  test('lists at most 10 objects by name', () => {
    const e = events.succeeded();
    const many = { ...e, changed: Array.from({ length: 13 }, (_, i) => ({ id: `ConfigMap/edge-apps/c${i}`, action: 'created' as const })) };
    const lines = describeEvent(many).lines;
    expect(lines.filter((l) => l.startsWith('created ConfigMap'))).toHaveLength(10);
    expect(lines).toContain('and 3 more');
  });
});

describe('generic webhook', () => {
  const target = { url: 'http://127.0.0.1:1/hook', hmacKey: 'k3y-for-tests', name: 'fleet-hook', alerts: ['ops', 'audit'] };

  test('body: documented envelope around the event', () => {
    const e = events.updated();
    const req = renderWebhook(e, target);
    const body = JSON.parse(req.body) as Json;
    expect(body).toEqual({ schema: 'fluxops.dev/event/v1', title: describeEvent(e).title, lines: describeEvent(e).lines, alerts: ['ops', 'audit'], event: e });
    expect(webhookPayload(e, ['ops', 'audit'])).toEqual(body);
    expect(body).toMatchSnapshot();
  });

  test('headers: HMAC-SHA256 of the exact body bytes, event id and kind', () => {
    const e = events.failed();
    const req = renderWebhook(e, target);
    const expected = `sha256=${createHmac('sha256', 'k3y-for-tests').update(Buffer.from(req.body, 'utf8')).digest('hex')}`;
    expect(req.headers).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': 'fluxops-notify/1',
      'X-FluxOps-Signature-256': expected,
      'X-FluxOps-Event-Id': e.id,
      'X-FluxOps-Event': 'reconcile.failed',
    });
    expect(webhookSignature(req.body, 'other-key')).not.toBe(expected);
    expect(req.target).toBe('webhook fleet-hook');
  });
});

describe('Slack', () => {
  test('text and blocks say app, old -> new tag and digest, commit', () => {
    const p = slackPayload(events.updated());
    expect(p.text).toBe('gateway (app sensor-gateway) on factory-a: 1.4.0 -&gt; 1.5.0');
    const fields = (p.blocks[1] as Json).fields.map((f: Json) => f.text);
    expect(fields).toEqual([
      '*Policy*\ngateway',
      '*App*\nsensor-gateway',
      '*Site*\nfactory-a',
      '*Image*\nregistry.local:5000/edge/gateway',
      '*Tag*\n1.4.0 -&gt; 1.5.0',
      '*Digest*\nsha256:111111111111 -&gt; sha256:222222222222',
      '*Commit*\n0f1e2d3 (main)',
    ]);
    expect(p).toMatchSnapshot();
  });

  test('every kind renders within Slack limits; mrkdwn is escaped', () => {
    for (const e of allEvents()) {
      const p: SlackPayload = slackPayload(e);
      expect(p.text.length).toBeGreaterThan(0);
      for (const b of p.blocks) {
        if ('fields' in b) {
          expect(b.fields.length).toBeLessThanOrEqual(10);
          for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(2000);
        }
        if ('text' in b) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      }
    }
    expect(slackEscape('<@U123> & <!channel>')).toBe('&lt;@U123&gt; &amp; &lt;!channel&gt;');
    const hostile = events.failed({ reason: 'bad <!channel> & <https://evil|click>' });
    expect(JSON.stringify(slackPayload(hostile))).not.toContain('<!channel>');
  });

  test('request', () => {
    const req = renderSlack(events.refused(), { url: 'https://hooks.slack.com/services/T/B/X', name: 'ops-slack' });
    expect(req).toMatchObject({ method: 'POST', url: 'https://hooks.slack.com/services/T/B/X', target: 'slack ops-slack', headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    expect(req.target).not.toContain('hooks.slack.com');
  });
});

describe('Teams', () => {
  test('Adaptive Card with title, facts and details', () => {
    const p = teamsPayload(events.rolledback());
    const card = p.attachments[0].content;
    expect(p.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'gateway (app sensor-gateway) on factory-a: rolled back 1.6.0 -> 1.5.0: CrashLoopBackOff', color: 'Warning' });
    expect(card.body[1]).toMatchObject({ type: 'FactSet' });
    expect(JSON.stringify(card)).toContain('pod sensor-gateway-7d9f-x2x container gateway: CrashLoopBackOff: back-off 40s restarting failed container (4 restarts)');
    expect(p).toMatchSnapshot();
    expect(renderTeams(events.failed(), { url: 'https://x.example/webhook', name: 'ops-teams' }).target).toBe('teams ops-teams');
    expect((teamsPayload(events.failed()).attachments[0].content.body[0] as Json).color).toBe('Attention');
  });

  test('a legacy Office 365 connector URL gets a MessageCard, as Flux does', () => {
    const legacy = renderTeams(events.failed(), { url: 'https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def', name: 'old-teams' });
    const card = JSON.parse(legacy.body) as Json;
    expect(card).toMatchObject({ '@type': 'MessageCard', themeColor: 'FF0000', title: describeEvent(events.failed()).title });
    expect(card.sections[0].facts).toContainEqual({ name: 'Error', value: 'health-check-failed' });
    expect(teamsMessageCard(events.updated()).themeColor).toBe('0076D7');
    expect(isOffice365Connector('https://prod-00.westus.logic.azure.com/workflows/x')).toBe(false);
    expect(JSON.parse(renderTeams(events.failed(), { url: 'https://prod-00.westus.logic.azure.com/workflows/x', name: 't' }).body).type).toBe('message');
  });
});

describe('commit statuses', () => {
  test('state per kind, context per site, description within 140 characters', () => {
    const statuses = allEvents().map((e) => commitStatusesFor(e, 'acme/fleet-config', topology));
    expect(statuses).toEqual([
      [{ sha: SHA, state: 'success', context: 'fluxops/factory-a', description: 'applied: 1 created, 1 configured, 0 deleted in 3.2 s' }],
      [{ sha: SHA, state: 'failure', context: 'fluxops/factory-a', description: expect.stringMatching(/^stalled: Deployment edge-apps\/sensor-gateway: pod/) }],
      [{ sha: SHA, state: 'success', context: 'fluxops/warehouse-b', description: 'drift corrected on 1 object' }],
      [{ sha: IMAGE_SHA, state: 'pending', context: 'fluxops/factory-a', description: 'gateway 1.4.0 -> 1.5.0; waiting for factory-a to apply' }],
      { notApplicable: 'image.refused event has no commit' },
      [{ sha: IMAGE_SHA, state: 'pending', context: 'fluxops/factory-a', description: 'gateway rolled back 1.6.0 -> 1.5.0 (CrashLoopBackOff); waiting for factory-a to apply' }],
    ]);
    const long = commitStatusesFor(events.failed({ reason: 'x'.repeat(500) }), 'acme/fleet-config', topology) as { description: string }[];
    expect(long[0].description).toHaveLength(MAX_DESCRIPTION);
    expect(long[0].description.endsWith('…')).toBe(true);
  });

  test('a fleet-wide image update is pending on every site following the policy', () => {
    const s = commitStatusesFor(events.updated({ site: undefined, app: undefined }), 'acme/fleet-config', topology) as { context: string }[];
    expect(s.map((x) => x.context)).toEqual(['fluxops/factory-a', 'fluxops/warehouse-b']);
  });

  test('commits of another repository or without a commit set nothing', () => {
    expect(commitStatusesFor(events.updated(), 'acme/other', topology)).toEqual({ notApplicable: 'commit is in https://git.example.com/acme/fleet-config.git, not acme/other' });
    expect(renderCommitStatuses(events.failed({ commit: undefined }), { kind: 'github', repository: 'acme/fleet-config', apiUrl: 'https://api.github.com', token: 't' }, topology)).toEqual({
      kind: 'not-applicable',
      reason: 'reconcile.failed event has no commit',
    });
  });

  test.each([
    ['https://github.com/Acme/Fleet-Config.git', true],
    ['git@github.com:acme/fleet-config.git', true],
    ['ssh://git@gitea.local:2222/acme/fleet-config', true],
    ['acme/fleet-config', true],
    ['https://github.com/acme/fleet-config-2', false],
    ['fleet-config', false],
  ])('sameRepository(%s)', (given, expected) => {
    expect(sameRepository(given, 'acme/fleet-config')).toBe(expected);
  });

  test('GitHub: POST /repos/{owner}/{repo}/statuses/{sha}, Bearer token', () => {
    const req = renderCommitStatus({ sha: SHA, state: 'success', context: 'fluxops/factory-a', description: 'applied' }, { kind: 'github', repository: 'acme/fleet-config', apiUrl: 'https://ghe.example.com/api/v3', token: 'ghs_tok' });
    expect(req.url).toBe(`https://ghe.example.com/api/v3/repos/acme/fleet-config/statuses/${SHA}`);
    expect(req.headers).toMatchObject({ Authorization: 'Bearer ghs_tok', Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' });
    expect(JSON.parse(req.body)).toEqual({ state: 'success', context: 'fluxops/factory-a', description: 'applied' });
    expect(req.target).toBe('github ghe.example.com acme/fleet-config status a1b2c3d fluxops/factory-a');
  });

  test('Gitea: POST /api/v1/repos/{owner}/{repo}/statuses/{sha}, token auth', () => {
    const req = renderCommitStatus({ sha: SHA, state: 'failure', context: 'fluxops/factory-a', description: 'failed' }, { kind: 'gitea', repository: 'acme/fleet-config', apiUrl: 'https://gitea.example.com', token: 'tok' });
    expect(req.url).toBe(`https://gitea.example.com/api/v1/repos/acme/fleet-config/statuses/${SHA}`);
    expect(req.headers.Authorization).toBe('token tok');
  });
});

describe('secretRedactor', () => {
  test('removes a URL whole, its path, long segments and encoded forms', () => {
    const url = 'https://hooks.slack.com/services/T0123ABC/B0456DEF/xyzSECRETxyz?token=qwertyuiop';
    const redact = secretRedactor([url, 'hmac-key-value']);
    const text = [
      `POST ${url} failed`,
      'path /services/T0123ABC/B0456DEF/xyzSECRETxyz?token=qwertyuiop',
      'segment xyzSECRETxyz alone',
      `encoded ${encodeURIComponent(url)}`,
      'key hmac-key-value',
      'query qwertyuiop',
    ].join('\n');
    const out = redact(text);
    for (const s of ['xyzSECRETxyz', 'T0123ABC', 'B0456DEF', 'qwertyuiop', 'hmac-key-value', 'services%2F']) expect(out).not.toContain(s);
    expect(out).toContain('POST <redacted> failed');
    expect(secretRedactor([])('nothing to hide')).toBe('nothing to hide');
  });
});
