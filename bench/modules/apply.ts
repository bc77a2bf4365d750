/**
 * FluxOps' deploy path (`applySite`: live diff, Lease, targeted Pulumi, inventory) against
 * `kubectl apply --server-side` and `kubectl diff --server-side` of the same manifests, on one local
 * edge cluster, in the same run: first apply, no-change and one-changed for each size, the diff of
 * the largest site, and the peak memory of a 100-object first apply.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { stringify } from 'yaml';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { locateToolchain } from '../../dev/toolchain';
import { KubeClient, type KubeObject } from '../../reconciler/cluster/kube-client';
import { applySite, type ApplySiteResult } from '../../reconciler/deploy/apply-site';
import { resolvePulumiSettings, type PulumiSettings } from '../../stacks/pulumi-env';
import { auditMark, writesSince } from '../../test/support/api-writes';
import { firstLine, median, runProcess, timed } from '../harness';
import type { BenchModule, BenchRow, PlotPoint } from '../harness/types';
import { siteObjects } from './site-objects';

const KUBECTL = 'kubectl apply --server-side';
const KUBECTL_DIFF = 'kubectl diff --server-side';

interface Ctx {
  readonly cluster: LocalCluster;
  readonly kube: KubeClient;
  readonly kubectl: string;
  readonly work: string;
  readonly settings: PulumiSettings;
  readonly kubeconfig: string;
}

function manifestFile(ctx: Ctx, objects: readonly KubeObject[]): string {
  const file = path.join(ctx.work, `m-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.yaml`);
  fs.writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  return file;
}

async function kubectl(ctx: Ctx, verb: 'apply' | 'diff', objects: readonly KubeObject[], sampleRssMs?: number) {
  const file = manifestFile(ctx, objects);
  // kubectl diff exits 1 when there are differences.
  return runProcess(ctx.kubectl, ['--kubeconfig', ctx.cluster.kubeconfigPath, verb, '--server-side', '--field-manager', 'bench-kubectl', '-f', file], {
    okCodes: verb === 'diff' ? [0, 1] : [0],
    ...(sampleRssMs ? { sampleRssMs } : {}),
  });
}

function fluxops(ctx: Ctx, site: string, objects: readonly KubeObject[], dryRun = false): Promise<{ seconds: number; value: ApplySiteResult }> {
  return timed(() =>
    applySite({ site, objects, kube: ctx.kube, kubeconfig: ctx.kubeconfig, settings: ctx.settings, workDir: path.join(ctx.settings.stateDir, 'workspaces', site), health: false, ...(dryRun ? { dryRun: true } : {}) }),
  );
}

const phases = (r: ApplySiteResult) => Object.entries(r.timings).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)} s`).join(', ');

/** Deletes namespaces, untimed: the simulated arm64 nodes hold 110 pods each. */
async function drop(ctx: Ctx, namespaces: readonly string[], log: (m: string) => void): Promise<void> {
  if (namespaces.length === 0) return;
  await ctx.cluster.kubectl(['delete', 'namespace', '--wait=true', '--timeout=600s', ...namespaces]).catch((err: unknown) => log(`deleting ${namespaces.join(' ')}: ${firstLine(err)}`));
}

