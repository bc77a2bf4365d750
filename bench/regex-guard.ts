/**
 * Cost of the catastrophic-backtracking guard on tag filters: ranking 10 000 tags with a pattern
 * the guard leaves alone (`^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, matched directly) and with one it
 * flags (`^main-([a-f0-9]+-)+(?P<ts>[0-9]+)$`, a loop in a loop, matched in a node:vm context with
 * a 250 ms limit, retried once at 1 s). Baseline: the direct pattern in the same process. Goal: a flagged pattern
 * ranks 10 000 tags in under 2 s (a Raspberry-Pi-class scan budget), and `^(a+)+$` against a
 * hostile tag is stopped within 1.5 s instead of hanging.
 *
 *   npx ts-node --transpile-only bench/regex-guard.ts [runs]
 */
import { RegexTimeLimitError } from '../constructs/validation';
import { createTagPolicy, InvalidTagPolicyError } from '../reconciler/images/policy';

const RUNS = Number(process.argv[2] ?? 5);
const TAGS = Array.from({ length: 10_000 }, (_, i) => `main-${(0x3f2a9c1 + i).toString(16)}-${1_731_400_000 + i * 60}`);
const GOAL_FLAGGED_MS = 2000;
const GOAL_STOP_MS = 1500;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timeRank(pattern: string): number {
  const policy = createTagPolicy({ name: 'bench', rule: { kind: 'numerical', order: 'asc' }, filterTags: { pattern, extract: '$ts' } });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const latest = policy.latest(TAGS);
    times.push(performance.now() - t0);
    if (latest !== TAGS[TAGS.length - 1]) throw new Error(`${pattern}: chose ${latest}`);
  }
  return median(times);
}

const direct = timeRank('^main-[a-f0-9]+-(?P<ts>[0-9]+)$');
const flagged = timeRank('^main-([a-f0-9]+-)+(?P<ts>[0-9]+)$');

const hostile = createTagPolicy({ name: 'bench', rule: { kind: 'alphabetical', order: 'asc' }, filterTags: { pattern: '^(a+)+$' } });
const t0 = performance.now();
let stopped = false;
try {
  hostile.rank([`${'a'.repeat(40)}b`]);
} catch (err) {
  stopped = err instanceof InvalidTagPolicyError && err.cause instanceof RegexTimeLimitError;
}
const stopMs = performance.now() - t0;

console.log(`rank 10 000 tags, direct pattern (baseline):  ${direct.toFixed(1)} ms (${((direct * 1000) / TAGS.length).toFixed(2)} µs/tag)`);
console.log(`rank 10 000 tags, flagged pattern (guarded):  ${flagged.toFixed(1)} ms (${((flagged * 1000) / TAGS.length).toFixed(2)} µs/tag), ${(flagged / direct).toFixed(1)}x baseline; goal < ${GOAL_FLAGGED_MS} ms: ${flagged < GOAL_FLAGGED_MS ? 'met' : 'MISSED'}`);
console.log(`^(a+)+$ on a hostile tag: ${stopped ? 'stopped' : 'NOT stopped'} after ${stopMs.toFixed(0)} ms; goal < ${GOAL_STOP_MS} ms: ${stopped && stopMs < GOAL_STOP_MS ? 'met' : 'MISSED'}`);
