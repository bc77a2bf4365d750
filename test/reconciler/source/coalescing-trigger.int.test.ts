import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../dev/net';
import { CoalescingTrigger, createGitPushReceiver, gitPushRoute, type PushEvent, type TriggerOutcome } from '../../../reconciler/source';
import { startHttpServer, type RunningHttpServer } from '../../../reconciler/status';
import { commitId, githubPush } from '../../support/webhook-deliveries';

const secret = randomBytes(24).toString('hex');

/** A server whose GitHub route fires `trigger`; runs record their commit and take `runMs`. */
async function setup(runMs: number | (() => Promise<void>)) {
  const runs: string[] = [];
  const accepted: string[] = [];
  const settled: TriggerOutcome<PushEvent, string>[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const trigger = new CoalescingTrigger<PushEvent, string>({
    run: async (event) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      runs.push(event.commit);
      try {
        if (typeof runMs === 'number') await new Promise((r) => setTimeout(r, runMs));
        else await runMs();
        return event.commit;
      } finally {
        concurrent--;
      }
    },
    onSettled: (o) => settled.push(o),
  });
  const receiver = createGitPushReceiver({ provider: 'github', secret, repositoryUrl: 'git@github.com:acme/fleet-config.git', branch: 'main' });
  const server = await startHttpServer({
    routes: [
      gitPushRoute(receiver, {
        onPush: (event) => {
          accepted.push(event.commit);
          void trigger.fire(event);
        },
      }),
    ],
  });
  return { trigger, server, runs, accepted, settled, maxConcurrent: () => maxConcurrent };
}

const push = (server: RunningHttpServer, n: number): Promise<Response> => {
  const d = githubPush({ commit: commitId(n), secret, deliveryId: `burst-${n}` });
  return fetch(`${server.url}/hooks/git/github`, { method: 'POST', headers: d.headers, body: d.body });
};

describe('coalescing trigger behind a real GitHub webhook route', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('ten signed pushes while a run is in progress give two runs, the last for the newest commit', async () => {
    let release!: () => void;
    const firstRunBlocked = new Promise<void>((r) => (release = r));
    let calls = 0;
    const env = await setup(async () => {
      // The first run lasts until the whole burst has been answered; later runs are quick.
      if (calls++ === 0) await firstRunBlocked;
    });
    cleanup.push(() => env.server.close(), () => env.trigger.stop());

    for (let n = 0; n < 10; n++) {
      const res = await push(env.server, n);
      expect(res.status).toBe(202);
    }
    expect(env.accepted).toEqual(Array.from({ length: 10 }, (_, n) => commitId(n)));
    expect(env.runs).toEqual([commitId(0)]);
    expect(env.trigger.state).toMatchObject({ running: true, pending: true, fired: 10 });
    release();
    await waitFor(() => env.settled.length >= 2, { what: 'both runs to settle', timeoutMs: 10_000, intervalMs: 10 });
    expect(env.trigger.state).toMatchObject({ running: false, pending: false, runs: 2, coalesced: 8 });
    expect(env.runs).toEqual([commitId(0), commitId(9)]);
    expect(env.settled.map((o) => o.status)).toEqual(['succeeded', 'succeeded']);
    expect(env.maxConcurrent()).toBe(1);
  });

  it('ten concurrent pushes: at most two runs, never overlapping, the last for the last accepted commit', async () => {
    const env = await setup(150);
    cleanup.push(() => env.server.close(), () => env.trigger.stop());

    const responses = await Promise.all(Array.from({ length: 10 }, (_, n) => push(env.server, n)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(202));
    // Wait until the trigger is idle.
    await waitFor(() => !env.trigger.state.running && !env.trigger.state.pending, { what: 'the trigger to go idle', timeoutMs: 10_000, intervalMs: 20 });

    expect(env.runs.length).toBeGreaterThanOrEqual(1);
    expect(env.runs.length).toBeLessThanOrEqual(2);
    expect(env.runs.at(-1)).toBe(env.accepted.at(-1));
    expect(env.maxConcurrent()).toBe(1);
    expect(env.trigger.state).toMatchObject({ fired: 10, runs: env.runs.length });
  });

  it('a failing run does not stop later pushes from running', async () => {
    let fail = true;
    const env = await setup(async () => {
      if (fail) {
        fail = false;
        throw new Error('apply failed');
      }
    });
    cleanup.push(() => env.server.close(), () => env.trigger.stop());
    expect((await push(env.server, 100)).status).toBe(202);
    await waitFor(() => env.settled.length >= 1, { what: 'the failing run', timeoutMs: 10_000, intervalMs: 10 });
    expect((await push(env.server, 101)).status).toBe(202);
    await waitFor(() => env.settled.length >= 2, { what: 'the second run', timeoutMs: 10_000, intervalMs: 10 });
    expect(env.settled.map((o) => o.status)).toEqual(['failed', 'succeeded']);
    expect(env.runs).toEqual([commitId(100), commitId(101)]);
  });
});
