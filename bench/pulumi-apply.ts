/**
 * Apply benchmark: FluxOps' deploy path (`openSiteStack` -> `SiteStack`: Pulumi Automation API,
 * inline program, server-side apply) against the baseline `kubectl apply --server-side` of the same
 * synthesized manifests, on one embedded local edge cluster started here. Goal: the first apply of
 * a site is within 2x of kubectl. Also shows where Pulumi's time goes: engine events of every run,
 * an OpenTelemetry trace of the CLI and provider, CPU accounting, checkpoint writes, and the effect
 * of Pulumi's checkpoint and parallelism settings.
 *
 *   npm run bench -- pulumi-apply
 *
 * Environment:
 *   BENCH_SIZES            objects per site (namespace included)      @default "10,100,1000"
 *   BENCH_REPEATS          runs per size, median reported             @default 3 up to 100 objects, else 1
 *   BENCH_BREAKDOWN_SIZES  sizes that also get the variant runs and the traced run @default "100,1000"
 *   BENCH_PULUMI_CAP_S     a Pulumi `up` running longer is cancelled and reported as capped @default 600
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import type { EngineEvent, OpMap, Stack } from '@pulumi/pulumi/automation';
import { stringify } from 'yaml';

import { startLocalCluster, type LocalCluster } from '../dev/cluster';
import { locateToolchain, type Toolchain } from '../dev/toolchain';
import { openSiteStack, resolvePulumiSettings, siteProgram, type KubeObject } from '../stacks';

const GOAL_RATIO = 2;
const numbers = (s: string): number[] => s.split(',').map((x) => Number(x.trim())).filter((n) => Number.isInteger(n) && n > 0);
const SIZES = numbers(process.env.BENCH_SIZES ?? '10,100,1000');
const BREAKDOWN_SIZES = new Set(numbers(process.env.BENCH_BREAKDOWN_SIZES ?? '100,1000'));
const CAP_S = Number(process.env.BENCH_PULUMI_CAP_S ?? 600);
const repeatsFor = (n: number): number => Number(process.env.BENCH_REPEATS ?? (n <= 100 ? 3 : 1));
const REGISTRY = 'registry.local:5000';
/** Linux reports process and system CPU time in ticks of 1/100 s (USER_HZ). */
const CLK_TCK = 100;
const CPUS = os.cpus().length;

// ---------------------------------------------------------------------------------------------
// The site: the same synthesized objects for both tools; only the namespace differs.

/** What a site of `n` objects consists of besides its namespace. */
interface SiteShape {
  readonly configMaps: number;
  readonly deployments: number;
  readonly services: number;
}

/** 1 Namespace, then ~80% ConfigMaps, ~10% Deployments and ~10% Services (one per Deployment). */
function siteShape(n: number): SiteShape {
  const rest = Math.max(n - 1, 0);
  const apps = rest >= 3 ? Math.max(1, Math.round(rest * 0.1)) : 0;
  return { configMaps: rest - 2 * apps, deployments: apps, services: apps };
}

