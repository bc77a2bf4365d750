/**
 * Webhook receiver benchmark: signed GitHub pushes (~1 KiB) posted over loopback with 8 requests
 * in flight, through the FluxOps server (body limit, content type, HMAC-SHA256, schema, repository
 * match, coalescing trigger), against a baseline of a bare `node:http` server that only reads the
 * body and answers 202, in the same process. Goal: p99 under 50 ms on a Raspberry-Pi-class
 * machine; a push burst must collapse into at most two runs.
 *
 *   npx ts-node --transpile-only bench/webhook-receiver.ts [requests]
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoalescingTrigger, createGitPushReceiver, gitPushRoute, type PushEvent } from '../reconciler/source';
import { startHttpServer } from '../reconciler/status';
import { commitId, githubPush, type Delivery } from '../test/support/webhook-deliveries';

const REQUESTS = Number(process.argv[2] ?? 4000);
const CONCURRENCY = 8;
const GOAL_P99_MS = 50;
const secret = randomBytes(32).toString('hex');

interface Result {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function load(url: string, deliveries: readonly Delivery[]): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        const d = deliveries[i];
        if (d === undefined) return;
        const t0 = performance.now();
        const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`request ${i}: HTTP ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { perSecond: deliveries.length / seconds, p50: pct(0.5), p99: pct(0.99) };
}

async function baseline(deliveries: readonly Delivery[]): Promise<Result> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"result":"accepted"}\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    return await load(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, deliveries);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

async function fluxops(deliveries: readonly Delivery[]): Promise<{ result: Result; runs: number; fired: number }> {
  const trigger = new CoalescingTrigger<PushEvent>({ run: () => new Promise((r) => setTimeout(r, 20)) });
  const receiver = createGitPushReceiver({ provider: 'github', secret, repositoryUrl: 'https://github.com/acme/fleet-config', branch: 'main' });
  const server = await startHttpServer({ routes: [gitPushRoute(receiver, { onPush: (e) => void trigger.fire(e) })] });
  try {
    const result = await load(`${server.url}/hooks/git/github`, deliveries);
    await trigger.stop();
    return { result, runs: trigger.state.runs, fired: trigger.state.fired };
  } finally {
    await server.close();
  }
}

/** The receiver alone (content type, size, HMAC, JSON + schema, match), no HTTP: microseconds per delivery. */
function receiveOnly(deliveries: readonly Delivery[]): number {
  const receiver = createGitPushReceiver({ provider: 'github', secret, repositoryUrl: 'https://github.com/acme/fleet-config', branch: 'main' });
  const t0 = performance.now();
  for (const d of deliveries) if (receiver.receive({ headers: d.headers, body: d.body }).kind !== 'accepted') throw new Error('not accepted');
  return ((performance.now() - t0) * 1000) / deliveries.length;
}

async function main(): Promise<void> {
  const deliveries = Array.from({ length: REQUESTS }, (_, i) => githubPush({ commit: commitId(i), secret, deliveryId: `bench-${i}` }));
  receiveOnly(deliveries); // warm-up
  // Warm-up (JIT, sockets) on both servers, not measured.
  await baseline(deliveries.slice(0, 200));
  await fluxops(deliveries.slice(0, 200));

  const base = await baseline(deliveries);
  const ours = await fluxops(deliveries);
  const rss = process.memoryUsage().rss / 2 ** 20;
  const row = (name: string, r: Result): string =>
    `${name.padEnd(26)} ${r.perSecond.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms`;
  console.log(`${REQUESTS} signed GitHub pushes of ${deliveries[0]?.body.length} bytes, ${CONCURRENCY} in flight, loopback`);
  console.log(row('baseline (bare node:http)', base));
  console.log(row('FluxOps receiver', ours.result));
  console.log(`throughput ratio to baseline: ${(ours.result.perSecond / base.perSecond).toFixed(2)}x`);
  console.log(`p99 ${ours.result.p99.toFixed(2)} ms against the ${GOAL_P99_MS} ms goal: ${(ours.result.p99 / GOAL_P99_MS).toFixed(2)} of it`);
  console.log(`receiver alone (no HTTP): ${receiveOnly(deliveries).toFixed(1)} µs per delivery`);
  console.log(`coalescing: ${ours.fired} fires -> ${ours.runs} runs of 20 ms`);
  console.log(`peak RSS ${rss.toFixed(0)} MiB`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
