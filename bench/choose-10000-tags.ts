/**
 * Choosing among 10 000 tags, platform checks included, against the real local registry.
 *
 * Setup: one multi-arch index (linux/amd64 + linux/arm64) and one amd64-only manifest pushed with
 * skopeo, then 10 000 semver tags made with manifest PUTs: the 40 newest point at the amd64-only
 * image (so the selection must walk past them), the rest at the multi-arch index; plus a few tags
 * no semver policy admits. Measured: a cold RegistryClient listing the tags and running
 * selectImage (semver ^1, linux/arm64 required), median of N runs; extra memory is the peak above
 * the level before the run (sampled every 2 ms, after a GC).
 *
 *   npx ts-node --transpile-only bench/choose-10000-tags.ts [runs]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { addTags, pushImage, startFaultProxy, startRegistry } from '../dev/registry';
import { createTagPolicy, selectImage } from '../reconciler/images/policy';
import { RegistryClient } from '../reconciler/images/registry';

const TAGS = 10_000;
const AMD64_ONLY_NEWEST = 40;
const GOAL_MS = 1000;
const GOAL_EXTRA_MIB = 50;
const RUNS = Number(process.argv[2] ?? 5);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Run {
  readonly totalMs: number;
  readonly listMs: number;
  readonly selectMs: number;
  readonly lookups: number;
  readonly requests: number;
  readonly extraRssMiB: number;
  readonly extraHeapMiB: number;
  readonly selected: string | undefined;
}

async function measure(image: string, requestsSoFar: () => number, pageSize?: number): Promise<Run> {
  gc();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 2);
  const requests0 = requestsSoFar();
  const t0 = performance.now();
  const repo = new RegistryClient(pageSize ? { pageSize } : {}).repository(image, { insecure: true });
  const tags = await repo.listTags();
  const t1 = performance.now();
  const policy = createTagPolicy({ rule: { kind: 'semver', range: '^1.0.0' } });
  const result = await selectImage({ policy, tags, lookup: repo });
  const t2 = performance.now();
  clearInterval(sampler);
  const end = process.memoryUsage();
  peakRss = Math.max(peakRss, end.rss);
  peakHeap = Math.max(peakHeap, end.heapUsed);
  if (tags.length < TAGS) throw new Error(`listed ${tags.length} tags, expected at least ${TAGS}`);
  return {
    totalMs: t2 - t0,
    listMs: t1 - t0,
    selectMs: t2 - t1,
    lookups: result.lookups,
    requests: requestsSoFar() - requests0,
    extraRssMiB: (peakRss - before.rss) / 2 ** 20,
    extraHeapMiB: (peakHeap - before.heapUsed) / 2 ** 20,
    selected: result.selected?.tag,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const registry = await startRegistry();
  try {
    const setup0 = performance.now();
    await pushImage(registry.host, 'bench/app', 'seed-multi', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    await pushImage(registry.host, 'bench/app', 'seed-amd64', { platforms: ['linux/amd64'], kind: 'manifest' });
    const all = Array.from({ length: TAGS }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    await addTags(registry.host, 'bench/app', 'seed-multi', all.slice(0, TAGS - AMD64_ONLY_NEWEST));
    await addTags(registry.host, 'bench/app', 'seed-amd64', all.slice(TAGS - AMD64_ONLY_NEWEST));
    await addTags(registry.host, 'bench/app', 'seed-multi', ['latest', 'main-3f2a9c1', '2.0.0']);
    const setupS = (performance.now() - setup0) / 1000;

    // Counting proxy (no faults, no pagination) so the number of registry requests is visible.
    const counter = await startFaultProxy(registry.url);
    const paged = await startFaultProxy(registry.url, { pageSize: 1000 });
    try {
      const image = `${counter.host}/bench/app`;
      await measure(image, () => counter.requests.length); // warm-up: JIT, sockets
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(image, () => counter.requests.length));
      const pagedRun = await measure(`${paged.host}/bench/app`, () => paged.requests.length, 1000);

      const total = median(runs.map((r) => r.totalMs));
      const extraRss = Math.max(...runs.map((r) => r.extraRssMiB));
      const extraHeap = Math.max(...runs.map((r) => r.extraHeapMiB));
      const r0 = runs[0] as Run;
      const ms = (x: number): string => `${x.toFixed(0)} ms`;
      console.log(`choose among ${TAGS} tags (semver ^1, linux/arm64 required; newest ${AMD64_ONLY_NEWEST} are amd64-only), cold client, median of ${RUNS}`);
      console.log(`  setup (skopeo push + ${TAGS + 3} manifest PUTs): ${setupS.toFixed(1)} s`);
      console.log(`  selected            : ${r0.selected} after ${r0.lookups} platform lookups, ${r0.requests} registry requests`);
      console.log(`  list tags           : ${ms(median(runs.map((r) => r.listMs)))}  (one page; docker-registry 2.8 ignores n)`);
      console.log(`  rank + platform checks: ${ms(median(runs.map((r) => r.selectMs)))}`);
      console.log(`  total               : ${ms(total)}  (runs: ${runs.map((r) => r.totalMs.toFixed(0)).join(', ')})  goal < ${GOAL_MS} ms: ${total < GOAL_MS ? 'met' : 'NOT met'} (${(total / GOAL_MS).toFixed(2)} of the goal)`);
      console.log(`  extra memory (peak) : RSS +${extraRss.toFixed(1)} MiB, heap +${extraHeap.toFixed(1)} MiB  goal < ${GOAL_EXTRA_MIB} MiB: ${Math.max(extraRss, extraHeap) < GOAL_EXTRA_MIB ? 'met' : 'NOT met'}`);
      console.log(`  paginated (1000 per page, through a paginating proxy): ${ms(pagedRun.totalMs)}, ${pagedRun.requests} requests`);
    } finally {
      await counter.stop();
      await paged.stop();
    }
  } finally {
    await registry.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