/** Synthesizes a site of `n` objects (namespace included) into `namespace`, in apply order. */
function siteObjects(namespace: string, n: number): KubeObject[] {
  const shape = siteShape(n);
  const partOf = { 'app.kubernetes.io/part-of': 'bench-site', 'app.kubernetes.io/managed-by': 'fluxops' };
  const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: partOf } }];
  const pad = (i: number): string => String(i).padStart(4, '0');
  for (let i = 0; i < shape.configMaps; i++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `config-${pad(i)}`, namespace, labels: { ...partOf, 'app.kubernetes.io/component': 'config' } },
      data: {
        'app.properties': [
          'site.name=bench-site',
          `sensor.id=sensor-${pad(i)}`,
          `mqtt.url=mqtt://mosquitto.${namespace}.svc:1883`,
          `mqtt.topic=factory/line-${i % 8}/sensor-${pad(i)}`,
          `sample.interval.ms=${250 + (i % 4) * 250}`,
          'buffer.max.items=10000',
        ].join('\n'),
        'log-level': i % 10 === 0 ? 'debug' : 'info',
        'thresholds.json': JSON.stringify({ temperature: { warn: 70, crit: 85 }, vibration: { warn: 4.5, crit: 7.1 }, humidity: { warn: 80 } }),
      },
    });
  }
  for (let i = 0; i < shape.deployments; i++) {
    const name = `app-${pad(i)}`;
    const labels = { ...partOf, 'app.kubernetes.io/name': name };
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] }],
                },
              },
            },
            containers: [
              {
                name: 'app',
                image: `${REGISTRY}/edge/${name}:1.0.3@sha256:${String(i).padStart(64, '0')}`,
                ports: [{ name: 'http', containerPort: 8080 }],
                envFrom: [{ configMapRef: { name: `config-${pad(i % Math.max(shape.configMaps, 1))}` } }],
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
                resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
              },
            ],
          },
        },
      },
    });
  }
  for (let i = 0; i < shape.services; i++) {
    const name = `app-${pad(i)}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels: { ...partOf, 'app.kubernetes.io/name': name } },
      spec: { selector: { 'app.kubernetes.io/name': name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
  }
  return objects;
}

function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

// ---------------------------------------------------------------------------------------------
// Measuring: wall time plus where the CPU went (this process, its children, the whole machine).

/** CPU seconds spent during one measured operation. */
interface CpuSpent {
  /** This Node process: the inline Pulumi program, the Automation API, gRPC, event handling. */
  readonly bench: number;
  /** Child processes reaped meanwhile: the pulumi CLI and, through it, the Kubernetes provider; or kubectl. */
  readonly children: number;
  /** The local cluster's servers: kube-apiserver, kine, controller-manager, scheduler, kwok. */
  readonly cluster: number;
  /** All cores of the machine, including anything else running on it. */
  readonly machine: number;
}

interface Measured<T> {
  readonly seconds: number;
  readonly cpu: CpuSpent;
  readonly value: T;
}

function childCpuTicks(): number {
  // /proc/self/stat after "(comm) ": cutime and cstime are fields 16 and 17 of the whole line.
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[13]) + Number(f[14]);
}

function machineBusyTicks(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - fields[3]! - fields[4]!; // idle, iowait
}

/** Directory whose path appears in the command line of every server of the measured cluster. */
let clusterMarker: string | undefined;

/** CPU ticks of the cluster's running servers (found by their command lines in /proc). */
function clusterCpuTicks(): number {
  if (!clusterMarker) return 0;
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(clusterMarker)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      // the process is gone
    }
  }
  return ticks;
}

async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const cpu0 = process.cpuUsage();
  const child0 = childCpuTicks();
  const cluster0 = clusterCpuTicks();
  const busy0 = machineBusyTicks();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(cpu0);
  return {
    seconds,
    value,
    cpu: {
      bench: (own.user + own.system) / 1e6,
      children: (childCpuTicks() - child0) / CLK_TCK,
      cluster: (clusterCpuTicks() - cluster0) / CLK_TCK,
      machine: (machineBusyTicks() - busy0) / CLK_TCK,
    },
  };
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The lower median (an actual run, not an average of two). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
}

function medianBy<T>(xs: readonly T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor((xs.length - 1) / 2)]!;
}

const sec = (x: number | undefined, width = 6): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2)).padStart(width);

/** CPU seconds of processes that are not part of the measurement (other work on the machine). */
function otherCpu(m: Measured<unknown>): number {
  return Math.max(0, m.cpu.machine - m.cpu.children - m.cpu.bench - m.cpu.cluster);
}

function cpuLine(m: Measured<unknown>, childLabel: string): string {
  const other = otherCpu(m);
  return (
    `CPU s: ${childLabel} ${m.cpu.children.toFixed(1)}, bench process ${m.cpu.bench.toFixed(1)}, cluster servers ${m.cpu.cluster.toFixed(1)},` +
    ` other ${other.toFixed(1)}; machine ${m.cpu.machine.toFixed(1)} of ${(m.seconds * CPUS).toFixed(1)} available`
  );
}

// ---------------------------------------------------------------------------------------------
// The cluster between measurements.

/** Waits (untimed) until the Deployments in `namespace` are available, so that the next measurement starts on a quiet cluster. */
async function settle(cluster: LocalCluster, namespace: string, n: number): Promise<void> {
  if (siteShape(n).deployments === 0) return;
  await cluster.kubectl(['wait', '--for=condition=Available', 'deployment', '--all', '-n', namespace, '--timeout=300s']).catch((err: unknown) => {
    process.stderr.write(`  (deployments in ${namespace} not available: ${firstLine(err)})\n`);
  });
}

/** Deletes namespaces (untimed): the arm64 nodes hold 110 pods each. */
async function dropNamespaces(cluster: LocalCluster, namespaces: readonly string[]): Promise<void> {
  if (namespaces.length === 0) return;
  await cluster.kubectl(['delete', 'namespace', '--wait=true', '--timeout=600s', ...namespaces]).catch((err: unknown) => {
    process.stderr.write(`  (deleting ${namespaces.join(' ')} did not finish: ${firstLine(err)})\n`);
  });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

// ---------------------------------------------------------------------------------------------
// Baseline: kubectl.

async function kubectlApply(cluster: LocalCluster, manifests: string): Promise<Measured<string>> {
  return measure(() => cluster.kubectl(['apply', '--server-side', '--field-manager=bench', '-f', '-'], { input: manifests }));
}

// ---------------------------------------------------------------------------------------------
// FluxOps: openSiteStack + stack.up, keeping the engine events.

/** One engine step event as received (the events' own timestamps are whole seconds). */
interface StepMark {
  /** Seconds since `up()` was called. */
  readonly t: number;
  readonly phase: 'pre' | 'outputs' | 'failed';
  readonly urn: string;
  readonly type: string;
  readonly op: string;
}

interface UpTrace {
  readonly prelude?: number;
  readonly summary?: number;
  readonly steps: readonly StepMark[];
  readonly changes: OpMap;
  /** Writes of the stack's checkpoint file seen during the update. */
  readonly checkpointWrites: number;
  /** Size of the checkpoint after the update, bytes. */
  readonly checkpointBytes: number;
  readonly capped: boolean;
}

/** Shared by every Pulumi run: one file backend, one PULUMI_HOME, the toolchain's pulumi and plugins. */
interface PulumiContext {
  readonly toolchain: Toolchain;
  readonly cluster: LocalCluster;
  readonly work: string;
  readonly backendDir: string;
  readonly passphrase: string;
  /** A `bin/pulumi` that runs the toolchain's pulumi with `--otel-traces file://$BENCH_OTEL_DIR/...`. */
  readonly tracedRoot: string;
}

