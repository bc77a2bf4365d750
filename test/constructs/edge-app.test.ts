import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  EdgeApp,
  ImagePolicy,
  Manifest,
  Site,
  SynthResult,
  emptyImageLock,
  renderEdgeApp,
  synthesize,
} from '../../constructs';
import { digestOf, gatewayLock, smallFleet, webApp } from './fleet-fixture';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function find(result: SynthResult, kind: string, name?: string): Json {
  const obj = result.objects.find((o) => o.kind === kind && (name === undefined || o.name === name));
  if (!obj) throw new Error(`no ${kind} ${name ?? ''} in ${result.objects.map((o) => `${o.kind}/${o.name}`).join(', ')}`);
  return obj.manifest as Json;
}

function podSpec(m: Manifest): Json {
  return (m as Json).spec.template.spec;
}

describe('EdgeApp', () => {
  test('renders the edge defaults (snapshot)', () => {
    const f = smallFleet();
    webApp(f, 'gateway', { ingress: { host: 'gateway.site.example.com' } });
    const result = synthesize(f.fleet, { lock: gatewayLock() });
    expect(result.yaml).toMatchSnapshot();
  });

  test('places pods on arm64 nodes by default', () => {
    const f = smallFleet();
    webApp(f);
    const spec = podSpec(find(synthesize(f.fleet), 'Deployment'));
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] },
    ]);
  });

  test('accepts a list of architectures, and a site may narrow it', () => {
    const f = smallFleet();
    const app = webApp(f, 'gateway', { architectures: ['arm64', 'amd64'] });
    new Site(f.fleet, 'lab', { apps: [app] });
    new Site(f.fleet, 'pi-only', { apps: [app], overrides: [{ app, architectures: ['arm64'] }] });
    const values = (site: string): string[] =>
      podSpec(find(synthesize(f.fleet, { site }), 'Deployment')).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms[0].matchExpressions[0].values;
    expect(values('lab')).toEqual(['arm64', 'amd64']);
    expect(values('pi-only')).toEqual(['arm64']);
  });

  test('resolves the image from the lock, pinned by digest', () => {
    const f = smallFleet();
    webApp(f);
    const result = synthesize(f.fleet, { lock: gatewayLock('1.2.7', digestOf('b')) });
    expect(podSpec(find(result, 'Deployment')).containers[0].image).toBe(`registry.local:5000/edge/gateway:1.2.7@${digestOf('b')}`);
    expect(result.warnings).toEqual([]);
  });

  test('without digest pinning the image is name:tag', () => {
    const f = smallFleet();
    const unpinned = new ImagePolicy(f.fleet, 'unpinned', {
      repository: f.repo,
      policy: { kind: 'semver', range: '^1.0.0' },
      initialTag: '1.0.0',
      digestPinning: false,
    });
    new EdgeApp(f.fleet, 'app', { containers: [{ image: { policy: unpinned } }] });
    const lock = gatewayLock();
    const withEntry = { ...lock, policies: { ...lock.policies, unpinned: lock.policies.gateway } };
    const image = podSpec(find(synthesize(f.fleet, { lock: withEntry }), 'Deployment')).containers[0].image;
    expect(image).toBe('registry.local:5000/edge/gateway:1.2.3');
  });

  test('falls back to initialTag with a warning when the lock has no entry', () => {
    const f = smallFleet();
    webApp(f);
    const result = synthesize(f.fleet, { lock: emptyImageLock() });
    expect(podSpec(find(result, 'Deployment')).containers[0].image).toBe('registry.local:5000/edge/gateway:1.2.0');
    expect(result.warnings.map((w) => w.code)).toEqual(['lock-entry-missing', 'digest-unknown']);
    expect(result.warnings[0]).toMatchObject({ path: 'test-fleet/gateway' });
    expect(result.warnings[0].message).toContain('no lock entry for policy "gateway"; using its initialTag 1.2.0');
  });

  test('ignores a lock entry for another image', () => {
    const f = smallFleet();
    webApp(f);
    const lock = gatewayLock();
    const wrong = { ...lock, policies: { gateway: { ...lock.policies.gateway, image: 'other.registry/edge/gateway' } } };
    const result = synthesize(f.fleet, { lock: wrong });
    expect(podSpec(find(result, 'Deployment')).containers[0].image).toBe('registry.local:5000/edge/gateway:1.2.0');
    expect(result.warnings.map((w) => w.code)).toContain('lock-image-mismatch');
  });

  test('a fixed image reference is used verbatim', () => {
    const f = smallFleet();
    const ref = `docker.io/library/busybox:1.36@${digestOf('c')}`;
    new EdgeApp(f.fleet, 'tools', { containers: [{ image: { ref }, command: ['sleep', 'infinity'] }] });
    expect(podSpec(find(synthesize(f.fleet), 'Deployment')).containers[0].image).toBe(ref);
  });

  test('applies conservative resources, overridable per container', () => {
    const f = smallFleet();
    webApp(f);
    new EdgeApp(f.fleet, 'big', {
      containers: [{ image: f.policy, resources: { cpu: { request: 0.25, limit: '1000m' }, memory: { limit: '1Gi' } } }],
    });
    const result = synthesize(f.fleet);
    expect(podSpec(find(result, 'Deployment', 'gateway')).containers[0].resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '500m', memory: '128Mi' },
    });
    expect(podSpec(find(result, 'Deployment', 'big')).containers[0].resources).toEqual({
      requests: { cpu: '250m', memory: '64Mi' },
      limits: { cpu: '1000m', memory: '1024Mi' },
    });
  });

  test('runs as non-root with a read-only root filesystem and a writable /tmp', () => {
    const f = smallFleet();
    webApp(f);
    const spec = podSpec(find(synthesize(f.fleet), 'Deployment'));
    expect(spec.securityContext).toEqual({
      fsGroup: 65532,
      fsGroupChangePolicy: 'OnRootMismatch',
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
    });
    expect(spec.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }]);
    expect(spec.volumes).toEqual([{ emptyDir: { sizeLimit: '64Mi' }, name: 'tmp' }]);
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  test('a writable root filesystem gets no /tmp volume', () => {
    const f = smallFleet();
    new EdgeApp(f.fleet, 'legacy', { containers: [{ image: f.policy, readOnlyRootFilesystem: false }] });
    const spec = podSpec(find(synthesize(f.fleet), 'Deployment'));
    expect(spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    expect(spec.volumes).toBeUndefined();
  });

  test('spreads replicas across nodes, keeps a short history and selects by app name', () => {
    const f = smallFleet();
    webApp(f, 'gateway', { replicas: 3 });
    const deployment = find(synthesize(f.fleet), 'Deployment');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.revisionHistoryLimit).toBe(3);
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'gateway' } });
    expect(deployment.spec.template.metadata.labels).not.toHaveProperty(['cdk8s.io/metadata.addr']);
    expect(podSpec(deployment).topologySpreadConstraints).toEqual([
      {
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } },
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
      },
    ]);
  });

  test('spread: false removes the topology spread constraint', () => {
    const f = smallFleet();
    webApp(f, 'gateway', { spread: false });
    expect(podSpec(find(synthesize(f.fleet), 'Deployment')).topologySpreadConstraints).toBeUndefined();
  });

  test('exposes container ports through a ClusterIP Service by default', () => {
    const f = smallFleet();
    webApp(f);
    const service = find(synthesize(f.fleet), 'Service');
    expect(service.spec).toMatchObject({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'gateway' },
      ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }],
    });
  });

  test('NodePort services carry their node ports; service: false renders none', () => {
    const f = smallFleet();
    webApp(f, 'gateway', { service: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }] } });
    webApp(f, 'worker', { service: false });
    const result = synthesize(f.fleet);
    expect(find(result, 'Service', 'gateway').spec).toMatchObject({
      type: 'NodePort',
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }],
    });
    expect(result.objects.filter((o) => o.kind === 'Service').map((o) => o.name)).toEqual(['gateway']);
  });

  test('routes an Ingress through Traefik by default, with site host and TLS', () => {
    const f = smallFleet();
    const app = webApp(f, 'gateway', { ingress: { host: 'gw.example.com', tls: { secretName: 'gw-tls' } } });
    new Site(f.fleet, 'factory', { apps: [app], overrides: [{ app, ingressHost: 'gw.factory.example.com' }] });
    const ingress = find(synthesize(f.fleet, { site: 'factory' }), 'Ingress');
    expect(ingress.spec).toEqual({
      ingressClassName: 'traefik',
      rules: [
        {
          host: 'gw.factory.example.com',
          http: { paths: [{ backend: { service: { name: 'gateway', port: { number: 8080 } } }, path: '/', pathType: 'Prefix' }] },
        },
      ],
      tls: [{ hosts: ['gw.factory.example.com'], secretName: 'gw-tls' }],
    });
  });

  test('renders app config as a ConfigMap, mounted and hashed into the pod template', () => {
    const f = smallFleet();
    webApp(f, 'gateway', { config: { data: { 'app.yaml': 'a: 1\n' }, mountPath: '/etc/gateway' } });
    const result = synthesize(f.fleet);
    expect(find(result, 'ConfigMap').data).toEqual({ 'app.yaml': 'a: 1\n' });
    const deployment = find(result, 'Deployment');
    expect(deployment.spec.template.metadata.annotations['fluxops.dev/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(podSpec(deployment).containers[0].volumeMounts).toContainEqual({ mountPath: '/etc/gateway', name: 'config', readOnly: true });
    expect(podSpec(deployment).volumes).toContainEqual({ configMap: { name: 'gateway-config' }, name: 'config' });
  });

  test('app config without a mount path is exposed as environment of the first container', () => {
    const f = smallFleet();
    webApp(f, 'gateway', { config: { data: { LOG_LEVEL: 'info' } } });
    const spec = podSpec(find(synthesize(f.fleet), 'Deployment'));
    expect(spec.containers[0].envFrom).toEqual([{ configMapRef: { name: 'gateway-config' } }]);
  });

  test('a policy-level hold applies on every site, pinned when the lock records that tag', () => {
    const f = smallFleet();
    const held = new ImagePolicy(f.fleet, 'held-policy', {
      name: 'held',
      repository: f.repo,
      policy: { kind: 'semver', range: '^1.0.0' },
      initialTag: '1.0.0',
      hold: { tag: '1.2.3', reason: 'fleet-wide freeze' },
    });
    const app = new EdgeApp(f.fleet, 'frozen', { containers: [{ image: held }] });
    const site = new Site(f.fleet, 'any', { apps: [] });
    site.addApp(app, { replicas: 2 });
    const lock = gatewayLock('1.2.3', digestOf('9'));
    const result = synthesize(f.fleet, { lock: { ...lock, policies: { held: lock.policies.gateway } } });
    const deployment = find(result, 'Deployment');
    expect(podSpec(deployment).containers[0].image).toBe(`registry.local:5000/edge/gateway:1.2.3@${digestOf('9')}`);
    expect(deployment.spec.replicas).toBe(2);
    expect(result.warnings.map((w) => w.message)).toEqual(['test-fleet/frozen: policy held is held at 1.2.3 on site any: fleet-wide freeze']);
  });

  test('env: literals, secret and config references, pod fields; sites override per variable', () => {
    const f = smallFleet();
    const app = new EdgeApp(f.fleet, 'gateway', {
      containers: [
        {
          image: f.policy,
          env: {
            MODE: 'normal',
            TOKEN: { secret: 'gateway-secrets', key: 'token' },
            ENDPOINT: { configMap: 'shared', key: 'endpoint', optional: true },
            NODE: { field: 'spec.nodeName' },
          },
          envFrom: [{ secret: 'extra', prefix: 'X_' }],
        },
      ],
      imagePullSecrets: [{ name: 'regcred' }],
    });
    new Site(f.fleet, 'site', { apps: [app], overrides: [{ app, env: { MODE: 'debug', SITE: 'site' } }] });
    const spec = podSpec(find(synthesize(f.fleet), 'Deployment'));
    expect(spec.containers[0].env).toEqual([
      { name: 'MODE', value: 'debug' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { key: 'token', name: 'gateway-secrets', optional: false } } },
      { name: 'ENDPOINT', valueFrom: { configMapKeyRef: { key: 'endpoint', name: 'shared', optional: true } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SITE', value: 'site' },
    ]);
    expect(spec.containers[0].envFrom).toEqual([{ prefix: 'X_', secretRef: { name: 'extra' } }]);
    expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  test('site overrides replicas and holds an image at a tag', () => {
    const f = smallFleet();
    const app = webApp(f);
    new Site(f.fleet, 'held', {
      apps: [app],
      overrides: [{ app, replicas: 2 }],
      holds: [{ policy: f.policy, tag: '1.2.3', reason: 'validated build' }],
    });
    const result = synthesize(f.fleet, { lock: gatewayLock('1.2.9', digestOf('d')) });
    const deployment = find(result, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(podSpec(deployment).containers[0].image).toBe('registry.local:5000/edge/gateway:1.2.3');
    expect(result.warnings.map((w) => w.code)).toEqual(['image-held', 'digest-unknown']);
  });

  test('a site hold uses the digest of a site-specific lock entry', () => {
    const f = smallFleet();
    const app = webApp(f);
    new Site(f.fleet, 'held', { apps: [app], holds: [{ policy: f.policy, tag: '1.2.3', reason: 'validated build' }] });
    const lock = gatewayLock('1.2.9', digestOf('d'));
    const withSite = { ...lock, sites: { held: { gateway: { ...lock.policies.gateway, tag: '1.2.3', digest: digestOf('e') } } } };
    const image = podSpec(find(synthesize(f.fleet, { lock: withSite }), 'Deployment')).containers[0].image;
    expect(image).toBe(`registry.local:5000/edge/gateway:1.2.3@${digestOf('e')}`);
  });

  test('renders into a plain cdk8s chart too (Testing.synth)', () => {
    const f = smallFleet();
    const app = webApp(f);
    const chart = Testing.chart();
    renderEdgeApp(new Construct(chart, 'gateway'), app, { fleet: f.fleet, lock: gatewayLock() });
    const objects = Testing.synth(chart);
    expect(objects.map((o: { kind: string }) => o.kind)).toEqual(['Deployment', 'Service']);
    expect(objects[0].spec.template.spec.containers[0].image).toBe(`registry.local:5000/edge/gateway:1.2.3@${digestOf('a')}`);
  });

  test('exposes what it resolved', () => {
    const f = smallFleet();
    const app = webApp(f);
    expect(EdgeApp.isEdgeApp(app)).toBe(true);
    expect(app.imagePolicies).toEqual([f.policy]);
    expect(app.namespace).toBe('edge-apps');
    expect(app.containers[0].name).toBe('gateway');
    expect(app.service?.ports).toEqual([{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }]);
  });
});
