import type { KubeClient, KubeObject, ObjectRef } from '../cluster/kube-client';
import { refId } from '../cluster/kube-client';
import { mapLimit } from '../cluster/semaphore';

/**
 * Health after an apply, with kstatus rules (the ones Flux's kustomize-controller and
 * `kubectl rollout status` use): a workload is healthy when its controller has observed the new
 * generation and the new replicas are updated and available; a Job when it completed; any
 * object with status conditions when `Ready` is True. Pods that cannot start (image pull back-off,
 * crash loop, bad config) fail the workload at once, with the reason, instead of waiting out
 * the timeout.
 */

/** Health of one object. */
export type HealthStatus = 'current' | 'in-progress' | 'failed';

/** The health verdict for one object, with why. */
export interface ObjectHealth {
  readonly id: string;
  readonly status: HealthStatus;
  readonly message: string;
  /** For a failed workload or pod: the pod and container that cannot start, as data. */
  readonly pod?: PodFailure;
}

/** A pod container that cannot start (what a roll-back commit and its notification report). */
export interface PodFailure {
  /** The pod (absent when the object checked is the pod itself). */
  readonly pod?: string;
  readonly container: string;
  /** The waiting reason, e.g. `CrashLoopBackOff`, `ImagePullBackOff`. */
  readonly reason: string;
  readonly message?: string;
  /** The container's restart count. */
  readonly restarts?: number;
}

/** Pod waiting reasons that will not resolve by waiting. */
const FATAL_WAITING = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

