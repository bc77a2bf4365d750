import { Alert, FLUX_NOTIFICATION_API, GitSource, ImageUpdateAutomation, synthesize, type SynthResult } from '../../constructs';
import { forgeRepositoryUrl } from '../../constructs/flux';
import { notifyFleet, type NotifyFleet } from '../reconciler/notify/notify-fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function fleetWithAlerts(): NotifyFleet {
  const f = notifyFleet();
  const source = new GitSource(f.fleet, 'config', { url: 'https://git.example.com/acme/fleet-config.git', ref: { kind: 'branch', name: 'main' } });
  new ImageUpdateAutomation(f.fleet, 'images', { source, policies: [f.gatewayPolicy, f.uiPolicy], author: { name: 'Bot', email: 'bot@example.com' } });
  new Alert(f.fleet, 'ops', { provider: { kind: 'slack', secretRef: 'ops-slack' }, events: ['reconcile.failed', 'image.rolledback'], severity: 'warning', apps: [f.gateway] });
  new Alert(f.fleet, 'hook', { provider: { kind: 'webhook', secretRef: 'fleet-hook' }, events: ['image.updated'], severity: 'info', policies: [f.uiPolicy] });
  new Alert(f.fleet, 'teams', { provider: { kind: 'teams', secretRef: 'ops-teams' }, events: ['reconcile.failed'], severity: 'error', sites: [f.warehouse] });
  new Alert(f.fleet, 'statuses', { provider: { kind: 'github', repository: 'acme/fleet-config' }, events: ['reconcile.succeeded', 'reconcile.failed'], severity: 'info' });
  new Alert(f.fleet, 'gitea', { provider: { kind: 'gitea', repository: 'acme/fleet-config', apiUrl: 'https://gitea.example.com', secretRef: 'gitea-bot' }, events: ['drift.corrected'], severity: 'info' });
  return f;
}

function objects(r: SynthResult, kind: string): Json[] {
  return r.objects.filter((o) => o.kind === kind).map((o) => o.manifest as Json);
}

describe('flux flavor: notification Providers and Alerts', () => {
  test('plain synthesis renders no notification objects', () => {
    const r = synthesize(fleetWithAlerts().fleet, { site: 'factory-a' });
    expect(r.objects.filter((o) => o.apiVersion.startsWith('notification.'))).toEqual([]);
  });

  test('factory-a: a Provider and an Alert per alert that concerns the site, after the image kinds', () => {
    const r = synthesize(fleetWithAlerts().fleet, { site: 'factory-a', flavor: 'flux' });
    const kinds = r.objects.map((o) => o.kind);
    expect(kinds.slice(kinds.indexOf('ImageUpdateAutomation'))).toEqual(['ImageUpdateAutomation', 'Provider', 'Provider', 'Provider', 'Provider', 'Alert', 'Alert', 'Alert', 'Alert']);
    const providers = objects(r, 'Provider');
    expect(providers.map((p) => [p.apiVersion, p.metadata.name, p.metadata.namespace, p.spec])).toEqual([
      [FLUX_NOTIFICATION_API.provider.apiVersion, 'gitea', 'flux-system', { type: 'gitea', address: 'https://gitea.example.com/acme/fleet-config', secretRef: { name: 'gitea-bot' } }],
      [FLUX_NOTIFICATION_API.provider.apiVersion, 'hook', 'flux-system', { type: 'generic-hmac', secretRef: { name: 'fleet-hook' } }],
      [FLUX_NOTIFICATION_API.provider.apiVersion, 'ops', 'flux-system', { type: 'slack', secretRef: { name: 'ops-slack' } }],
      [FLUX_NOTIFICATION_API.provider.apiVersion, 'statuses', 'flux-system', { type: 'github', address: 'https://github.com/acme/fleet-config', secretRef: { name: 'statuses' } }],
    ]);
    const alerts = Object.fromEntries(objects(r, 'Alert').map((a) => [a.metadata.name, a]));
    expect(Object.keys(alerts)).toEqual(['gitea', 'hook', 'ops', 'statuses']); // teams is for warehouse-b only
    expect(alerts.ops.spec).toEqual({
      providerRef: { name: 'ops' },
      eventSeverity: 'info',
      eventSources: [
        { kind: 'Kustomization', name: 'factory-a' },
        { kind: 'ImagePolicy', name: 'gateway' },
        { kind: 'ImagePolicy', name: 'ui' },
      ],
    });
    expect(alerts.ops.metadata.annotations).toEqual({ 'fluxops.dev/apps': 'sensor-gateway', 'fluxops.dev/events': 'reconcile.failed,image.rolledback', 'fluxops.dev/severity': 'warning' });
    expect(alerts.hook.spec.eventSources).toEqual([
      { kind: 'ImagePolicy', name: 'ui' },
      { kind: 'ImageUpdateAutomation', name: 'images' },
    ]);
    expect(r.objects.filter((o) => o.kind === 'Provider' || o.kind === 'Alert').map((o) => o.yaml)).toMatchSnapshot();
  });

  test('warehouse-b: site-filtered alerts appear; an alert on a policy the site does not use does not', () => {
    const r = synthesize(fleetWithAlerts().fleet, { site: 'warehouse-b', flavor: 'flux' });
    const alerts = objects(r, 'Alert');
    expect(alerts.map((a) => a.metadata.name)).toEqual(['gitea', 'ops', 'statuses', 'teams']);
    expect(alerts.find((a) => a.metadata.name === 'teams')?.spec).toEqual({ providerRef: { name: 'teams' }, eventSeverity: 'error', eventSources: [{ kind: 'Kustomization', name: 'warehouse-b' }] });
    expect(objects(r, 'Provider').map((p) => p.metadata.name)).toEqual(['gitea', 'ops', 'statuses', 'teams']);
  });

  test.each([
    ['github', 'https://api.github.com', 'https://github.com/acme/x'],
    ['github', 'https://ghe.example.com/api/v3', 'https://ghe.example.com/acme/x'],
    ['gitea', 'https://gitea.example.com/git', 'https://gitea.example.com/git/acme/x'],
  ] as const)('forgeRepositoryUrl(%s, %s)', (kind, api, expected) => {
    expect(forgeRepositoryUrl(kind, api, 'acme/x')).toBe(expected);
  });
});
