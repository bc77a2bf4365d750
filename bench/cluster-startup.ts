/**
 * Startup time of the embedded local edge cluster on a warm toolchain cache.
 * Goal: ready (nodes Ready, pods schedulable) in under 20 s. Run: `npm run bench -- cluster-startup`.
 */
import { startLocalCluster } from '../dev/cluster';

const GOAL_S = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const totals: number[] = [];
  const phases: Record<string, number[]> = {};
  const stops: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cluster = await startLocalCluster();
    totals.push(cluster.timings.total!);
    for (const [k, v] of Object.entries(cluster.timings)) (phases[k] ??= []).push(v);
    const t = Date.now();
    await cluster.stop();
    stops.push((Date.now() - t) / 1000);
  }
  console.log(`local edge cluster startup, ${RUNS} runs (median seconds)`);
  for (const [k, v] of Object.entries(phases)) console.log(`  ${k.padEnd(16)} ${median(v).toFixed(2)}`);
  console.log(`  ${'teardown'.padEnd(16)} ${median(stops).toFixed(2)}`);
  console.log(`ready: median ${median(totals).toFixed(2)} s, ratio to the ${GOAL_S} s goal: ${(median(totals) / GOAL_S).toFixed(2)}x`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