/** How a Pulumi run differs from the default one. */
interface PulumiVariant {
  readonly label: string;
  readonly skipAwait: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly parallel?: number;
  /** Run the CLI with OpenTelemetry tracing into this run's own directory. */
  readonly traced?: boolean;
}

const DEFAULT_VARIANT: PulumiVariant = { label: 'default (skipAwait)', skipAwait: true };

interface PulumiDeploy {
  readonly open: Measured<Stack>;
  readonly first: Measured<UpTrace>;
  readonly noChange?: Measured<UpTrace>;
  /** OpenTelemetry trace files of a traced run. */
  readonly traceDir?: string;
}

function ensureDir(p: string): string {
  fs.mkdirSync(p, { recursive: true });
  return p;
}

function writeTracedRoot(work: string, toolchain: Toolchain): string {
  const root = path.join(work, 'traced-pulumi');
  ensureDir(path.join(root, 'bin'));
  // One trace file per CLI command (`up`, `stack output`, `stack history`); `pulumi version` is not traced.
  const script = [
    '#!/bin/sh',
    `[ "$1" = version ] && exec '${toolchain.bin('pulumi')}' "$@"`,
    `exec '${toolchain.bin('pulumi')}' "$@" --otel-traces "file://$BENCH_OTEL_DIR/$(date +%s%N)-$1-$2.json"`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(root, 'bin', 'pulumi'), script, { mode: 0o755 });
  return root;
}

