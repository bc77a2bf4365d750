import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

import { FluxOpsError } from '../../errors';
import { FIELD_MANAGER, KubeApiError, type KubeClient, type KubeObject, type ObjectRef } from '../cluster/kube-client';
import { FLUXOPS_NAMESPACE, formatInventory, parseInventory } from './inventory';

/**
 * One writer per site: a Kubernetes Lease (`fluxops-system/site-<site>`) that every applying
 * FluxOps process (reconciler, `fluxops up` from a laptop) holds while it writes, renews while
 * it works, and releases after. The Lease also carries the write-ahead record of the run in
 * progress (which objects it may create), so a run killed at any moment is recognised by the
 * next one, which then resynchronises instead of trusting a state that is behind.
 */

/** Who holds (or held) a site lease. */
export interface LeaseHolder {
  /** `<kind>/<host>/<id>`: stable for a reconciler instance, per process for the CLI. */
  readonly identity: string;
  /** When the holder last renewed. */
  readonly renewTime?: string;
  readonly leaseDurationSeconds: number;
}

/** The write-ahead record of an apply that did not finish. */
export interface InterruptedRun {
  readonly runId: string;
  readonly commit?: string;
  readonly holder: string;
  /** Objects the run may have created: its prune candidates if they are no longer wanted. */
  readonly objects: readonly ObjectRef[];
}

/** Another process holds the site's lease (and is alive, as far as can be told). */
export class SiteLockedError extends FluxOpsError {
  override readonly name = 'SiteLockedError';
  constructor(
    readonly site: string,
    readonly holder: LeaseHolder,
    readonly waitedMs: number,
  ) {
    super('site-locked', `site ${site} is being applied by ${holder.identity} (renewed ${holder.renewTime ?? 'never'}); waited ${Math.round(waitedMs / 1000)} s`);
  }
}

/** The lease was taken over while this process held it (it renewed too late); stop writing. */
export class LeaseLostError extends FluxOpsError {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly site: string,
    readonly by: string,
  ) {
    super('lease-lost', `the lease of site ${site} was taken over by ${by}; this run stops writing`);
  }
}

/** A held site lease. */
export interface SiteLease {
  readonly site: string;
  readonly identity: string;
  /** Set when the previous holder's run did not finish: the next apply must resynchronise. */
  readonly interrupted?: InterruptedRun;
  /** Throws {@link LeaseLostError} if the lease was lost since it was taken. */
  assertHeld(): void;
  /** Records the run about to write (before any write to the site). */
  beginRun(run: { runId: string; commit?: string; objects: readonly ObjectRef[] }): Promise<void>;
  /** Releases the lease; with `completed`, the run record is cleared (else it stays for the next run to see). */
  release(opts: { completed: boolean }): Promise<void>;
}

/** Options of {@link acquireSiteLease}. */
export interface AcquireSiteLeaseOptions {
  readonly site: string;
  /** @default {@link processIdentity}('cli') */
  readonly identity?: string;
  /** @default 30 */
  readonly leaseDurationSeconds?: number;
  /** How long to wait for another holder. @default 120000 */
  readonly waitMs?: number;
  /** Told once per holder while waiting (the loser says who holds it). */
  readonly onWait?: (holder: LeaseHolder) => void;
  /**
   * Clock for expiry and waiting, in milliseconds; only differences are used. Injectable for tests
   * of expiry. @default {@link monotonicNow} (a wall clock that NTP steps forward would expire a
   * live holder's lease at once and let a second writer in)
   */
  readonly now?: () => number;
}

const RUN = 'fluxops.dev/run';
const RUN_COMMIT = 'fluxops.dev/run-commit';
const RUN_OBJECTS = 'fluxops.dev/run-objects';
const RUN_HOLDER = 'fluxops.dev/run-holder';
const PROCESS = 'fluxops.dev/holder-process';

/** Milliseconds from a monotonic clock (never jumps when the wall clock is set): what lease expiry is measured with. */
export function monotonicNow(): number {
  return performance.now();
}

/** Name of a site's lease. */
export function leaseName(site: string): string {
  return `site-${site}`;
}

/** An identity for this process: `<kind>/<host>/<pid>-<start time>` (unique per process, even across pid reuse). */
export function processIdentity(kind: string): string {
  return `${kind}/${os.hostname()}/${process.pid}-${processStartTicks(process.pid) ?? randomBytes(3).toString('hex')}`;
}

/**
 * Takes the site's lease: creates it, takes it when free, expired, held by this identity (a
 * restarted reconciler) or by a process of this host that is gone (a killed run); otherwise
 * waits, polling, and says who holds it.
 *
 * @throws SiteLockedError after `waitMs`
 */
