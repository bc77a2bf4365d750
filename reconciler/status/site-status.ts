import { randomBytes } from 'node:crypto';

import { KubeApiError, type KubeClient, type KubeObject } from '../cluster/kube-client';
import { FLUXOPS_NAMESPACE } from '../deploy/inventory';

/**
 * A site's status in its own cluster, readable by people (`kubectl -n fluxops-system get
 * configmap status-<site> -o yaml`, `fluxops status`) and by every FluxOps process: conditions in
 * the Kubernetes style, the last applied and attempted commits, the last change set summary, a
 * history of the last runs, and whether the site is suspended. Kubernetes Events are recorded on
 * it for each run that changed something or failed.
 */

/** Condition types, as Flux uses them. */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

/** A Kubernetes-style condition. */
export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** One run of the reconciler, as kept in the history. */
export interface RunRecord {
  readonly runId: string;
  /** What started it: `poll`, `webhook`, `drift`, `retry`, `start`, `manual`. */
  readonly trigger: string;
  readonly commit?: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** `applied` (something changed), `unchanged`, `drift-corrected`, `failed`, `stalled`, `skipped` (suspended). */
  readonly result: 'applied' | 'unchanged' | 'drift-corrected' | 'failed' | 'stalled' | 'skipped';
  /** Counts per action. */
  readonly summary?: Readonly<Record<string, number>>;
  /** Why it failed or stalled, or what it changed. */
  readonly message: string;
}

/** The status of a site. */
export interface SiteStatus {
  readonly site: string;
  readonly suspended: boolean;
  readonly conditions: readonly Condition[];
  readonly lastAppliedCommit?: string;
  readonly lastAppliedAt?: string;
  readonly lastAttemptedCommit?: string;
  readonly lastChangeSet?: Readonly<Record<string, number>>;
  /** Newest first, at most {@link HISTORY_LENGTH}. */
  readonly history: readonly RunRecord[];
}

/** Runs kept in the history. */
export const HISTORY_LENGTH = 20;

/** Name of a site's status ConfigMap. */
export function statusName(site: string): string {
  return `status-${site}`;
}

/** An empty status (a site never reconciled). */
export function emptyStatus(site: string): SiteStatus {
  return { site, suspended: false, conditions: [], history: [] };
}

/** Reads a site's status; an empty one when there is none yet. A corrupt status is reported, not ignored. */
export async function readSiteStatus(kube: KubeClient, site: string): Promise<{ status: SiteStatus; object?: KubeObject }> {
  const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: FLUXOPS_NAMESPACE, name: statusName(site) });
  if (!cm) return { status: emptyStatus(site) };
  const data = (cm.data ?? {}) as Record<string, string>;
  let parsed: Partial<SiteStatus> = {};
  if (data['status.json']) {
    try {
      parsed = JSON.parse(data['status.json']) as Partial<SiteStatus>;
    } catch {
      parsed = { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'StatusCorrupt', message: `the status ConfigMap ${statusName(site)} holds malformed JSON; it is rewritten on the next run`, lastTransitionTime: new Date().toISOString() }] };
    }
  }
  return {
    status: {
      ...emptyStatus(site),
      ...parsed,
      site,
      // The suspend flag is its own key, so `fluxops suspend` never races the loop's status writes.
      suspended: data.suspended === 'true',
      history: Array.isArray(parsed.history) ? parsed.history : [],
      conditions: Array.isArray(parsed.conditions) ? parsed.conditions : [],
    },
    object: cm,
  };
}

/** Sets a condition, keeping its transition time when its status did not change. */
export function setCondition(conditions: readonly Condition[], next: Omit<Condition, 'lastTransitionTime'>, now = new Date()): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const kept = conditions.filter((c) => c.type !== next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now.toISOString();
  return [...kept, { ...next, lastTransitionTime }].sort((a, b) => order(a.type) - order(b.type));
}

function order(t: ConditionType): number {
  return t === 'Ready' ? 0 : t === 'Reconciling' ? 1 : 2;
}

/**
 * Writes the status (server-side apply of the `status.json` key with the reconciler's field
 * manager; the `suspended` key belongs to `fluxops suspend/resume`). Returns the written object.
 */
export async function writeSiteStatus(kube: KubeClient, status: SiteStatus): Promise<KubeObject> {
  const { suspended: _s, ...rest } = status;
  const body = { ...rest, history: status.history.slice(0, HISTORY_LENGTH) };
  await ensureNamespace(kube);
  return kube.apply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: statusName(status.site), namespace: FLUXOPS_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'fluxops', 'app.kubernetes.io/component': 'status', 'fluxops.dev/site': status.site } },
      data: { 'status.json': JSON.stringify(body, null, 2) },
    },
    { fieldManager: 'fluxops-reconciler' },
  );
}

/** Suspends or resumes a site (stored in the cluster; the running loop honours it before each run). */
export async function setSuspended(kube: KubeClient, site: string, suspended: boolean): Promise<void> {
  await ensureNamespace(kube);
  await kube.apply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: statusName(site), namespace: FLUXOPS_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'fluxops', 'app.kubernetes.io/component': 'status', 'fluxops.dev/site': site } },
      data: { suspended: String(suspended) },
    },
    { fieldManager: 'fluxops-suspend' },
  );
}

/** Records a Kubernetes Event on the site's status object. */
export async function recordEvent(kube: KubeClient, status: KubeObject, e: { type: 'Normal' | 'Warning'; reason: string; message: string }): Promise<void> {
  const now = new Date().toISOString();
  const meta = status.metadata as { name: string; namespace?: string; uid?: string; resourceVersion?: string };
  try {
    await kube.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${meta.name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`, namespace: FLUXOPS_NAMESPACE },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: meta.name, namespace: FLUXOPS_NAMESPACE, ...(meta.uid ? { uid: meta.uid } : {}) },
      type: e.type,
      reason: e.reason,
      message: e.message.slice(0, 1024),
      source: { component: 'fluxops-reconciler' },
      reportingComponent: 'fluxops-reconciler',
      reportingInstance: 'fluxops',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch (err) {
    // An event is information, never a reason to fail a run.
    if (!(err instanceof KubeApiError)) throw err;
  }
}

async function ensureNamespace(kube: KubeClient): Promise<void> {
  if (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: FLUXOPS_NAMESPACE })) return;
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLUXOPS_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'fluxops' } } });
}