async function up(ctx: PulumiContext, stack: Stack, variant: PulumiVariant): Promise<Measured<UpTrace>> {
  const stackFile = path.join(ctx.backendDir, '.pulumi', 'stacks', 'fluxops', `${stack.name}.json`);
  let writes = 0;
  const watcher = fs.watch(ensureDir(path.dirname(stackFile)), (_event, file) => {
    if (file === path.basename(stackFile)) writes++;
  });
  const steps: StepMark[] = [];
  let prelude: number | undefined;
  let summary: number | undefined;
  let t0 = 0;
  const onEvent = (e: EngineEvent): void => {
    const t = (performance.now() - t0) / 1000;
    const step = e.resourcePreEvent ?? e.resOutputsEvent ?? e.resOpFailedEvent;
    if (e.preludeEvent) prelude ??= t;
    else if (e.summaryEvent) summary = t;
    else if (step) {
      const phase = e.resourcePreEvent ? 'pre' : e.resOutputsEvent ? 'outputs' : 'failed';
      steps.push({ t, phase, urn: step.metadata.urn, type: step.metadata.type, op: step.metadata.op });
    }
  };
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CAP_S * 1000);
  try {
    return await measure(async () => {
      t0 = performance.now();
      let changes: OpMap = {};
      let capped = false;
      try {
        const result = await stack.up({ onEvent, parallel: variant.parallel, signal: abort.signal });
        changes = result.summary.resourceChanges ?? {};
      } catch (err) {
        if (!abort.signal.aborted) throw err;
        capped = true;
      }
      const checkpointBytes = fs.existsSync(stackFile) ? fs.statSync(stackFile).size : 0;
      return { prelude, summary, steps, changes, checkpointWrites: writes, checkpointBytes, capped };
    });
  } finally {
    clearTimeout(timer);
    watcher.close();
  }
}

/** Opens the site's stack, runs the first `up`, lets the cluster settle, then runs a no-change `up`. */
async function pulumiDeploy(ctx: PulumiContext, site: string, namespace: string, n: number, variant: PulumiVariant, noChange = true): Promise<PulumiDeploy> {
  const traceDir = variant.traced ? ensureDir(path.join(ctx.work, 'traces', site)) : undefined;
  const open = await measure(() =>
    openSiteStack({
      site,
      settings: resolvePulumiSettings({
        stateDir: ensureDir(path.join(ctx.work, 'state')),
        backendUrl: `file://${ctx.backendDir}`,
        pulumiHome: ensureDir(path.join(ctx.work, 'pulumi-home')),
        passphrase: { kind: 'value', passphrase: ctx.passphrase },
        cli: 'toolchain',
        ...(traceDir ? { cliRoot: ctx.tracedRoot } : {}),
        extraEnv: { ...(traceDir ? { BENCH_OTEL_DIR: traceDir } : {}), ...variant.env },
      }),
      workDir: ensureDir(path.join(ctx.work, 'pulumi', site)),
      program: siteProgram({ site, objects: siteObjects(namespace, n), kubeconfig: fs.readFileSync(ctx.cluster.kubeconfigPath, 'utf8') }),
    }),
  );
  const first = await up(ctx, open.value, variant);
  await settle(ctx.cluster, namespace, n);
  if (first.value.capped || !noChange) return { open, first, traceDir };
  return { open, first, noChange: await up(ctx, open.value, variant), traceDir };
}

// ---------------------------------------------------------------------------------------------
// Where Pulumi's time goes (1): the engine events of one `up`.

const OBJECT_TYPES = new Set(['kubernetes:core/v1:ConfigMap', 'kubernetes:apps/v1:Deployment', 'kubernetes:core/v1:Service']);

interface StepSpan {
  readonly type: string;
  readonly op: string;
  readonly start: number;
  readonly end: number;
}

function stepSpans(trace: UpTrace): StepSpan[] {
  const open = new Map<string, StepMark>();
  const spans: StepSpan[] = [];
  for (const m of trace.steps) {
    if (m.phase === 'pre') open.set(m.urn, m);
    else {
      const pre = open.get(m.urn);
      if (pre) spans.push({ type: m.type, op: pre.op, start: pre.t, end: m.t });
      open.delete(m.urn);
    }
  }
  return spans;
}

