/**
 * Synthesis benchmark: a fleet of 100 apps (Deployment + Service each, arm64 affinity, images
 * resolved from a lock) rendered to YAML, against the goal of 1 s and against a baseline of
 * plain cdk8s-plus doing the same 100 Deployments + Services in the same process.
 *
 *   npx ts-node --transpile-only bench/synth-100-apps.ts [runs]
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import {
  EdgeApp,
  Fleet,
  ImageLock,
  ImagePolicy,
  ImageRepository,
  Site,
  emptyImageLock,
  synthesize,
  withLockEntry,
} from '../constructs';

const APPS = 100;
const GOAL_MS = 1000;
const RUNS = Number(process.argv[2] ?? 7);
const REGISTRY = 'registry.local:5000';

function buildFleet(): Fleet {
  const fleet = new Fleet({ name: 'bench-fleet' });
  const apps: EdgeApp[] = [];
  for (let i = 0; i < APPS; i++) {
    const repo = new ImageRepository(fleet, `repo-${i}`, { name: `app-${i}`, image: `${REGISTRY}/bench/app-${i}` });
    const policy = new ImagePolicy(fleet, `policy-${i}`, {
      name: `app-${i}`,
      repository: repo,
      policy: { kind: 'semver', range: '^1.0.0' },
      initialTag: '1.0.0',
    });
    apps.push(
      new EdgeApp(fleet, `app-${i}`, {
        containers: [{ image: policy, ports: [{ name: 'http', port: 8080 }], readiness: { kind: 'http', path: '/healthz', port: 'http' } }],
      }),
    );
  }
  new Site(fleet, 'bench-site', { apps, nodes: [{ name: 'node-1', architecture: 'arm64' }] });
  return fleet;
}

function buildLock(): ImageLock {
  let lock = emptyImageLock();
  for (let i = 0; i < APPS; i++) {
    lock = withLockEntry(lock, `app-${i}`, {
      image: `${REGISTRY}/bench/app-${i}`,
      tag: '1.0.3',
      digest: `sha256:${String(i).padStart(64, '0')}`,
      updatedAt: '2025-11-20T10:00:00Z',
    });
  }
  return lock;
}

/** FluxOps: build the fleet (what loading a config repository does) and synthesize it. */
function fluxops(lock: ImageLock): number {
  const result = synthesize(buildFleet(), { lock });
  const deployments = result.objects.filter((o) => o.kind === 'Deployment').length;
  const services = result.objects.filter((o) => o.kind === 'Service').length;
  if (deployments !== APPS || services !== APPS) throw new Error(`expected ${APPS} Deployments and Services, got ${deployments}/${services}`);
  return result.yaml.length;
}

/** Baseline: the same objects written directly with cdk8s-plus. */
function baseline(): number {
  const app = new App({ outdir: 'unused' });
  const chart = new Chart(app, 'baseline', { disableResourceNameHashes: true });
  for (let i = 0; i < APPS; i++) {
    const d = new kplus.Deployment(chart, `app-${i}`, {
      metadata: { name: `app-${i}`, namespace: 'edge-apps' },
      replicas: 1,
      containers: [
        {
          image: `${REGISTRY}/bench/app-${i}:1.0.3@sha256:${String(i).padStart(64, '0')}`,
          ports: [{ number: 8080, name: 'http' }],
          readiness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
        },
      ],
    });
    d.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.in('kubernetes.io/arch', ['arm64'])));
    d.exposeViaService({ name: `app-${i}`, ports: [{ port: 8080, targetPort: 8080, name: 'http' }] });
  }
  return app.synthYaml().length;
}

function measure(fn: () => number): { median: number; runs: number[]; first: number } {
  // The first run pays for lazy initialisation and JIT; it is reported but not in the median.
  const t0 = process.hrtime.bigint();
  fn();
  const first = Number(process.hrtime.bigint() - t0) / 1e6;
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], runs, first };
}

const lock = buildLock();
const base = measure(baseline);
const ours = measure(() => fluxops(lock));
const peakRssMiB = process.resourceUsage().maxRSS / 1024;

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
console.log(`synth ${APPS} apps (Deployment + Service, arm64 affinity), median of ${RUNS} runs after 1 warm-up`);
console.log(`  fluxops synthesize : ${fmt(ours.median)}  (runs: ${ours.runs.map((r) => r.toFixed(0)).join(', ')})`);
console.log(`  cdk8s-plus baseline: ${fmt(base.median)}  (runs: ${base.runs.map((r) => r.toFixed(0)).join(', ')})`);
console.log(`  first run          : fluxops ${fmt(ours.first)}, baseline ${fmt(base.first)} (after the baseline warmed shared modules)`);
console.log(`  ratio to baseline  : ${(ours.median / base.median).toFixed(2)}x`);
console.log(`  ratio to goal (1 s): ${(ours.median / GOAL_MS).toFixed(3)}  (${ours.median <= GOAL_MS ? 'within' : 'OVER'} goal)`);
console.log(`  peak RSS (process) : ${peakRssMiB.toFixed(0)} MiB`);
