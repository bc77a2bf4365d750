import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { alertSpecsForSite } from '../../../constructs';
import { createNotifier, type Notifier } from '../../../reconciler/notify';
import { SynthesisError, synthesizeIsolated } from '../../../reconciler/synth';
import { startReceiver, type TestReceiver } from '../../support/http-receiver';
import { events } from '../notify/notify-fixtures';

const LOCK = 'schemaVersion: 1\npolicies: {}\n';

function fleetSource(alertExtra = ''): string {
  return `
import { Alert, EdgeApp, ImagePolicy, ImageRepository, Site, defineFleet } from 'fluxops/constructs';

export default defineFleet({ name: 'edge-fleet' }, (fleet) => {
  const repo = new ImageRepository(fleet, 'gateway-repo', { name: 'gateway', image: 'registry.local:5000/edge/gateway' });
  const policy = new ImagePolicy(fleet, 'gateway-policy', { name: 'gateway', repository: repo, policy: { kind: 'semver', range: '^1.4.0' }, initialTag: '1.4.0' });
  const gateway = new EdgeApp(fleet, 'sensor-gateway', { containers: [{ image: policy }] });
  const ui = new EdgeApp(fleet, 'dashboard', { containers: [{ image: { ref: 'registry.local:5000/edge/ui:2.0.0' } }] });
  const factory = new Site(fleet, 'factory-a', { apps: [gateway, ui] });
  const warehouse = new Site(fleet, 'warehouse-b', { apps: [gateway] });
  new Alert(fleet, 'ops', { provider: { kind: 'webhook', secretRef: 'fleet-hook' }, events: ['image.updated', 'reconcile.failed'], severity: 'info' });
  new Alert(fleet, 'factory-only', { provider: { kind: 'slack', secretRef: 'factory-slack' }, events: ['reconcile.failed'], severity: 'error', sites: [factory] ${alertExtra} });
  void warehouse;
});
`;
}

function configRepo(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-alert-specs-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args]);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'fleet');
  return dir;
}

/** Alerts cross the isolated-synthesis boundary as plain data, then drive a real delivery. */
describe('alert specs from an isolated synthesis', () => {
  const dirs: string[] = [];
  let receiver: TestReceiver;
  let notifier: Notifier | undefined;

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
  });
  afterAll(async () => {
    await notifier?.close({ drainMs: 0 });
    await receiver?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('the payload carries every alert; a site reconciler narrows them and delivers', async () => {
    const dir = configRepo({ 'fleet.ts': fleetSource(), 'fluxops.lock.yaml': LOCK });
    dirs.push(dir);
    const result = await synthesizeIsolated({ configDir: dir, allSites: true });
    expect(result.alerts.map((a) => [a.name, a.provider.kind, a.filters])).toEqual([
      ['ops', 'webhook', {}],
      ['factory-only', 'slack', { sites: ['factory-a'] }],
    ]);
    expect(result.alerts[0].topology.sites['warehouse-b']).toEqual({ apps: ['sensor-gateway'], policies: ['gateway'] });
    const warehouse = alertSpecsForSite(result.alerts, 'warehouse-b');
    expect(warehouse.map((a) => a.name)).toEqual(['ops']);

    notifier = createNotifier({ alerts: warehouse, secrets: { 'fleet-hook': { url: `${receiver.origin}/hook`, hmacKey: 'k' } }, logger: { warn: () => undefined } });
    notifier.notify(events.updated({ site: undefined, app: undefined }));
    await notifier.whenIdle();
    expect(receiver.requests.map((r) => JSON.parse(r.body.toString()).event.kind)).toEqual(['image.updated']);
  }, 60_000);

  test('an alert filter that can never match fails the synthesis, naming the construct and field', async () => {
    const dir = configRepo({ 'fleet.ts': fleetSource(', apps: [ui], sites: [warehouse]').replace("sites: [factory] ,", ''), 'fluxops.lock.yaml': LOCK });
    dirs.push(dir);
    let err: unknown;
    try {
      await synthesizeIsolated({ configDir: dir, allSites: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SynthesisError);
    expect((err as SynthesisError).problems).toEqual([
      expect.objectContaining({ code: 'invalid-construct-props', path: 'edge-fleet/factory-only', field: 'apps[0]', reason: expect.stringMatching(/dashboard runs on none of the alert's sites \(warehouse-b\)/) }),
    ]);
  }, 60_000);
});