function describeUp(label: string, m: Measured<UpTrace>): string[] {
  const tr = m.value;
  const spans = stepSpans(tr);
  const root = spans.find((s) => s.type === 'pulumi:pulumi:Stack');
  const provider = spans.find((s) => s.type.startsWith('pulumi:providers:kubernetes'));
  const ns = spans.find((s) => s.type === 'kubernetes:core/v1:Namespace');
  const objects = spans.filter((s) => OBJECT_TYPES.has(s.type));
  const durations = objects.map((s) => (s.end - s.start) * 1000);
  const firstObj = Math.min(...objects.map((s) => s.start));
  const lastObj = Math.max(...objects.map((s) => s.end));
  const window = lastObj - firstObj;
  const inFlight = durations.reduce((a, b) => a + b, 0) / 1000 / window;
  const ops = Object.entries(tr.changes).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `  ${label}: ${m.seconds.toFixed(2)} s${tr.capped ? ` (CAPPED at ${CAP_S} s)` : ''}  [${ops}]; engine events, seconds since up() was called:`,
    `    ${sec(tr.prelude)}            prelude: CLI started, stack state read`,
    `    ${sec(root?.start)}            root stack step: inline program running`,
    `    ${sec(provider?.start)} .. ${sec(provider?.end)}  kubernetes provider step (plugin started and configured before it)`,
    `    ${sec(ns?.start)} .. ${sec(ns?.end)}  namespace step`,
    `    ${sec(firstObj)} .. ${sec(lastObj)}  ${objects.length} object steps (ConfigGroup children): ${(objects.length / window).toFixed(0)} steps/s,` +
      ` step median ${quantile(durations, 0.5).toFixed(0)} ms, p90 ${quantile(durations, 0.9).toFixed(0)} ms, mean in flight ${inFlight.toFixed(1)}`,
    `    ${sec(tr.summary)}            summary event`,
    `    ${sec(m.seconds)}            up() resolved (after CLI exit, then \`stack output\` x2 and \`stack history\`)`,
    `    ${cpuLine(m, 'pulumi CLI + provider')}; checkpoint file writes ${tr.checkpointWrites}, final ${(tr.checkpointBytes / 1024).toFixed(0)} KiB`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Where Pulumi's time goes (2): the OpenTelemetry trace of the CLI (`--otel-traces file://`).

interface OtelSpan {
  readonly service: string;
  readonly name: string;
  /** Milliseconds, absolute. */
  readonly start: number;
  readonly end: number;
}

interface OtlpLine {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ name: string; startTimeUnixNano: string; endTimeUnixNano: string }> }>;
  }>;
}

function readOtelSpans(file: string): OtelSpan[] {
  const spans: OtelSpan[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let parsed: OtlpLine;
    try {
      parsed = JSON.parse(line) as OtlpLine;
    } catch {
      continue; // a line cut short when the CLI was stopped
    }
    for (const rs of parsed.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({ service, name: s.name, start: Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000, end: Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000 });
        }
      }
    }
  }
  return spans;
}

/** Spans of interest: CLI-side (the engine's view of every call), named for a reader. */
const SPAN_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['pulumi', 'whole CLI command'],
  ['time-to-first-print', 'CLI start: read state, About the language runtime'],
  ['pulumi-plan', 'plan + apply (engine)'],
  ['pulumirpc.LanguageRuntime/Run', 'inline program run (until its last registration)'],
  ['newPlugin', 'start the kubernetes provider process'],
  ['pulumirpc.ResourceProvider/Configure', 'provider Configure (kube client, discovery)'],
  ['pulumirpc.ResourceProvider/Construct', 'ConfigGroup Construct (in the provider)'],
  ['pulumirpc.ResourceProvider/Check', 'provider Check'],
  ['pulumirpc.ResourceProvider/Diff', 'provider Diff'],
  ['pulumirpc.ResourceProvider/Create', 'provider Create (server-side apply)'],
  ['pulumirpc.ResourceProvider/Update', 'provider Update'],
  ['pulumirpc.ResourceProvider/Read', 'provider Read'],
  ['pulumirpc.ResourceMonitor/Invoke', 'Invoke (getResource per ConfigGroup output)'],
];

