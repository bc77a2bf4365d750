import * as fs from 'node:fs';
import * as path from 'node:path';
import { Fleet, SynthResult, checkImageLock, parseImageLock, synthesize, synthesizeSites } from '../../constructs';
import exampleFleet from '../../examples/edge-fleet/fleet';

const EXAMPLE_DIR = path.resolve(__dirname, '../../examples/edge-fleet');
const LOCK_FILE = path.join(EXAMPLE_DIR, 'fluxops.lock.yaml');

/** The example's fleet, built fresh (what the isolated synthesis child does after loading fleet.ts). */
function loadFleet(): Fleet {
  return exampleFleet.create();
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function manifest(result: SynthResult, kind: string, name: string): Json {
  const obj = result.objects.find((o) => o.kind === kind && o.name === name);
  if (!obj) throw new Error(`no ${kind}/${name} on ${result.site}`);
  return obj.manifest as Json;
}

function image(result: SynthResult, app: string): string {
  return manifest(result, 'Deployment', app).spec.template.spec.containers[0].image;
}

describe('examples/edge-fleet', () => {
  const lock = parseImageLock(fs.readFileSync(LOCK_FILE, 'utf8'), LOCK_FILE);

  test('loads as a fleet with two sites', () => {
    const fleet = loadFleet();
    expect(Fleet.isFleet(fleet)).toBe(true);
    expect(fleet.fleetName).toBe('edge-fleet');
    expect(fleet.sites.map((s) => s.siteName)).toEqual(['factory-a', 'warehouse-b']);
    expect(fleet.apps.map((a) => a.appName)).toEqual(['mqtt-broker', 'sensor-gateway', 'dashboard']);
    // Every load builds a fresh tree.
    expect(loadFleet()).not.toBe(fleet);
  });

  test('synthesizes both sites, plain and flux, without fallbacks', () => {
    const fleet = loadFleet();
    for (const flavor of ['plain', 'flux'] as const) {
      const results = synthesizeSites(fleet, { flavor, lock });
      expect(results.map((r) => r.site)).toEqual(['factory-a', 'warehouse-b']);
      for (const r of results) expect(r.warnings.filter((w) => w.code !== 'image-held')).toEqual([]);
    }
  });

  test('factory-a: all three apps, two gateway replicas, dashboard ingress on the site host', () => {
    const result = synthesize(loadFleet(), { site: 'factory-a', lock });
    expect(result.objects.filter((o) => o.kind === 'Deployment').map((o) => o.name)).toEqual(['dashboard', 'mqtt-broker', 'sensor-gateway']);
    expect(manifest(result, 'Deployment', 'sensor-gateway').spec.replicas).toBe(2);
    expect(manifest(result, 'Ingress', 'dashboard').spec.rules[0].host).toBe('dashboard.factory-a.edge.example.com');
    expect(image(result, 'mqtt-broker')).toBe(
      'registry.local:5000/edge/eclipse-mosquitto:2.0.20@sha256:bf9b648de6e46f204fcc85b230dd5b00e2755fe7bf61c0ebd5fdea8255af004c',
    );
    expect(image(result, 'dashboard')).toMatch(/^registry\.local:5000\/edge\/dashboard:main-9b1e4d7-1732000000@sha256:[0-9a-f]{64}$/);
    expect(result.warnings).toEqual([]);
    expect(result.yaml).toMatchSnapshot();
  });

  test('warehouse-b: no dashboard, broker held at 2.0.18 with its site-specific digest', () => {
    const result = synthesize(loadFleet(), { site: 'warehouse-b', lock });
    expect(result.objects.some((o) => o.name === 'dashboard')).toBe(false);
    expect(image(result, 'mqtt-broker')).toBe(
      'registry.local:5000/edge/eclipse-mosquitto:2.0.18@sha256:3bed6abfc8f6a2d4e31231e33f805445230c43bb7de0a80fe375487016ee1c69',
    );
    const env = manifest(result, 'Deployment', 'sensor-gateway').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'SITE_ID', value: 'warehouse-b' });
    expect(env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(result.warnings.map((w) => w.code)).toEqual(['image-held']);
  });

  test('the lock fits the fleet: every entry follows its policy (checked as deploys check it)', () => {
    expect(checkImageLock(loadFleet(), lock, { source: LOCK_FILE })).toEqual([]);
  });

  test('the registry placeholder is overridable (FLEET_REGISTRY); the lock then no longer fits, and says so', () => {
    const previous = process.env.FLEET_REGISTRY;
    process.env.FLEET_REGISTRY = '127.0.0.1:5123';
    try {
      const fleet = loadFleet();
      const problems = checkImageLock(fleet, lock, { source: LOCK_FILE, site: 'factory-a' });
      expect(problems.filter((p) => p.code === 'lock-image-mismatch').map((p) => p.field)).toEqual([
        'policies.dashboard.image',
        'policies.mqtt-broker.image',
        'policies.sensor-gateway.image',
      ]);
      expect(problems[0].message).toMatch(/fluxops\.lock\.yaml: policies\.dashboard\.image "registry\.local:5000\/edge\/dashboard": policy edge-fleet\/dashboard-policy follows 127\.0\.0\.1:5123\/edge\/dashboard/);
    } finally {
      if (previous === undefined) delete process.env.FLEET_REGISTRY;
      else process.env.FLEET_REGISTRY = previous;
    }
  });
});
