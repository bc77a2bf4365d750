import { Alert, AlertProps, ConstructValidationError, EdgeApp, Fleet, FleetValidationError, Site, alertSpecs } from '../../constructs';
import { notifyFleet, type NotifyFleet } from '../reconciler/notify/notify-fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function rejected(build: (f: NotifyFleet) => void): ConstructValidationError {
  const f = notifyFleet();
  try {
    build(f);
  } catch (err) {
    if (err instanceof ConstructValidationError) return err;
    throw err;
  }
  throw new Error('the construct accepted the props');
}

const slack = (extra: Partial<AlertProps> = {}): AlertProps => ({ provider: { kind: 'slack', secretRef: 'ops-slack' }, events: ['reconcile.failed'], severity: 'error', ...extra });

describe('Alert construct', () => {
  test('is collected by fleet.alerts, branded, with defaults resolved', () => {
    const f = notifyFleet();
    const a = new Alert(f.fleet, 'ops', slack());
    const gh = new Alert(f.fleet, 'statuses', { provider: { kind: 'github', repository: 'acme/fleet-config' }, events: ['reconcile.succeeded', 'reconcile.failed'], severity: 'info' });
    expect(f.fleet.alerts).toEqual([a, gh]);
    expect(Alert.isAlert(a)).toBe(true);
    expect(Alert.isAlert(f.gateway)).toBe(false);
    expect(gh.provider).toEqual({ kind: 'github', repository: 'acme/fleet-config', apiUrl: 'https://api.github.com', secretRef: 'statuses' });
    expect(gh.secretKeys).toEqual([{ key: 'token', configKey: 'fluxops:alerts.statuses.token' }]);
  });

  test('names the config keys each provider needs', () => {
    const f = notifyFleet();
    const hook = new Alert(f.fleet, 'hook', { provider: { kind: 'webhook', secretRef: 'fleet-hook' }, events: ['image.updated'], severity: 'info' });
    const teams = new Alert(f.fleet, 'teams', { provider: { kind: 'teams', secretRef: 'ops-teams' }, events: ['image.updated'], severity: 'info' });
    const gitea = new Alert(f.fleet, 'gitea', {
      provider: { kind: 'gitea', repository: 'acme/fleet-config', apiUrl: 'https://gitea.example.com/', secretRef: 'gitea-bot' },
      events: ['reconcile.failed'],
      severity: 'error',
    });
    expect(hook.secretKeys.map((k) => k.configKey)).toEqual(['fluxops:alerts.fleet-hook.url', 'fluxops:alerts.fleet-hook.hmacKey']);
    expect(teams.secretKeys.map((k) => k.configKey)).toEqual(['fluxops:alerts.ops-teams.url']);
    expect(gitea.secretKeys.map((k) => k.configKey)).toEqual(['fluxops:alerts.gitea-bot.token']);
    expect(gitea.provider).toMatchObject({ apiUrl: 'https://gitea.example.com' });
  });

  test('rejects an unknown provider kind, naming path, field and value', () => {
    const err = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'pagerduty', secretRef: 'x' } as never }));
    expect(err).toMatchObject({ path: 'edge-fleet/ops', field: 'provider.kind', value: 'pagerduty' });
    expect(err.message).toBe('edge-fleet/ops: invalid provider.kind "pagerduty": must be one of webhook, slack, teams, github, gitea');
  });

  test('rejects a missing secretRef for webhook, slack and teams', () => {
    for (const kind of ['webhook', 'slack', 'teams'] as const) {
      const err = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind } as never }));
      expect(err).toMatchObject({ path: 'edge-fleet/ops', field: 'provider.secretRef', value: undefined });
      expect(err.reason).toMatch(/fluxops:alerts\.<secretRef>\.url/);
    }
  });

  test('never echoes a secret put where a name belongs', () => {
    const url = 'https://hooks.slack.com/services/T0001/B0001/abcdefSECRET';
    const inRef = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'slack', secretRef: url } }));
    expect(inRef).toMatchObject({ field: 'provider.secretRef', value: '<redacted>' });
    const extraField = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'slack', secretRef: 'ops', url } as never }));
    expect(extraField).toMatchObject({ field: 'provider.url', value: '<redacted>' });
    const token = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'github', repository: 'acme/x', secretRef: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' } }));
    expect(token.value).toBe('<redacted>');
    const creds = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'gitea', repository: 'acme/x', apiUrl: 'https://bot:hunter2pass@gitea.example.com' } }));
    expect(creds).toMatchObject({ field: 'provider.apiUrl', value: 'https://gitea.example.com/' });
    for (const e of [inRef, extraField, token, creds]) expect(`${e.message} ${JSON.stringify(e.toJSON())}`).not.toMatch(/abcdefSECRET|ghp_abc|hunter2pass/);
  });

  test('rejects unknown and duplicate event kinds, and a bad severity', () => {
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), events: ['reconcile.failed', 'image.pushed' as never] }))).toMatchObject({
      field: 'events[1]',
      value: 'image.pushed',
    });
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), events: [] })).field).toBe('events');
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), events: ['image.updated', 'image.updated'] })).reason).toBe('is listed twice');
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), severity: 'critical' as never }))).toMatchObject({ field: 'severity', value: 'critical' });
  });

  test('rejects a filter on an app, site or policy that is not in the fleet', () => {
    const other = new Fleet({ name: 'other' });
    const stranger = new EdgeApp(other, 'stranger', { containers: [{ image: { ref: 'registry.local/x:1.0.0' } }] });
    const app = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), apps: [f.gateway, stranger] }));
    expect(app).toMatchObject({ path: 'edge-fleet/ops', field: 'apps[1]', reason: 'is not part of this fleet' });
    expect(app.message).toContain('<other/stranger>');
    const site = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), sites: [new Site(other, 's', { apps: [stranger] })] }));
    expect(site).toMatchObject({ field: 'sites[0]', reason: 'is not part of this fleet' });
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), apps: [f.factory as never] }))).toMatchObject({ field: 'apps[0]', reason: 'must be an EdgeApp' });
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), apps: [] })).field).toBe('apps');
  });

  test('rejects a policy filter that can never fire', () => {
    const err = rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), events: ['reconcile.failed'], policies: [f.gatewayPolicy] }));
    expect(err.field).toBe('policies');
    expect(err.reason).toMatch(/never fire/);
  });

  test('rejects bad repositories and API URLs for forges', () => {
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'github', repository: 'https://github.com/acme/x' } })).field).toBe('provider.repository');
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'github', repository: 'acme/x.git' } })).field).toBe('provider.repository');
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'gitea', repository: 'acme/x' } as never })).field).toBe('provider.apiUrl');
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'gitea', repository: 'acme/x', apiUrl: 'ftp://gitea' } })).reason).toMatch(/https/);
  });

  test('rejects a second alert with the same name and a secretRef that breaks the config path', () => {
    expect(
      rejected((f) => {
        new Alert(f.fleet, 'ops', slack());
        new Alert(f.fleet, 'ops2', { ...slack(), name: 'ops' });
      }).reason,
    ).toBe('is already used by edge-fleet/ops');
    expect(rejected((f) => new Alert(f.fleet, 'ops', { ...slack(), provider: { kind: 'slack', secretRef: 'ops.slack' } })).reason).toMatch(/"\." separates keys/);
  });

  test('an app filter that runs on none of the filtered sites fails at alertSpecs, with every problem', () => {
    const f = notifyFleet();
    new Alert(f.fleet, 'ops', { ...slack(), apps: [f.ui], sites: [f.warehouse] });
    expect(() => alertSpecs(f.fleet)).toThrow(FleetValidationError);
    try {
      alertSpecs(f.fleet);
    } catch (err) {
      expect((err as FleetValidationError).errors[0]).toMatchObject({ field: 'apps[0]' });
      expect((err as FleetValidationError).message).toMatch(/dashboard runs on none of the alert's sites \(warehouse-b\)/);
    }
    // The site gaining the app later (Site.addApp) makes it valid.
    f.warehouse.addApp(f.ui);
    expect(alertSpecs(f.fleet)).toHaveLength(1);
  });
});