function describeOtel(traceDir: string): string[] {
  const files = fs.readdirSync(traceDir).filter((f) => f.endsWith('.json')).sort();
  const lines: string[] = [];
  for (const file of files) {
    const command = file.replace(/^\d+-/, '').replace(/\.json$/, '').replace('-', ' ');
    const spans = readOtelSpans(path.join(traceDir, file)).filter((s) => s.service === 'pulumi-cli');
    const root = spans.find((s) => s.name === 'pulumi');
    if (!root) continue;
    if (!command.startsWith('up')) {
      const top = topSpans(spans.filter((s) => s !== root), 3).map((r) => `${r.name} ${r.sum.toFixed(0)} ms`).join(', ');
      lines.push(`    \`pulumi ${command}\`: ${(root.end - root.start).toFixed(0)} ms in the CLI span${top ? ` (top: ${top})` : ''}`);
      continue;
    }
    lines.push(`    \`pulumi up\` (#${lines.filter((l) => l.includes('`pulumi up`')).length + 1}), CLI-side spans: count, sum of durations, median, first start .. last end (ms after CLI start)`);
    for (const [name, label] of SPAN_LABELS) {
      const group = spans.filter((s) => s.name === name);
      if (group.length === 0) continue;
      const d = group.map((s) => s.end - s.start);
      const first = Math.min(...group.map((s) => s.start)) - root.start;
      const last = Math.max(...group.map((s) => s.end)) - root.start;
      lines.push(
        `      ${label.padEnd(50)} ${String(group.length).padStart(5)} ${d.reduce((a, b) => a + b, 0).toFixed(0).padStart(8)} ${quantile(d, 0.5).toFixed(1).padStart(8)}` +
          `   ${first.toFixed(0).padStart(6)} .. ${last.toFixed(0).padStart(6)}`,
      );
    }
    const construct = spans.filter((s) => s.name === 'pulumirpc.ResourceProvider/Construct');
    const run = spans.find((s) => s.name === 'pulumirpc.LanguageRuntime/Run');
    if (construct.length > 0 && run) {
      const returned = Math.max(...construct.map((s) => s.end));
      lines.push(`      ${'program after last Construct returned (Node SDK)'.padEnd(50)} ${''.padStart(5)} ${(run.end - returned).toFixed(0).padStart(8)}`);
    }
    // File backend checkpoint: per save, Attributes + Copy (backup) + NewWriter (the new state).
    const blob = spans.filter((s) => s.name.startsWith('gocloud.dev/blob.'));
    const writers = blob.filter((s) => s.name === 'gocloud.dev/blob.NewWriter');
    const blobMs = blob.reduce((a, s) => a + s.end - s.start, 0);
    lines.push(
      `      ${'checkpoint saves (gocloud blob: write + backup copy)'.padEnd(50)} ${String(writers.length).padStart(5)} ${blobMs.toFixed(0).padStart(8)}` +
        ` ${quantile(writers.map((s) => s.end - s.start), 0.5).toFixed(1).padStart(8)}   (write median; last write ${(writers.at(-1) ? writers.at(-1)!.end - writers.at(-1)!.start : 0).toFixed(1)} ms)`,
    );
  }
  return lines;
}

function topSpans(spans: readonly OtelSpan[], k: number): Array<{ name: string; sum: number }> {
  const sums = new Map<string, number>();
  for (const s of spans) sums.set(s.name, (sums.get(s.name) ?? 0) + s.end - s.start);
  return [...sums.entries()].map(([name, sum]) => ({ name, sum })).sort((a, b) => b.sum - a.sum).slice(0, k);
}

// ---------------------------------------------------------------------------------------------

interface SizeResult {
  readonly n: number;
  readonly kubectlFirst: Measured<string>[];
  readonly kubectlNoChange: Measured<string>[];
  readonly pulumi: PulumiDeploy[];
}

