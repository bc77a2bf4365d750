import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { KubeClient } from '../../reconciler/cluster/kube-client';
import { FLUXOPS_NAMESPACE } from '../../reconciler/deploy/inventory';
import { acquireSiteLease, leaseName, SiteLockedError, type SiteLease } from '../../reconciler/deploy/site-lease';

/**
 * Fault 9 of the fault suite: the wall clock jumps forward (an NTP step after a Raspberry Pi
 * without an RTC boots with the wrong date, a VM resumed) while a second reconciler waits for a
 * site's lease. Expiry must be measured on a monotonic clock: the jump must not make a lease that
 * its holder keeps renewing look expired, and a second reconciler takes over only after the
 * lease really was not renewed for its duration.
 *
 * The jump is injected into this process's wall clock (`Date.now`); changing the machine's clock
 * would disturb everything else running on it.
 */

const SITE = 'fault-clock';
const HOUR = 3_600_000;

describe('fault: the clock jumps forward while a second reconciler waits for the lease', () => {
  let cluster: LocalCluster;
  let kube: KubeClient;
  const held: SiteLease[] = [];

  beforeAll(async () => {
    cluster = await startLocalCluster();
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
  }, 180_000);

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const l of held.splice(0)) await l.release({ completed: true }).catch(() => undefined);
  });

  afterAll(async () => {
    kube?.close();
    await cluster?.stop();
  }, 60_000);

  /** This process's wall clock (`Date.now`), with a `jump(ms)` that sets it forward from then on. */
  const wallClock = () => {
    const real = Date.now.bind(Date);
    let offset = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => real() + offset);
    return { jump: (by: number) => void (offset += by) };
  };

  it('a holder that keeps renewing keeps the lease across a one-hour jump; the waiter waits its full time and names the holder', async () => {
    // 6 s leases are renewed every 2 s; the waiter polls every second, so it sees the same record twice in a row.
    const clock = wallClock();
    const a = await acquireSiteLease(kube, { site: SITE, identity: 'reconciler/a', leaseDurationSeconds: 6 });
    held.push(a);
    const started = performance.now();
    const waiting = acquireSiteLease(kube, { site: SITE, identity: 'reconciler/b', leaseDurationSeconds: 6, waitMs: 9_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    clock.jump(HOUR);
    const err = await waiting.then(
      (b) => {
        held.push(b);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SiteLockedError);
    expect((err as SiteLockedError).holder.identity).toBe('reconciler/a');
    // It waited the time it was given, in real time (the jump did not end the wait either).
    expect(performance.now() - started).toBeGreaterThanOrEqual(8_500);
    const lease = await kube.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: FLUXOPS_NAMESPACE, name: leaseName(SITE) });
    expect((lease!.spec as { holderIdentity: string }).holderIdentity).toBe('reconciler/a');
    expect(() => a.assertHeld()).not.toThrow();
  }, 60_000);

  it('a holder that stopped renewing (another host, gone): taken over only once the lease expired, whatever the wall clock says, with its unfinished run', async () => {
    // A lease left by a reconciler on another host that died mid-run (its process cannot be checked from here).
    const clock = wallClock();
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: FLUXOPS_NAMESPACE, name: leaseName(SITE) };
    const current = await kube.get(ref);
    await kube.replace({
      ...current!,
      metadata: {
        ...current!.metadata,
        annotations: { 'fluxops.dev/holder-process': 'other-host 4242 1', 'fluxops.dev/run': 'run-1', 'fluxops.dev/run-holder': 'reconciler/ghost', 'fluxops.dev/run-objects': '' },
      },
      spec: { holderIdentity: 'reconciler/ghost', leaseDurationSeconds: 5, renewTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') },
    });
    const started = performance.now();
    const waits: string[] = [];
    const acquiring = acquireSiteLease(kube, { site: SITE, identity: 'reconciler/b', waitMs: 30_000, onWait: (h) => waits.push(h.identity) });
    // The clock jumps while it waits: one hour, then again.
    await new Promise((r) => setTimeout(r, 1_500));
    clock.jump(HOUR);
    await new Promise((r) => setTimeout(r, 1_000));
    clock.jump(HOUR);
    const b = await acquiring;
    held.push(b);
    const waited = performance.now() - started;
    expect(waits).toEqual(['reconciler/ghost']);
    expect(waited).toBeGreaterThanOrEqual(5_000);
    expect(waited).toBeLessThan(12_000);
    expect(b.interrupted).toMatchObject({ runId: 'run-1', holder: 'reconciler/ghost' });
  }, 60_000);
});
