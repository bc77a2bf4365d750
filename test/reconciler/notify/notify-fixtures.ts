import { Alert, AlertProps, AlertSpec, EdgeApp, Fleet, ImagePolicy, ImageRepository, Site, alertSpecs } from '../../../constructs';
import {
  createEvent,
  type DriftCorrectedEvent,
  type FluxOpsEvent,
  type ImageRefusedEvent,
  type ImageRolledBackEvent,
  type ImageUpdatedEvent,
  type ReconcileFailedEvent,
  type ReconcileSucceededEvent,
} from '../../../reconciler/notify';

/** Fixed values so bodies, ids and snapshots are reproducible. */
export const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const IMAGE_SHA = '0f1e2d3c4b5a69788796a5b4c3d2e1f001234567';
export const OLD_DIGEST = `sha256:${'1'.repeat(64)}`;
export const NEW_DIGEST = `sha256:${'2'.repeat(64)}`;
export const REPO = 'https://git.example.com/acme/fleet-config.git';
const AT = new Date('2026-05-04T10:20:30.000Z');

/** A fleet with two sites, two apps and two policies. */
export interface NotifyFleet {
  readonly fleet: Fleet;
  readonly gateway: EdgeApp;
  readonly ui: EdgeApp;
  readonly gatewayPolicy: ImagePolicy;
  readonly uiPolicy: ImagePolicy;
  readonly factory: Site;
  readonly warehouse: Site;
}

/** Builds {@link NotifyFleet}: factory-a runs gateway and ui, warehouse-b runs gateway. */
export function notifyFleet(): NotifyFleet {
  const fleet = new Fleet({ name: 'edge-fleet' });
  const gwRepo = new ImageRepository(fleet, 'gateway-repo', { name: 'gateway', image: 'registry.local:5000/edge/gateway' });
  const uiRepo = new ImageRepository(fleet, 'ui-repo', { name: 'ui', image: 'registry.local:5000/edge/ui' });
  const gatewayPolicy = new ImagePolicy(fleet, 'gateway-policy', { name: 'gateway', repository: gwRepo, policy: { kind: 'semver', range: '^1.4.0' }, initialTag: '1.4.0' });
  const uiPolicy = new ImagePolicy(fleet, 'ui-policy', { name: 'ui', repository: uiRepo, policy: { kind: 'semver', range: '^2.0.0' }, initialTag: '2.0.0' });
  const gateway = new EdgeApp(fleet, 'sensor-gateway', { containers: [{ image: gatewayPolicy, ports: [{ name: 'http', port: 8080 }] }] });
  const ui = new EdgeApp(fleet, 'dashboard', { containers: [{ image: uiPolicy, ports: [{ name: 'http', port: 3000 }] }] });
  const factory = new Site(fleet, 'factory-a', { apps: [gateway, ui] });
  const warehouse = new Site(fleet, 'warehouse-b', { apps: [gateway] });
  return { fleet, gateway, ui, gatewayPolicy, uiPolicy, factory, warehouse };
}

/** The spec of one alert added to a fresh {@link notifyFleet}. */
export function specOf(props: (f: NotifyFleet) => AlertProps, name = 'ops'): AlertSpec {
  const f = notifyFleet();
  new Alert(f.fleet, name, props(f));
  const [spec] = alertSpecs(f.fleet);
  return spec;
}

/** One event of each kind, with fixed content. */
export const events = {
  succeeded: (): ReconcileSucceededEvent =>
    createEvent<ReconcileSucceededEvent>({
      kind: 'reconcile.succeeded',
      fleet: 'edge-fleet',
      site: 'factory-a',
      commit: { sha: SHA, repository: REPO, branch: 'main' },
      summary: { created: 1, configured: 1, deleted: 0, unchanged: 7 },
      changed: [
        { id: 'Deployment/edge-apps/sensor-gateway', action: 'configured', app: 'sensor-gateway' },
        { id: 'ConfigMap/edge-apps/sensor-gateway-config', action: 'created', app: 'sensor-gateway' },
      ],
      durationMs: 3240,
      occurredAt: AT,
    }),
  failed: (over: Partial<ReconcileFailedEvent> = {}): ReconcileFailedEvent =>
    createEvent<ReconcileFailedEvent>({
      kind: 'reconcile.failed',
      fleet: 'edge-fleet',
      site: 'factory-a',
      commit: { sha: SHA, repository: REPO, branch: 'main' },
      reason: 'Deployment edge-apps/sensor-gateway: pod sensor-gateway-7d9f: container gateway CrashLoopBackOff',
      errorCode: 'health-check-failed',
      stalled: true,
      occurredAt: AT,
      ...over,
    }),
  drift: (): DriftCorrectedEvent =>
    createEvent<DriftCorrectedEvent>({
      kind: 'drift.corrected',
      fleet: 'edge-fleet',
      site: 'warehouse-b',
      commit: { sha: SHA, repository: REPO },
      corrected: [{ id: 'Deployment/edge-apps/sensor-gateway', fields: ['spec.replicas', 'spec.template.spec.containers[0].image'], app: 'sensor-gateway' }],
      occurredAt: AT,
    }),
  updated: (over: Partial<ImageUpdatedEvent> = {}): ImageUpdatedEvent =>
    createEvent<ImageUpdatedEvent>({
      kind: 'image.updated',
      fleet: 'edge-fleet',
      policy: 'gateway',
      image: 'registry.local:5000/edge/gateway',
      app: 'sensor-gateway',
      site: 'factory-a',
      from: { tag: '1.4.0', digest: OLD_DIGEST },
      to: { tag: '1.5.0', digest: NEW_DIGEST },
      commit: { sha: IMAGE_SHA, repository: REPO, branch: 'main' },
      occurredAt: AT,
      ...over,
    }),
  refused: (): ImageRefusedEvent =>
    createEvent<ImageRefusedEvent>({
      kind: 'image.refused',
      fleet: 'edge-fleet',
      policy: 'gateway',
      image: 'registry.local:5000/edge/gateway',
      tag: '1.6.0',
      reasonCode: 'missing-platform',
      reason: 'provides linux/amd64, requires linux/arm64',
      occurredAt: AT,
    }),
  rolledback: (): ImageRolledBackEvent =>
    createEvent<ImageRolledBackEvent>({
      kind: 'image.rolledback',
      fleet: 'edge-fleet',
      policy: 'gateway',
      image: 'registry.local:5000/edge/gateway',
      app: 'sensor-gateway',
      site: 'factory-a',
      badTag: { tag: '1.6.0', digest: NEW_DIGEST },
      restoredTag: { tag: '1.5.0', digest: OLD_DIGEST },
      podState: { pod: 'sensor-gateway-7d9f-x2x', container: 'gateway', reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container', restarts: 4 },
      commit: { sha: IMAGE_SHA, repository: REPO, branch: 'main' },
      occurredAt: AT,
    }),
} as const;

/** Every fixture event. */
export function allEvents(): FluxOpsEvent[] {
  return [events.succeeded(), events.failed(), events.drift(), events.updated(), events.refused(), events.rolledback()];
}