describe('alertSpecs', () => {
  function fleetWithAlerts(): NotifyFleet {
    const f = notifyFleet();
    new Alert(f.fleet, 'ops', { ...slack(), events: ['reconcile.failed', 'image.rolledback'], severity: 'warning' });
    new Alert(f.fleet, 'factory-images', {
      provider: { kind: 'webhook', secretRef: 'fleet-hook' },
      events: ['image.updated', 'image.refused'],
      severity: 'info',
      sites: [f.factory],
      apps: [f.gateway],
      policies: [f.gatewayPolicy],
    });
    new Alert(f.fleet, 'statuses', { provider: { kind: 'github', repository: 'acme/fleet-config' }, events: ['reconcile.succeeded', 'reconcile.failed', 'image.updated'], severity: 'info' });
    return f;
  }

  test('is plain JSON, stable, and says where each secret comes from', () => {
    const specs = alertSpecs(fleetWithAlerts().fleet);
    expect(JSON.parse(JSON.stringify(specs))).toEqual(specs);
    expect(JSON.stringify(alertSpecs(fleetWithAlerts().fleet))).toBe(JSON.stringify(specs));
    expect(specs).toMatchSnapshot();
    const hook = specs.find((s) => s.name === 'factory-images') as Json;
    expect(hook.filters).toEqual({ apps: ['sensor-gateway'], sites: ['factory-a'], policies: ['gateway'] });
    expect(hook.secrets).toEqual([
      { key: 'url', configKey: 'fluxops:alerts.fleet-hook.url' },
      { key: 'hmacKey', configKey: 'fluxops:alerts.fleet-hook.hmacKey' },
    ]);
    expect(hook.topology.sites['warehouse-b']).toEqual({ apps: ['sensor-gateway'], policies: ['gateway'] });
  });

  test('for a site: only alerts without a site filter or with that site', () => {
    const f = fleetWithAlerts();
    expect(alertSpecs(f.fleet, 'factory-a').map((s) => s.name)).toEqual(['ops', 'factory-images', 'statuses']);
    expect(alertSpecs(f.fleet, f.warehouse).map((s) => s.name)).toEqual(['ops', 'statuses']);
    expect(() => alertSpecs(f.fleet, 'nowhere')).toThrow(/invalid site "nowhere": is not a site of this fleet \(sites: factory-a, warehouse-b\)/);
  });
});