function printSize(r: SizeResult): void {
  const shape = siteShape(r.n);
  const kf = median(r.kubectlFirst.map((m) => m.seconds));
  const kn = median(r.kubectlNoChange.map((m) => m.seconds));
  const pf = median(r.pulumi.map((d) => d.first.seconds));
  const pn = median(r.pulumi.flatMap((d) => (d.noChange ? [d.noChange.seconds] : [])));
  const capped = r.pulumi.some((d) => d.first.value.capped);
  const row = (label: string, k: number, p: number): string =>
    `  ${label.padEnd(20)} ${`${k.toFixed(2)} s`.padStart(9)} ${`${capped ? '>' : ''}${p.toFixed(2)} s`.padStart(10)} ${`${(p / k).toFixed(1)}x`.padStart(7)}`;
  console.log('');
  console.log(
    `N = ${r.n} objects (1 Namespace, ${shape.configMaps} ConfigMaps, ${shape.deployments} Deployments, ${shape.services} Services),` +
      ` median of ${r.pulumi.length} run${r.pulumi.length === 1 ? '' : 's'}, Pulumi with skipAwait`,
  );
  console.log(`  ${''.padEnd(20)} ${'kubectl'.padStart(9)} ${'pulumi'.padStart(10)} ${'ratio'.padStart(7)}`);
  console.log(row('first apply', kf, pf));
  if (Number.isFinite(pn)) console.log(row('no-change re-apply', kn, pn));
  console.log(`  first apply within ${GOAL_RATIO}x of kubectl: ${!capped && pf <= GOAL_RATIO * kf ? 'yes' : 'no'}`);
  const open = median(r.pulumi.map((d) => d.open.seconds));
  console.log(`  not in the table: openSiteStack ${open.toFixed(2)} s per site (\`pulumi version\`, \`stack select --create\`)`);
  const k = medianBy(r.kubectlFirst, (m) => m.seconds);
  console.log(`  kubectl first apply ${k.seconds.toFixed(2)} s: ${cpuLine(k, 'kubectl')}`);
  const typical = medianBy(r.pulumi, (d) => d.first.seconds);
  for (const line of describeUp('pulumi first up', typical.first)) console.log(line);
  if (typical.noChange) for (const line of describeUp('pulumi no-change up', typical.noChange)) console.log(line);
}

/** Variant runs at one size: checkpoint settings, parallelism, await on, and one traced run. */
async function runVariants(ctx: PulumiContext, n: number, ns: (what: string) => string): Promise<void> {
  // Above 100 objects a Pulumi run takes minutes: only the variants that explain the most.
  const all = n <= 100;
  const variants: PulumiVariant[] = [
    // A default run right before the others: the machine's load drifts, the comparison should not.
    { label: 'default again (control)', skipAwait: true },
    ...(all ? [{ label: 'await on (skipAwait false)', skipAwait: false }] : []),
    { label: 'PULUMI_SKIP_CHECKPOINTS=true', skipAwait: true, env: { PULUMI_SKIP_CHECKPOINTS: 'true' } },
    ...(all ? [{ label: 'PULUMI_OPTIMIZED_CHECKPOINT_PATCH=true', skipAwait: true, env: { PULUMI_OPTIMIZED_CHECKPOINT_PATCH: 'true' } }] : []),
    ...(all ? [{ label: `parallel 32 (default ${4 * CPUS} = 4 x CPUs)`, skipAwait: true, parallel: 32 }] : []),
    // The provider's Kubernetes client allows 50 requests/s after a burst of 120 (pulumi-kubernetes
    // defaults, kubeClientSettings); the environment variables raise it without touching the stack.
    {
      label: 'SKIP_CHECKPOINTS + K8S_CLIENT_QPS/BURST=1000',
      skipAwait: true,
      env: { PULUMI_SKIP_CHECKPOINTS: 'true', PULUMI_K8S_CLIENT_QPS: '1000', PULUMI_K8S_CLIENT_BURST: '1000' },
    },
    { label: 'traced (--otel-traces file://)', skipAwait: true, traced: true },
  ];
  console.log('');
  console.log(`Pulumi variants at N = ${n}: one run each, fresh stack and namespace, compared with the control run just before them`);
  console.log(
    `  ${'variant'.padEnd(44)} ${'first up'.padStart(9)} ${'vs ctrl'.padStart(8)} ${'no-change'.padStart(10)} ${'vs ctrl'.padStart(8)}` +
      ` ${'ckpt writes'.padStart(12)} ${'other CPU s'.padStart(12)}`,
  );
  const details: string[] = [];
  let control: PulumiDeploy | undefined;
  for (const [i, v] of variants.entries()) {
    const namespace = ns(`v${i}`);
    const d = await pulumiDeploy(ctx, `n${n}-variant-${i}`, namespace, n, v);
    control ??= d;
    const nc = d.noChange?.seconds;
    const vs = (x: number | undefined, c: number | undefined): string => (d === control || x === undefined || c === undefined ? '' : `${(x / c).toFixed(2)}x`);
    console.log(
      `  ${v.label.padEnd(44)} ${`${d.first.value.capped ? '>' : ''}${d.first.seconds.toFixed(2)} s`.padStart(9)} ${vs(d.first.seconds, control.first.seconds).padStart(8)}` +
        ` ${(nc === undefined ? '-' : `${nc.toFixed(2)} s`).padStart(10)} ${vs(nc, control.noChange?.seconds).padStart(8)}` +
        ` ${String(d.first.value.checkpointWrites).padStart(12)} ${otherCpu(d.first).toFixed(1).padStart(12)}`,
    );
    if (d !== control) details.push(...describeUp(`${v.label}, first up`, d.first));
    if (d.traceDir) {
      details.push(`  OpenTelemetry trace of the traced run, CLI commands in order (openSiteStack; first up; no-change up; each up followed by the Automation API's \`stack output\` x2 + \`stack history\`):`);
      details.push(...describeOtel(d.traceDir));
    }
    await dropNamespaces(ctx.cluster, [namespace]);
  }
  for (const line of details) console.log(line);
}

