import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { CLUSTER_BINARIES, locateToolchain } from '../../dev/toolchain';
import { Alert, FLUX_NOTIFICATION_API, GitSource, ImageUpdateAutomation, synthesize } from '../../constructs';
import { notifyFleet, type NotifyFleet } from '../reconciler/notify/notify-fixtures';
import { FIELD_MANAGER, Json, KubectlError, applyNamespaces, lostFields, serverDryRun, toYaml } from './server-dry-run';

function fleetWithAlerts(): NotifyFleet {
  const f = notifyFleet();
  const source = new GitSource(f.fleet, 'config', { url: 'https://git.example.com/acme/fleet-config.git', ref: { kind: 'branch', name: 'main' } });
  new ImageUpdateAutomation(f.fleet, 'images', { source, policies: [f.gatewayPolicy, f.uiPolicy], author: { name: 'Bot', email: 'bot@example.com' } });
  new Alert(f.fleet, 'ops', { provider: { kind: 'slack', secretRef: 'ops-slack' }, events: ['reconcile.failed', 'image.rolledback'], severity: 'warning', apps: [f.gateway] });
  new Alert(f.fleet, 'hook', { provider: { kind: 'webhook', secretRef: 'fleet-hook' }, events: ['image.updated'], severity: 'info' });
  new Alert(f.fleet, 'teams', { provider: { kind: 'teams', secretRef: 'ops-teams' }, events: ['reconcile.failed'], severity: 'error' });
  new Alert(f.fleet, 'statuses', { provider: { kind: 'github', repository: 'acme/fleet-config' }, events: ['reconcile.succeeded', 'reconcile.failed'], severity: 'info' });
  new Alert(f.fleet, 'gitea', { provider: { kind: 'gitea', repository: 'acme/fleet-config', apiUrl: 'https://gitea.example.com', secretRef: 'gitea-bot' }, events: ['drift.corrected'], severity: 'info' });
  return f;
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KubectlError) return err.stderr;
    throw err;
  }
  throw new Error('the API server accepted the object');
}

/**
 * The notification Providers and Alerts of the flux flavor against the real CRDs of Flux's
 * notification-controller (generated from its api module v1.9.4 by the `flux_crds` toolchain step),
 * with a server-side dry run in a fresh local cluster.
 */
describe('flux flavor alerts against the real notification-controller CRDs', () => {
  const toolchain = locateToolchain({ need: CLUSTER_BINARIES, fluxCrds: true });
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await startLocalCluster({ toolchain });
    await cluster.kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', toolchain.fluxCrdsDir]);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await cluster.kubectl(['create', 'namespace', 'flux-system']);
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  test('the CRDs serve the version the flavor emits', async () => {
    const crds = JSON.parse(await cluster.kubectl(['get', 'crd', '-o', 'json'])).items as Json[];
    for (const { apiVersion, kind } of Object.values(FLUX_NOTIFICATION_API)) {
      const [group, version] = apiVersion.split('/');
      const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind);
      expect(crd?.spec.versions.find((v: Json) => v.name === version)).toMatchObject({ served: true, storage: true });
    }
  });

  test.each(['factory-a', 'warehouse-b'])('%s: every Provider and Alert passes a server-side dry run, field for field', async (site) => {
    const result = synthesize(fleetWithAlerts().fleet, { site, flavor: 'flux' });
    const notification = result.objects.filter((o) => o.apiVersion.startsWith('notification.toolkit.fluxcd.io/'));
    expect(notification.length).toBeGreaterThanOrEqual(8);
    await applyNamespaces(cluster, result);
    const stored = await serverDryRun(cluster, result.yaml);
    expect(stored).toHaveLength(result.objects.length);
    const lost = result.objects.flatMap((o, i) => lostFields(o.manifest, stored[i]).map((p) => `${o.kind}/${o.name} ${p}`));
    expect(lost).toEqual([]);
  }, 60_000);

  test('Flux knows no "warning" severity, which is why a warning alert is rendered as info', async () => {
    const result = synthesize(fleetWithAlerts().fleet, { site: 'factory-a', flavor: 'flux' });
    const alert = structuredClone(result.objects.find((o) => o.kind === 'Alert' && o.name === 'ops')!.manifest) as Json;
    expect(alert.spec.eventSeverity).toBe('info');
    alert.spec.eventSeverity = 'warning';
    expect(await rejection(serverDryRun(cluster, toYaml(alert)))).toMatch(/spec\.eventSeverity: Unsupported value: "warning": supported values: "info", "error"/);
  }, 60_000);

  test('an unknown provider type is rejected by the CRD enum', async () => {
    const result = synthesize(fleetWithAlerts().fleet, { site: 'factory-a', flavor: 'flux' });
    const provider = structuredClone(result.objects.find((o) => o.kind === 'Provider' && o.name === 'teams')!.manifest) as Json;
    expect(provider.spec.type).toBe('msteams');
    provider.spec.type = 'teams';
    expect(await rejection(serverDryRun(cluster, toYaml(provider)))).toMatch(/spec\.type: Unsupported value: "teams"/);
  }, 60_000);
});
