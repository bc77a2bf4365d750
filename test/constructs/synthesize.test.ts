import {
  EdgeApp,
  KIND_APPLY_ORDER,
  RawObjects,
  Site,
  compareApplyOrder,
  defineFleet,
  synthesize,
  synthesizeSites,
} from '../../constructs';
import { gatewayLock, smallFleet, webApp } from './fleet-fixture';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'sensors.edge.example.com' },
  spec: {
    group: 'edge.example.com',
    names: { kind: 'Sensor', plural: 'sensors' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
  },
};

const definition = defineFleet({ name: 'det-fleet' }, (fleet) => {
  // Objects are declared "out of order" on purpose: synthesis must sort them.
  new RawObjects(fleet, 'sensor-crd', {
    objects: [
      { apiVersion: 'edge.example.com/v1', kind: 'Sensor', metadata: { name: 'line-1', namespace: 'edge-apps' }, spec: { bus: 'i2c-1' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'edge-apps' }, rules: [] },
      crd,
    ],
  });
});

function buildFleet() {
  return definition.create();
}

describe('synthesize', () => {
  test('is deterministic: same input, byte-identical output', () => {
    const f1 = smallFleet();
    webApp(f1, 'gateway', { ingress: { host: 'gw.example.com' }, config: { data: { b: '2', a: '1' } } });
    const f2 = smallFleet();
    webApp(f2, 'gateway', { ingress: { host: 'gw.example.com' }, config: { data: { a: '1', b: '2' } } });
    const first = synthesize(f1.fleet, { lock: gatewayLock() });
    const again = synthesize(f1.fleet, { lock: gatewayLock() });
    const fresh = synthesize(f2.fleet, { lock: gatewayLock() });
    expect(again.yaml).toBe(first.yaml);
    expect(fresh.yaml).toBe(first.yaml);
    expect(first.objects.map((o) => o.fileName)).toEqual(fresh.objects.map((o) => o.fileName));
  });

  test('does not depend on cdk8s key sorting or the clock', () => {
    const f = smallFleet();
    webApp(f);
    const sorted = synthesize(f.fleet, { lock: gatewayLock() }).yaml;
    process.env.CDK8S_DISABLE_SORT = 'true';
    try {
      expect(synthesize(f.fleet, { lock: gatewayLock() }).yaml).toBe(sorted);
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
    }
    expect(sorted).not.toMatch(new RegExp(String(new Date().getUTCFullYear())));
  });

  test('orders CRDs first, then Namespaces, then the rest by kind', () => {
    const fleet = buildFleet();
    const result = synthesize(fleet);
    expect(result.objects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'CustomResourceDefinition/sensors.edge.example.com',
      'Namespace/edge-apps',
      'Role/reader',
      'Sensor/line-1',
    ]);
    expect(result.objects.map((o) => o.order)).toEqual([0, 1, 2, 3]);
    expect(result.yaml.split('---\n')[0]).toMatch(/^apiVersion: apiextensions.k8s.io\/v1\nkind: CustomResourceDefinition\n/);
  });

  test('orders app objects ConfigMap, Service, Deployment, Ingress', () => {
    const f = smallFleet();
    webApp(f, 'gateway', { ingress: { host: 'gw.example.com' }, config: { data: { a: '1' } } });
    expect(synthesize(f.fleet).objects.map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap', 'Service', 'Deployment', 'Ingress']);
  });

  test('apply order table starts with CRDs and Namespaces; unknown kinds sort last', () => {
    expect(KIND_APPLY_ORDER.slice(0, 2)).toEqual(['CustomResourceDefinition', 'Namespace']);
    const key = (kind: string, name = 'x') => ({ apiVersion: 'v1', kind, name });
    const kinds = ['Widget', 'Ingress', 'Deployment', 'Namespace', 'Service', 'CustomResourceDefinition', 'Abc'];
    expect(kinds.map((k) => key(k)).sort(compareApplyOrder).map((k) => k.kind)).toEqual([
      'CustomResourceDefinition',
      'Namespace',
      'Service',
      'Deployment',
      'Ingress',
      'Abc',
      'Widget',
    ]);
  });

  test('names files <order>-<kind>-<namespace>-<name>.yaml', () => {
    const result = synthesize(buildFleet());
    expect(result.objects.map((o) => o.fileName)).toEqual([
      '000-customresourcedefinition-cluster-sensors.edge.example.com.yaml',
      '001-namespace-cluster-edge-apps.yaml',
      '002-role-edge-apps-reader.yaml',
      '003-sensor-edge-apps-line-1.yaml',
    ]);
  });

  test('the stream is the documents joined by ---', () => {
    const result = synthesize(buildFleet());
    expect(result.yaml).toBe(result.objects.map((o) => o.yaml).join('---\n'));
  });

  test('manifests are frozen data with apiVersion, kind, metadata first', () => {
    const result = synthesize(buildFleet());
    const m = result.objects[0].manifest;
    expect(Object.keys(m)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.spec)).toBe(true);
  });

  test('renders every site separately', () => {
    const f = smallFleet();
    const app = webApp(f);
    new Site(f.fleet, 'north', { apps: [app] });
    new Site(f.fleet, 'south', { apps: [app], overrides: [{ app, replicas: 0 }] });
    const results = synthesizeSites(f.fleet, { lock: gatewayLock() });
    expect(results.map((r) => r.site)).toEqual(['north', 'south']);
    const labels = results.map((r) => r.objects.find((o) => o.kind === 'Deployment')?.manifest.metadata);
    expect(labels.map((m) => (m as { labels: Record<string, string> }).labels['fluxops.dev/site'])).toEqual(['north', 'south']);
  });

  test('quotes strings YAML 1.1 parsers would misread', () => {
    const f = smallFleet();
    new EdgeApp(f.fleet, 'flags', {
      containers: [{ image: f.policy, env: { ENABLED: 'yes', LEVEL: 'on', VERSION: '1.10', EMPTY: '' } }],
    });
    const yaml = synthesize(f.fleet).yaml;
    expect(yaml).toContain('value: "yes"');
    expect(yaml).toContain('value: "on"');
    expect(yaml).toContain('value: "1.10"');
    expect(yaml).toContain('value: ""');
  });
});