/** `apply`: FluxOps' apply engine vs kubectl at 10 / 100 / 1000 objects (10 / 100 with --quick). */
export const applyModule: BenchModule = {
  name: 'apply',
  description: 'apply engine vs kubectl apply/diff --server-side (first, no-change, one-changed; diff; peak RSS)',
  async run(bench) {
    const sizes = bench.quick ? [10, 100] : [10, 100, 1000];
    const repeatsFor = (n: number) => (bench.quick ? 1 : n <= 100 ? 3 : 1);
    const toolchain = locateToolchain();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-bench-apply-'));
    const cluster = await startLocalCluster({ auditLog: true });
    const kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath, concurrency: 16 });
    const settings = resolvePulumiSettings({ stateDir: path.join(work, 'state'), passphrase: { kind: 'value', passphrase: 'bench' }, cli: 'toolchain', env: {} });
    const ctx: Ctx = { cluster, kube, kubectl: toolchain.bin('kubectl'), work, settings, kubeconfig: fs.readFileSync(cluster.kubeconfigPath, 'utf8') };
    const rows: BenchRow[] = [];
    const plot: PlotPoint[] = [];
    const notes: string[] = [];
    try {
      // Warm-up, not counted: page the binaries in, fill the API server's caches.
      await kubectl(ctx, 'apply', siteObjects('warm-k', 10));
      await fluxops(ctx, 'warm-f', siteObjects('warm-f', 10));
      await drop(ctx, ['warm-k', 'warm-f'], bench.log);

      for (const n of sizes) {
        const k = { first: [] as number[], same: [] as number[], one: [] as number[] };
        const f = { first: [] as number[], same: [] as number[], one: [] as number[] };
        let writes = 0;
        let pulumiSame = '';
        let pulumiOne = '';
        let lastFirst: ApplySiteResult | undefined;
        let lastOne: ApplySiteResult | undefined;
        const namespaces: string[] = [];
        for (let r = 0; r < repeatsFor(n); r++) {
          const kn = `k-${n}-${r}`;
          const fn = `f-${n}-${r}`;
          namespaces.push(kn, fn);
          k.first.push((await kubectl(ctx, 'apply', siteObjects(kn, n))).seconds);
          const first = await fluxops(ctx, fn, siteObjects(fn, n));
          if (first.value.pulumi === 'skipped') throw new Error(`first apply of ${n} objects skipped Pulumi`);
          f.first.push(first.seconds);
          lastFirst = first.value;
          k.same.push((await kubectl(ctx, 'apply', siteObjects(kn, n))).seconds);
          const mark = auditMark(cluster.auditLogPath!);
          const same = await fluxops(ctx, fn, siteObjects(fn, n));
          writes = Math.max(writes, writesSince(cluster.auditLogPath!, mark).length);
          pulumiSame = same.value.pulumi;
          f.same.push(same.seconds);
          k.one.push((await kubectl(ctx, 'apply', siteObjects(kn, n, 1))).seconds);
          const one = await fluxops(ctx, fn, siteObjects(fn, n, 1));
          pulumiOne = one.value.pulumi;
          lastOne = one.value;
          f.one.push(one.seconds);
          bench.log(`${n} objects, run ${r + 1}: kubectl ${k.first.at(-1)!.toFixed(2)}/${k.same.at(-1)!.toFixed(2)}/${k.one.at(-1)!.toFixed(2)} s, FluxOps ${f.first.at(-1)!.toFixed(2)}/${f.same.at(-1)!.toFixed(2)}/${f.one.at(-1)!.toFixed(2)} s (first/no-change/one-changed)`);
        }
        const runs = repeatsFor(n) > 1 ? `median of ${repeatsFor(n)}` : 'one run';
        const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
        rows.push({
          name: `first apply, ${n} objects`,
          value: median(f.first),
          unit: 's',
          baseline: median(k.first),
          baselineName: KUBECTL,
          ...(n >= 100 ? { goal: { kind: 'ratio' as const, max: 2 } } : {}),
          detail: `${runs}; FluxOps ${list(f.first)} s, kubectl ${list(k.first)} s; FluxOps phases (last run): ${lastFirst ? phases(lastFirst) : '-'}`,
        });
        rows.push({
          name: `no-change apply, ${n} objects`,
          value: median(f.same),
          unit: 's',
          baseline: median(k.same),
          baselineName: KUBECTL,
          goal: { kind: 'ratio', max: 1 },
          met: writes === 0 && pulumiSame === 'skipped',
          detail: `${runs}; goal also requires 0 API writes and no Pulumi run: ${writes} writes, Pulumi ${pulumiSame}`,
        });
        rows.push({
          name: `one object changed, ${n} objects`,
          value: median(f.one),
          unit: 's',
          baseline: median(k.one),
          baselineName: `${KUBECTL} (whole site)`,
          goal: { kind: 'ratio', max: 1 },
          detail: `${runs}; Pulumi ${pulumiOne}; phases (last run): ${lastOne ? phases(lastOne) : '-'}`,
        });
        plot.push({ series: 'FluxOps (apply engine)', objects: n, seconds: median(f.first) }, { series: KUBECTL, objects: n, seconds: median(k.first) });

        if (n === Math.max(...sizes)) {
          // Diff with one change: what `fluxops diff` does (inventory read + server-side dry run).
          const kd = await kubectl(ctx, 'diff', siteObjects(`k-${n}-0`, n, 2));
          const fd = await fluxops(ctx, `f-${n}-0`, siteObjects(`f-${n}-0`, n, 2), true);
          const changed = fd.value.diff.objects.filter((o) => o.action !== 'unchanged').length;
          rows.push({ name: `diff, ${n} objects, one changed`, value: fd.seconds, unit: 's', baseline: kd.seconds, baselineName: KUBECTL_DIFF, goal: { kind: 'ratio', max: 1 }, detail: `one run; ${changed} object(s) reported changed; phases: ${phases(fd.value)}` });
        }
        if (n === 100) {
          // Memory, in runs of their own (sampling /proc every 20 ms costs CPU the timed runs must not pay).
          const input = path.join(work, 'rss-input.json');
          fs.writeFileSync(input, JSON.stringify({ site: 'rss-100', objects: siteObjects('rss-100', 100), kubeconfig: cluster.kubeconfigPath, stateDir: settings.stateDir, passphrase: 'bench', workDir: path.join(settings.stateDir, 'workspaces', 'rss-100') }));
          const child = await runProcess(process.execPath, ['--require', require.resolve('ts-node/register/transpile-only'), path.join(__dirname, '..', '..', 'test', 'support', 'apply-child.ts'), input], {
            env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', '..', 'tsconfig.json') },
            sampleRssMs: 20,
          });
          const kr = await kubectl(ctx, 'apply', siteObjects('rss-k-100', 100), 20);
          namespaces.push('rss-100', 'rss-k-100');
          rows.push({
            name: 'peak RSS, process tree, 100-object first apply',
            value: child.peakRssMiB,
            unit: 'MiB',
            baseline: kr.peakRssMiB,
            baselineName: KUBECTL,
            goal: { kind: 'max', value: 600 },
            detail: `a fresh Node process (ts-node) running applySite, with the pulumi CLI and the Kubernetes provider it starts; ${child.seconds.toFixed(1)} s`,
          });
        }
        await drop(ctx, namespaces, bench.log);
      }
      notes.push(`kubectl ${toolchain.versions.K8S_VERSION} built from k8s.io/kubernetes like the API server (client and server on one version); apply with --field-manager bench-kubectl; health checks off on both sides (kubectl does not wait either).`);
      notes.push('FluxOps phases: read (inventory, Lease), diff (server-side dry run of every object), then lease + Pulumi (targeted to what changed) + inventory write when something changed.');
      return { rows, plot, notes, versions: { kubernetes: cluster.version } };
    } finally {
      kube.close();
      await cluster.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
};
