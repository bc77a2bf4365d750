import type { AlertEventKind, AlertProps } from '../../../constructs';
import { alertMatches, type FluxOpsEvent } from '../../../reconciler/notify';
import { events, specOf, type NotifyFleet } from './notify-fixtures';

const ALL: AlertEventKind[] = ['reconcile.succeeded', 'reconcile.failed', 'drift.corrected', 'image.updated', 'image.refused', 'image.rolledback'];
const base = (extra: Partial<AlertProps> = {}): AlertProps => ({ provider: { kind: 'slack', secretRef: 'ops' }, events: ALL, severity: 'info', ...extra });

type Case = [string, (f: NotifyFleet) => AlertProps, () => FluxOpsEvent, boolean];

// Fixtures: succeeded@factory-a (sensor-gateway objects), failed@factory-a (no apps named),
// drift@warehouse-b (sensor-gateway), updated gateway@factory-a (app sensor-gateway),
// refused gateway (fleet-wide, no app), rolledback gateway@factory-a.
const cases: Case[] = [
  ['kind not subscribed', () => base({ events: ['reconcile.failed'] }), events.succeeded, false],
  ['kind subscribed', () => base({ events: ['reconcile.failed'] }), events.failed, true],
  ['severity below the minimum', () => base({ severity: 'warning' }), events.updated, false],
  ['warning passes a warning minimum', () => base({ severity: 'warning' }), events.refused, true],
  ['error passes an error minimum', () => base({ severity: 'error' }), events.failed, true],
  ['warning below an error minimum', () => base({ severity: 'error' }), events.rolledback, false],
  ['site filter, same site', (f) => base({ sites: [f.factory] }), events.succeeded, true],
  ['site filter, other site', (f) => base({ sites: [f.factory] }), events.drift, false],
  ['site filter, fleet-wide image event whose policy runs there', (f) => base({ sites: [f.warehouse] }), events.refused, true],
  ['site filter, fleet-wide event of a policy not used there', (f) => base({ sites: [f.warehouse] }), () => ({ ...events.refused(), policy: 'ui' }), false],
  ['app filter, event names the app', (f) => base({ apps: [f.gateway] }), events.succeeded, true],
  ['app filter, event names other apps only', (f) => base({ apps: [f.ui] }), events.succeeded, false],
  ['app filter, site-wide failure on a site running the app', (f) => base({ apps: [f.ui] }), events.failed, true],
  ['app filter, site-wide failure on a site without the app', (f) => base({ apps: [f.ui] }), () => ({ ...events.failed(), site: 'warehouse-b' }), false],
  ['app filter, failure naming other apps', (f) => base({ apps: [f.ui] }), () => events.failed({ apps: ['sensor-gateway'] }), false],
  ['app filter, image event without app: app follows the policy', (f) => base({ apps: [f.gateway] }), events.refused, true],
  ['app filter, image event without app: app follows another policy', (f) => base({ apps: [f.ui] }), events.refused, false],
  ['app filter, image event on a site the topology does not know: matches (when in doubt, tell)', (f) => base({ apps: [f.gateway] }), () => ({ ...events.refused(), site: 'nowhere' }), true],
  ['policy filter, same policy', (f) => base({ policies: [f.gatewayPolicy] }), events.updated, true],
  ['policy filter, other policy', (f) => base({ policies: [f.uiPolicy] }), events.updated, false],
  ['policy filter never matches reconcile events', (f) => base({ policies: [f.gatewayPolicy] }), events.failed, false],
  ['all filters hold', (f) => base({ sites: [f.factory], apps: [f.gateway], policies: [f.gatewayPolicy] }), events.rolledback, true],
  ['one filter fails', (f) => base({ sites: [f.warehouse], apps: [f.gateway], policies: [f.gatewayPolicy] }), events.rolledback, false],
];

describe('alertMatches', () => {
  test.each(cases)('%s', (_name, props, event, expected) => {
    expect(alertMatches(specOf(props), event())).toBe(expected);
  });
});