async function main(): Promise<void> {
  const toolchain = locateToolchain();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-bench-apply-'));
  let cluster: LocalCluster | undefined;
  const stopAll = async (): Promise<void> => {
    await cluster?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  };
  const onSignal = (): void => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const t0 = performance.now();
  try {
    const startup = await measure(() => startLocalCluster({ stateDir: path.join(work, 'cluster') }));
    cluster = startup.value;
    clusterMarker = cluster.stateDir;
    const kubectlVersion = (JSON.parse(execFileSync(toolchain.bin('kubectl'), ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
    const pulumiVersion = execFileSync(toolchain.bin('pulumi'), ['version'], { encoding: 'utf8' }).trim();
    console.log(`Pulumi (FluxOps openSiteStack) vs kubectl apply --server-side, same manifests, on the local edge cluster ${cluster.version} (ready in ${startup.seconds.toFixed(1)} s)`);
    console.log(`kubectl ${kubectlVersion}; pulumi ${pulumiVersion}, Automation API inline program, file backend, passphrase secrets; ${CPUS} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`);
    const ctx: PulumiContext = {
      toolchain,
      cluster,
      work,
      backendDir: ensureDir(path.join(work, 'backend')),
      passphrase: randomBytes(24).toString('hex'),
      tracedRoot: writeTracedRoot(work, toolchain),
    };
    const runId = Date.now().toString(36).slice(-5);
    const nsName = (n: number, what: string): string => `bench-${runId}-n${n}-${what}`;

    // Warm-up, not counted: page in the binaries, let the API server fill its caches.
    const warm = [nsName(10, 'warm-k'), nsName(10, 'warm-p')];
    await kubectlApply(cluster, toYaml(siteObjects(warm[0]!, 10)));
    await pulumiDeploy(ctx, `warm-${runId}`, warm[1]!, 10, DEFAULT_VARIANT, false);
    await dropNamespaces(cluster, warm);

    for (const n of SIZES) {
      const result: SizeResult = { n, kubectlFirst: [], kubectlNoChange: [], pulumi: [] };
      const namespaces: string[] = [];
      for (let i = 0; i < repeatsFor(n); i++) {
        const kubectlNs = nsName(n, `kubectl-${i}`);
        const pulumiNs = nsName(n, `pulumi-${i}`);
        namespaces.push(kubectlNs, pulumiNs);
        const manifests = toYaml(siteObjects(kubectlNs, n));
        result.kubectlFirst.push(await kubectlApply(cluster, manifests));
        await settle(cluster, kubectlNs, n);
        result.kubectlNoChange.push(await kubectlApply(cluster, manifests));
        const d = await pulumiDeploy(ctx, `n${n}-${i}`, pulumiNs, n, DEFAULT_VARIANT);
        result.pulumi.push(d);
        process.stderr.write(
          `  [N=${n} run ${i + 1}] kubectl ${result.kubectlFirst.at(-1)!.seconds.toFixed(2)} / ${result.kubectlNoChange.at(-1)!.seconds.toFixed(2)} s,` +
            ` pulumi ${d.first.seconds.toFixed(2)} / ${d.noChange?.seconds.toFixed(2) ?? '-'} s\n`,
        );
      }
      printSize(result);
      await dropNamespaces(cluster, namespaces);
      if (BREAKDOWN_SIZES.has(n)) await runVariants(ctx, n, (what) => nsName(n, what));
    }
    console.log('');
    console.log(`benchmark took ${((performance.now() - t0) / 60_000).toFixed(1)} min; load average at the end ${os.loadavg()[0]!.toFixed(1)}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
