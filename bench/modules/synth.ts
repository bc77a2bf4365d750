/**
 * Synthesis of a fleet of 100 apps (Deployment + Service each, arm64 affinity, images resolved
 * from a lock) against plain cdk8s-plus writing the same objects, in this process.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';

import { EdgeApp, Fleet, ImagePolicy, ImageRepository, Site, emptyImageLock, synthesize, withLockEntry, type ImageLock } from '../../constructs';
import { median } from '../harness/measure';
import type { BenchModule } from '../harness/types';

const APPS = 100;
const REGISTRY = 'registry.local:5000';

function buildFleet(): Fleet {
  const fleet = new Fleet({ name: 'bench-fleet' });
  const apps: EdgeApp[] = [];
  for (let i = 0; i < APPS; i++) {
    const repo = new ImageRepository(fleet, `repo-${i}`, { name: `app-${i}`, image: `${REGISTRY}/bench/app-${i}` });
    const policy = new ImagePolicy(fleet, `policy-${i}`, { name: `app-${i}`, repository: repo, policy: { kind: 'semver', range: '^1.0.0' }, initialTag: '1.0.0' });
    apps.push(new EdgeApp(fleet, `app-${i}`, { containers: [{ image: policy, ports: [{ name: 'http', port: 8080 }], readiness: { kind: 'http', path: '/healthz', port: 'http' } }] }));
  }
  new Site(fleet, 'bench-site', { apps, nodes: [{ name: 'node-1', architecture: 'arm64' }] });
  return fleet;
}

function buildLock(): ImageLock {
  let lock = emptyImageLock();
  for (let i = 0; i < APPS; i++) {
    lock = withLockEntry(lock, `app-${i}`, { image: `${REGISTRY}/bench/app-${i}`, tag: '1.0.3', digest: `sha256:${String(i).padStart(64, '0')}`, updatedAt: '2025-11-20T10:00:00Z' });
  }
  return lock;
}

function fluxops(lock: ImageLock): void {
  const result = synthesize(buildFleet(), { lock });
  const deployments = result.objects.filter((o) => o.kind === 'Deployment').length;
  if (deployments !== APPS) throw new Error(`expected ${APPS} Deployments, got ${deployments}`);
}

function cdk8sPlus(): void {
  const app = new App({ outdir: 'unused' });
  const chart = new Chart(app, 'baseline', { disableResourceNameHashes: true });
  for (let i = 0; i < APPS; i++) {
    const d = new kplus.Deployment(chart, `app-${i}`, {
      metadata: { name: `app-${i}`, namespace: 'edge-apps' },
      replicas: 1,
      containers: [{ image: `${REGISTRY}/bench/app-${i}:1.0.3@sha256:${String(i).padStart(64, '0')}`, ports: [{ number: 8080, name: 'http' }], readiness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }) }],
    });
    d.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.in('kubernetes.io/arch', ['arm64'])));
    d.exposeViaService({ name: `app-${i}`, ports: [{ port: 8080, targetPort: 8080, name: 'http' }] });
  }
  app.synthYaml();
}

/** Milliseconds of each run after one warm-up run (lazy initialisation, JIT). */
function runs(fn: () => void, n: number): number[] {
  fn();
  return Array.from({ length: n }, () => {
    const t = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  });
}

/** `synth`: 100 apps synthesized by FluxOps vs raw cdk8s-plus. Goal: under 1 s. */
export const synthModule: BenchModule = {
  name: 'synth',
  description: 'synthesis of 100 apps vs raw cdk8s-plus (same process)',
  async run(ctx) {
    const n = ctx.quick ? 3 : 7;
    const lock = buildLock();
    const base = runs(cdk8sPlus, n);
    const ours = runs(() => fluxops(lock), n);
    return {
      rows: [
        {
          name: `synthesis, ${APPS} apps (Deployment + Service, arm64 affinity, locked images)`,
          value: median(ours),
          unit: 'ms',
          baseline: median(base),
          baselineName: 'cdk8s-plus-34',
          goal: { kind: 'max', value: 1000 },
          detail: `median of ${n} runs after a warm-up; FluxOps runs ${ours.map((r) => r.toFixed(0)).join(', ')} ms; cdk8s-plus ${base.map((r) => r.toFixed(0)).join(', ')} ms`,
        },
      ],
    };
  },
};
