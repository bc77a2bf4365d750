/**
 * Choosing among 10 000 tags against the real local registry (docker-registry), platform checks
 * included: the 40 newest tags point at an amd64-only image, so the choice must walk past them to
 * the newest multi-arch one. Baseline: the bare listing of the same tags (one GET, JSON parsed),
 * which every choice has to pay at least.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { addTags, pushImage, startRegistry } from '../../dev/registry';
import { createTagPolicy, selectImage } from '../../reconciler/images/policy';
import { RegistryClient } from '../../reconciler/images/registry';
import { median } from '../harness/measure';
import type { BenchModule } from '../harness/types';

const AMD64_ONLY_NEWEST = 40;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Run {
  readonly ms: number;
  readonly extraMiB: number;
  readonly selected?: string;
  readonly lookups: number;
}

/** Runs `fn` with memory sampled every 2 ms; extra memory is the peak RSS/heap above the level before (after a GC). */
async function measure(fn: () => Promise<{ selected?: string; lookups: number }>): Promise<Run> {
  gc();
  const before = process.memoryUsage();
  let peak = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss - before.rss, m.heapUsed - before.heapUsed);
  };
  const timer = setInterval(sample, 2);
  const t = performance.now();
  const r = await fn();
  const ms = performance.now() - t;
  clearInterval(timer);
  sample();
  return { ms, extraMiB: peak / 2 ** 20, lookups: r.lookups, ...(r.selected ? { selected: r.selected } : {}) };
}

/** `tags`: choose among 10 000 tags (semver ^1, linux/arm64 required). Goals: under 1 s, under 50 MiB extra. */
export const tagsModule: BenchModule = {
  name: 'tags',
  description: 'choosing among 10 000 tags with platform checks (real registry) vs the bare tag listing',
  async run(ctx) {
    const tags = ctx.quick ? 2_000 : 10_000;
    const n = ctx.quick ? 3 : 5;
    const registry = await startRegistry();
    try {
      await pushImage(registry.host, 'bench/app', 'seed-multi', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
      await pushImage(registry.host, 'bench/app', 'seed-amd64', { platforms: ['linux/amd64'], kind: 'manifest' });
      const all = Array.from({ length: tags }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
      const t0 = Date.now();
      await addTags(registry.host, 'bench/app', 'seed-multi', all.slice(0, tags - AMD64_ONLY_NEWEST));
      await addTags(registry.host, 'bench/app', 'seed-amd64', all.slice(tags - AMD64_ONLY_NEWEST));
      await addTags(registry.host, 'bench/app', 'seed-multi', ['latest', 'main-3f2a9c1', '2.0.0']);
      ctx.log(`tags: ${tags} tags pushed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const image = `${registry.host}/bench/app`;
      const choose = async () => {
        const repo = new RegistryClient().repository(image, { insecure: true });
        const listed = await repo.listTags();
        if (listed.length < tags) throw new Error(`listed ${listed.length} tags, expected at least ${tags}`);
        const r = await selectImage({ policy: createTagPolicy({ rule: { kind: 'semver', range: '^1.0.0' } }), tags: listed, lookup: repo });
        return { lookups: r.lookups, ...(r.selected ? { selected: r.selected.tag } : {}) };
      };
      const list = async () => {
        const res = await fetch(`${registry.url}/v2/bench/app/tags/list`);
        const body = (await res.json()) as { tags: string[] };
        if (body.tags.length < tags) throw new Error(`listed ${body.tags.length} tags`);
        return { lookups: 0 };
      };
      await choose(); // warm-up: JIT, sockets
      await list();
      const ours: Run[] = [];
      const base: Run[] = [];
      for (let i = 0; i < n; i++) {
        base.push(await measure(list));
        ours.push(await measure(choose));
      }
      const expected = all[tags - AMD64_ONLY_NEWEST - 1];
      const selected = ours[0]!.selected;
      if (selected !== expected) throw new Error(`selected ${selected}, expected ${expected} (the newest multi-arch tag)`);
      const size = tags.toLocaleString('en');
      return {
        rows: [
          {
            name: `choose among ${size} tags (semver, linux/arm64 required): time`,
            value: median(ours.map((r) => r.ms)),
            unit: 'ms',
            baseline: median(base.map((r) => r.ms)),
            baselineName: 'bare tag listing',
            goal: { kind: 'max', value: 1000 },
            detail: `cold client, median of ${n}; selected ${selected} after ${ours[0]!.lookups} platform lookups; runs ${ours.map((r) => r.ms.toFixed(0)).join(', ')} ms`,
          },
          {
            name: `choose among ${size} tags: extra memory (peak RSS or heap above the start)`,
            value: Math.max(...ours.map((r) => r.extraMiB)),
            unit: 'MiB',
            baseline: Math.max(...base.map((r) => r.extraMiB)),
            baselineName: 'bare tag listing',
            goal: { kind: 'max', value: 50 },
            detail: `the largest of ${n} runs`,
          },
        ],
      };
    } finally {
      await registry.stop();
    }
  },
};