interface Conditioned {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** The health of one live object (pods are read for workloads that are not there yet). */
export async function objectHealth(kube: KubeClient, ref: ObjectRef): Promise<ObjectHealth> {
  const id = refId(ref);
  const obj = await kube.get(ref);
  if (!obj) return { id, status: 'failed', message: 'not found after apply' };
  if (WORKLOADS.has(ref.kind)) return workloadHealth(kube, id, obj);
  if (ref.kind === 'Job') return jobHealth(id, obj);
  if (ref.kind === 'Pod') return podHealth(id, obj);
  const c = obj as unknown as Conditioned;
  if (c.status?.observedGeneration !== undefined && c.metadata.generation !== undefined && c.status.observedGeneration < c.metadata.generation) {
    return { id, status: 'in-progress', message: `generation ${c.metadata.generation} not observed yet` };
  }
  const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
  if (ready) {
    if (ready.status === 'True') return { id, status: 'current', message: 'Ready' };
    if (ready.status === 'False' && /Failed|Error/.test(ready.reason ?? '')) return { id, status: 'failed', message: `${ready.reason}: ${ready.message ?? ''}`.trim() };
    return { id, status: 'in-progress', message: `${ready.reason ?? 'not ready'}${ready.message ? `: ${ready.message}` : ''}` };
  }
  return { id, status: 'current', message: 'applied' };
}

async function workloadHealth(kube: KubeClient, id: string, obj: KubeObject): Promise<ObjectHealth> {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentNumberScheduled?: number;
    desiredNumberScheduled?: number;
    numberAvailable?: number;
    updatedNumberScheduled?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
  const generation = (obj.metadata as { generation?: number }).generation ?? 0;
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { id, status: 'failed', message: `ProgressDeadlineExceeded: ${progressing.message ?? ''}`.trim() };
  const pod = await failingPod(kube, obj);
  if (pod) return { id, status: 'failed', message: `pod ${pod.pod}: ${describePodFailure(pod)}`, pod };
  if ((status.observedGeneration ?? 0) < generation) return { id, status: 'in-progress', message: `generation ${generation} not observed yet` };
  if (obj.kind === 'DaemonSet') {
    const want = status.desiredNumberScheduled ?? 0;
    if ((status.updatedNumberScheduled ?? 0) < want || (status.numberAvailable ?? 0) < want) {
      return { id, status: 'in-progress', message: `${status.numberAvailable ?? 0}/${want} available` };
    }
    return { id, status: 'current', message: `${want}/${want} available` };
  }
  const want = spec.replicas ?? 1;
  if ((status.updatedReplicas ?? 0) < want) return { id, status: 'in-progress', message: `${status.updatedReplicas ?? 0}/${want} replicas updated` };
  if ((status.replicas ?? 0) > want) return { id, status: 'in-progress', message: `${(status.replicas ?? 0) - want} old replicas terminating` };
  if ((status.availableReplicas ?? status.readyReplicas ?? 0) < want) return { id, status: 'in-progress', message: `${status.availableReplicas ?? 0}/${want} replicas available` };
  return { id, status: 'current', message: `${want}/${want} replicas available` };
}

function jobHealth(id: string, obj: KubeObject): ObjectHealth {
  const conditions = ((obj.status ?? {}) as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }).conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { id, status: 'failed', message: `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim() };
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return { id, status: 'current', message: 'Complete' };
  return { id, status: 'in-progress', message: 'running' };
}

function podHealth(id: string, obj: KubeObject): ObjectHealth {
  const problem = podFailure(obj);
  if (problem) return { id, status: 'failed', message: describePodFailure(problem), pod: problem };
  const ready = ((obj.status ?? {}) as { conditions?: Array<{ type: string; status: string }> }).conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? { id, status: 'current', message: 'Ready' } : { id, status: 'in-progress', message: 'not ready' };
}

/** The first pod of a workload that cannot start. */
async function failingPod(kube: KubeClient, workload: KubeObject): Promise<PodFailure | undefined> {
  const labels = ((workload.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels) ?? {};
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (!selector || !workload.metadata.namespace) return undefined;
  const pods = await kube.list('v1', 'Pod', { namespace: workload.metadata.namespace, labelSelector: selector });
  for (const pod of pods) {
    const problem = podFailure(pod);
    if (problem) return { pod: pod.metadata.name, ...problem };
  }
  return undefined;
}

function podFailure(pod: KubeObject): PodFailure | undefined {
  const statuses = ((pod.status ?? {}) as { containerStatuses?: Array<{ name: string; restartCount?: number; state?: { waiting?: { reason?: string; message?: string } } }> }).containerStatuses ?? [];
  for (const s of statuses) {
    const w = s.state?.waiting;
    if (w?.reason && FATAL_WAITING.has(w.reason)) {
      return { container: s.name, reason: w.reason, ...(w.message ? { message: w.message } : {}), ...(s.restartCount !== undefined ? { restarts: s.restartCount } : {}) };
    }
  }
  return undefined;
}

/** `container <name> <reason>: <message>` (and the restart count). */
export function describePodFailure(f: PodFailure): string {
  return `container ${f.container} ${f.reason}${f.message ? `: ${f.message}` : ''}${f.restarts ? ` (${f.restarts} restarts)` : ''}`;
}

/** Options of {@link waitForHealth}. */
export interface WaitForHealthOptions {
  /** @default 300000 */
  readonly timeoutMs?: number;
  /**
   * Timeouts of single objects, by id (`Kind/namespace/name`), instead of `timeoutMs`: a workload
   * whose image policy has a roll-back timeout gets that one.
   */
  readonly timeoutsMs?: Readonly<Record<string, number>>;
  /** @default 500 */
  readonly intervalMs?: number;
}

/**
 * Waits until every object is current or failed, or its timeout passes (then the ones still in
 * progress are reported as failed with their last state). Never waits forever.
 */
export async function waitForHealth(kube: KubeClient, refs: readonly ObjectRef[], opts: WaitForHealthOptions = {}): Promise<ObjectHealth[]> {
  const started = Date.now();
  const timeoutOf = (r: ObjectRef) => opts.timeoutsMs?.[refId(r)] ?? opts.timeoutMs ?? 300_000;
  const results = new Map<string, ObjectHealth>();
  let pending = [...refs];
  while (pending.length > 0) {
    const round = await mapLimit(pending, 8, (r) => objectHealth(kube, r));
    pending = pending.filter((_, i) => round[i].status === 'in-progress');
    for (const h of round) results.set(h.id, h);
    const now = Date.now();
    pending = pending.filter((r) => {
      if (now < started + timeoutOf(r)) return true;
      const last = results.get(refId(r))!;
      results.set(last.id, { id: last.id, status: 'failed', message: `not healthy after ${Math.round(timeoutOf(r) / 1000)} s: ${last.message}` });
      return false;
    });
    if (pending.length === 0) break;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
  return refs.map((r) => results.get(refId(r))!);
}

/**
 * Waits until pruned objects are gone (deletion is asynchronous: a Deployment waits for its
 * ReplicaSets and pods). One still there at the timeout is reported with its finalizers.
 */
export async function waitForDeletion(kube: KubeClient, refs: readonly ObjectRef[], opts: WaitForHealthOptions = {}): Promise<ObjectHealth[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  let pending = [...refs];
  const results = new Map<string, ObjectHealth>();
  while (pending.length > 0) {
    const still = await mapLimit(pending, 8, async (r) => ({ r, obj: await kube.get(r) }));
    for (const { r, obj } of still) if (!obj) results.set(refId(r), { id: refId(r), status: 'current', message: 'deleted' });
    pending = still.filter((x) => x.obj !== undefined).map((x) => x.r);
    if (pending.length === 0) break;
    if (Date.now() >= deadline) {
      for (const { r, obj } of still.filter((x) => x.obj !== undefined)) {
        const finalizers = ((obj!.metadata as { finalizers?: string[] }).finalizers ?? []).join(', ');
        results.set(refId(r), { id: refId(r), status: 'failed', message: `still being deleted after ${Math.round((opts.timeoutMs ?? 300_000) / 1000)} s${finalizers ? ` (finalizers: ${finalizers})` : ''}` });
      }
      break;
    }
    await new Promise((res) => setTimeout(res, opts.intervalMs ?? 500));
  }
  return refs.map((r) => results.get(refId(r))!);
}
