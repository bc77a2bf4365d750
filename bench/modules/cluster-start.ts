/** Start of the embedded local edge cluster (kine, kube-apiserver, controller-manager, scheduler, kwok nodes) on a warm toolchain. */
import { startLocalCluster } from '../../dev/cluster';
import { median } from '../harness/measure';
import type { BenchModule } from '../harness/types';

/** `cluster-start`: seconds until nodes are Ready and pods schedulable. Goal: under 20 s. */
export const clusterStartModule: BenchModule = {
  name: 'cluster-start',
  description: 'local edge cluster start (warm toolchain cache)',
  async run(ctx) {
    const n = ctx.quick ? 1 : 3;
    const totals: number[] = [];
    const phases: Record<string, number[]> = {};
    const stops: number[] = [];
    let version = '';
    for (let i = 0; i < n; i++) {
      const cluster = await startLocalCluster();
      version = cluster.version;
      totals.push(cluster.timings.total!);
      for (const [k, v] of Object.entries(cluster.timings)) (phases[k] ??= []).push(v);
      const t = Date.now();
      await cluster.stop();
      stops.push((Date.now() - t) / 1000);
      ctx.log(`cluster-start run ${i + 1}: ${cluster.timings.total!.toFixed(2)} s`);
    }
    return {
      rows: [
        {
          name: 'local cluster start (nodes Ready, pods schedulable)',
          value: median(totals),
          unit: 's',
          goal: { kind: 'max', value: 20 },
          detail: `median of ${n}; runs ${totals.map((t) => t.toFixed(2)).join(', ')} s; phases (median): ${Object.entries(phases).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${median(v).toFixed(2)} s`).join(', ')}; teardown ${median(stops).toFixed(2)} s`,
        },
      ],
      versions: { kubernetes: version },
    };
  },
};