export async function acquireSiteLease(kube: KubeClient, opts: AcquireSiteLeaseOptions): Promise<SiteLease> {
  const identity = opts.identity ?? processIdentity('cli');
  const duration = opts.leaseDurationSeconds ?? 30;
  const now = opts.now ?? monotonicNow;
  const ref: ObjectRef = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: FLUXOPS_NAMESPACE, name: leaseName(opts.site) };
  const started = now();
  let observed: { key: string; at: number } | undefined;
  let told = '';
  await ensureNamespace(kube);
  for (;;) {
    const lease = await kube.get(ref);
    const spec = (lease?.spec ?? {}) as { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
    const holder = spec.holderIdentity ?? '';
    const annotations = { ...((lease?.metadata.annotations as Record<string, string> | undefined) ?? {}) };
    // Expiry is judged by how long this process has seen the same record unchanged (as client-go
    // leader election does), not by comparing clocks across machines.
    const key = `${holder}|${spec.renewTime ?? ''}`;
    if (!observed || observed.key !== key) observed = { key, at: now() };
    const expired = now() - observed.at > (spec.leaseDurationSeconds ?? duration) * 1000;
    const free = !lease || holder === '' || holder === identity || expired || holderProcessGone(annotations[PROCESS]);
    if (free) {
      const interrupted = annotations[RUN]
        ? { runId: annotations[RUN], ...(annotations[RUN_COMMIT] ? { commit: annotations[RUN_COMMIT] } : {}), holder: annotations[RUN_HOLDER] ?? holder, objects: parseInventory(annotations[RUN_OBJECTS] ?? '') }
        : undefined;
      const body: KubeObject = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: ref.name,
          namespace: FLUXOPS_NAMESPACE,
          labels: { 'app.kubernetes.io/managed-by': 'fluxops', 'fluxops.dev/site': opts.site },
          annotations: { ...annotations, [PROCESS]: `${os.hostname()} ${process.pid} ${processStartTicks(process.pid) ?? ''}`.trim() },
          ...(lease ? { resourceVersion: (lease.metadata as { resourceVersion?: string }).resourceVersion } : {}),
        },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: duration,
          acquireTime: microTime(),
          renewTime: microTime(),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (holder && holder !== identity ? 1 : 0),
        },
      };
      try {
        const written = lease ? await kube.replace(body) : await kube.create(body);
        return heldLease(kube, ref, opts.site, identity, duration, written, interrupted);
      } catch (err) {
        // Someone else wrote the lease between our read and write: look again.
        if (err instanceof KubeApiError && (err.status === 409 || err.status === 404)) continue;
        throw err;
      }
    }
    const info: LeaseHolder = { identity: holder, ...(spec.renewTime ? { renewTime: spec.renewTime } : {}), leaseDurationSeconds: spec.leaseDurationSeconds ?? duration };
    if (told !== holder) {
      told = holder;
      opts.onWait?.(info);
    }
    if (now() - started >= (opts.waitMs ?? 120_000)) throw new SiteLockedError(opts.site, info, now() - started);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function heldLease(kube: KubeClient, ref: ObjectRef, site: string, identity: string, duration: number, initial: KubeObject, interrupted: InterruptedRun | undefined): SiteLease {
  let current = initial;
  let lost: string | undefined;
  let writing: Promise<unknown> = Promise.resolve();
  // Every write goes through one queue, with the latest resourceVersion: renewals never race run records.
  const update = (mutate: (l: KubeObject) => KubeObject): Promise<void> => {
    const next = writing.then(async () => {
      if (lost) return;
      try {
        current = await kube.replace(mutate(structuredClone(current)));
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.status !== 409) throw err;
        const fresh = await kube.get(ref);
        const holder = (fresh?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '';
        if (!fresh || holder !== identity) {
          lost = holder || '(nobody)';
          return;
        }
        current = await kube.replace(mutate(structuredClone(fresh)));
      }
    });
    writing = next.catch(() => undefined);
    return next;
  };
  const renew = setInterval(() => {
    update((l) => ({ ...l, spec: { ...(l.spec as object), renewTime: microTime() } })).catch(() => undefined);
  }, (duration * 1000) / 3);
  renew.unref();
  const annotate = (l: KubeObject, set: Record<string, string | undefined>): KubeObject => {
    const annotations = { ...((l.metadata.annotations as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) delete annotations[k];
      else annotations[k] = v;
    }
    return { ...l, metadata: { ...l.metadata, annotations } };
  };
  return {
    site,
    identity,
    ...(interrupted ? { interrupted } : {}),
    assertHeld() {
      if (lost) throw new LeaseLostError(site, lost);
    },
    async beginRun(run) {
      await update((l) => annotate(l, { [RUN]: run.runId, [RUN_COMMIT]: run.commit, [RUN_HOLDER]: identity, [RUN_OBJECTS]: formatInventory(run.objects) }));
      if (lost) throw new LeaseLostError(site, lost);
    },
    async release({ completed }) {
      clearInterval(renew);
      await update((l) => {
        const cleared = completed ? annotate(l, { [RUN]: undefined, [RUN_COMMIT]: undefined, [RUN_HOLDER]: undefined, [RUN_OBJECTS]: undefined }) : l;
        return { ...cleared, spec: { ...(cleared.spec as object), holderIdentity: '', renewTime: microTime() } };
      });
    },
  };
}

/** Creates `fluxops-system` when missing (the site stack manages it afterwards). */
async function ensureNamespace(kube: KubeClient): Promise<void> {
  const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: FLUXOPS_NAMESPACE });
  if (ns) return;
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLUXOPS_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'fluxops' } } }, { fieldManager: FIELD_MANAGER });
}

/** True when the recorded holder process ran on this host and is gone (or its pid now belongs to another process). */
function holderProcessGone(record: string | undefined): boolean {
  if (!record) return false;
  const [host, pidText, ticks] = record.split(' ');
  if (host !== os.hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  const current = processStartTicks(pid);
  return current === undefined || (ticks !== undefined && ticks !== '' && current !== ticks);
}

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or undefined when it does not exist. */
function processStartTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A Kubernetes MicroTime (RFC 3339 with microseconds). */
function microTime(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
