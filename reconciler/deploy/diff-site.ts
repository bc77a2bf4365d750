import { FluxOpsError } from '../../errors';
import { FIELD_MANAGER, KubeApiError, refId, type KubeClient, type KubeObject, type ObjectRef } from '../cluster/kube-client';
import { mapLimit } from '../cluster/semaphore';
import { diffObjects, maskSecretObject, type FieldChange } from './object-diff';

/** What applying the site would do to one object. */
export type DiffAction =
  /** The object does not exist yet. */
  | 'create'
  /** The object exists and applying changes it (a change in Git, or drift from a manual edit). */
  | 'update'
  /** Applying would change nothing. */
  | 'unchanged'
  /** Owned by the site, no longer in Git, still in the cluster: deleted on apply. */
  | 'prune'
  /** Owned, no longer in Git, but a Namespace or CRD: kept (deleting it deletes what others own). */
  | 'orphan'
  /** The server's dry run rejected the object: nothing of this commit may be applied. */
  | 'invalid';

/** One object of a site diff. */
export interface ObjectDiff {
  /** `Kind/namespace/name`. */
  readonly id: string;
  readonly ref: ObjectRef;
  readonly action: DiffAction;
  /** Field changes (Secret values masked). Empty for unchanged objects and prunes. */
  readonly changes: readonly FieldChange[];
  /** False when the server could not validate the object yet (its namespace or CRD comes with this commit). */
  readonly validated: boolean;
  /** Why (the server's error for `invalid`, a note otherwise). */
  readonly message?: string;
}

/** The diff of a whole site against the live cluster. */
export interface SiteDiff {
  readonly objects: readonly ObjectDiff[];
}

/** Counts per action. */
export function summarizeDiff(diff: SiteDiff): Record<DiffAction, number> {
  const out: Record<DiffAction, number> = { create: 0, update: 0, unchanged: 0, prune: 0, orphan: 0, invalid: 0 };
  for (const o of diff.objects) out[o.action] += 1;
  return out;
}

/** Whether applying would change anything (creates, updates, prunes). */
export function hasChanges(diff: SiteDiff): boolean {
  return diff.objects.some((o) => o.action === 'create' || o.action === 'update' || o.action === 'prune');
}

/** The server's dry run rejected objects of the commit; nothing of it was applied. */
export class DryRunRejectedError extends FluxOpsError {
  override readonly name = 'DryRunRejectedError';
  constructor(readonly rejected: readonly ObjectDiff[]) {
    super('dry-run-rejected', `the API server rejected ${rejected.length} object(s) in a dry run; nothing of this commit was applied:\n${rejected.map((o) => `  - ${o.id}: ${o.message}`).join('\n')}`);
  }
}

/** Kinds that are never pruned unless asked: deleting them deletes objects others own. */
export const KEPT_ON_PRUNE = new Set(['Namespace', 'CustomResourceDefinition']);

/** Options of {@link diffSite}. */
export interface DiffSiteOptions {
  /** Objects the site owns now (its inventory); those no longer desired are prunes. */
  readonly owned?: readonly ObjectRef[];
  /** Requests in flight. @default 16 */
  readonly concurrency?: number;
  /** Prune Namespaces and CRDs too. @default false */
  readonly pruneAll?: boolean;
}

/**
 * Compares what applying `desired` would do with the live cluster, object by object, the way
 * `kubectl diff --server-side` and `flux diff kustomization` do: each object is server-side
 * applied with `dryRun=All` and FluxOps' field manager, and the server's answer is compared
 * with the live object. Read-only: the server persists nothing. Objects whose namespace is not
 * there yet are validated by a dry-run create in the `default` namespace; objects of a kind
 * whose CRD arrives with the same commit cannot be validated yet and are marked so.
 */
export async function diffSite(kube: KubeClient, desired: readonly KubeObject[], opts: DiffSiteOptions = {}): Promise<SiteDiff> {
  const concurrency = opts.concurrency ?? 16;
  const desiredIds = new Set(desired.map((o) => idOf(o)));
  const newNamespaces = new Set(desired.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const newCrdKinds = new Set(
    desired
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => {
        const spec = o.spec as { group?: string; names?: { kind?: string } } | undefined;
        return `${spec?.group}/${spec?.names?.kind}`;
      }),
  );
  const live = await readLive(kube, desired, concurrency);
  const missingNamespaces = new Set<string>();
  for (const ns of newNamespaces) if (!live.get(`Namespace//${ns}`)) missingNamespaces.add(ns);

  const objects = await mapLimit(desired, concurrency, async (obj): Promise<ObjectDiff> => {
    const ref = refOf(obj);
    const id = refId(ref);
    const current = live.get(keyOf(ref));
    const secret = obj.kind === 'Secret';
    try {
      if (current === undefined && ref.namespace && missingNamespaces.has(ref.namespace)) {
        await validateElsewhere(kube, obj);
        return { id, ref, action: 'create', changes: diffObjects(undefined, maskIf(secret, obj), { secret }), validated: true, message: `namespace ${ref.namespace} is created by this commit` };
      }
      const dry = await kube.apply(obj, { dryRun: true });
      const changes = diffObjects(current, dry, { secret });
      if (current === undefined) return { id, ref, action: 'create', changes, validated: true };
      return { id, ref, action: changes.length > 0 ? 'update' : 'unchanged', changes, validated: true };
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404 && err.reason === 'NotFound' && err.method === 'GET' && newCrdKinds.has(`${groupOf(ref.apiVersion)}/${ref.kind}`)) {
        return { id, ref, action: 'create', changes: [], validated: false, message: `kind ${ref.kind} is defined by a CRD of this commit; the server validates it when the CRD exists` };
      }
      if (err instanceof KubeApiError && err.status === 404) {
        // An apply creates what is missing, so a 404 means the API server does not serve this
        // apiVersion/kind at all (its answer is a bare "404 page not found").
        return { id, ref, action: 'invalid', changes: [], validated: true, message: `kind: ${ref.kind} (${ref.apiVersion}) is not served by this API server (${err.detail}); fix apiVersion/kind or install its CRD first` };
      }
      if (err instanceof KubeApiError && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 403 && err.status !== 429) {
        const causes = err.causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join('; ');
        return { id, ref, action: 'invalid', changes: [], validated: true, message: causes || err.detail };
      }
      throw err;
    }
  });

  const prunable = (opts.owned ?? []).filter((r) => !desiredIds.has(idOf(r)));
  const prunes = await mapLimit(prunable, concurrency, async (ref): Promise<ObjectDiff | undefined> => {
    let exists: KubeObject | undefined;
    try {
      exists = await kube.get(ref);
    } catch (err) {
      // A kind whose CRD is gone has nothing left to prune.
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
    if (!exists) return undefined;
    const kept = KEPT_ON_PRUNE.has(ref.kind) && !opts.pruneAll;
    return {
      id: refId(ref),
      ref,
      action: kept ? 'orphan' : 'prune',
      changes: [],
      validated: true,
      message: kept ? `no longer in Git; ${ref.kind}s are kept (deleting one deletes what others own)` : 'no longer in Git',
    };
  });
  // Deletions go in reverse apply order.
  return { objects: [...objects, ...prunes.filter((p): p is ObjectDiff => p !== undefined).reverse()] };
}

/** Throws {@link DryRunRejectedError} when the diff has invalid objects. */
export function rejectInvalid(diff: SiteDiff): void {
  const invalid = diff.objects.filter((o) => o.action === 'invalid');
  if (invalid.length > 0) throw new DryRunRejectedError(invalid);
}

/** Live objects of the desired set, keyed by {@link keyOf}: a LIST for larger groups, GETs otherwise. */
async function readLive(kube: KubeClient, desired: readonly KubeObject[], concurrency: number): Promise<Map<string, KubeObject>> {
  const groups = new Map<string, KubeObject[]>();
  for (const o of desired) {
    const g = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    groups.set(g, [...(groups.get(g) ?? []), o]);
  }
  const out = new Map<string, KubeObject>();
  await mapLimit([...groups.values()], concurrency, async (members) => {
    const first = members[0];
    const ns = first.metadata.namespace;
    try {
      if (members.length >= 8) {
        const items = await kube.list(first.apiVersion, first.kind, ns ? { namespace: ns } : {});
        const wanted = new Set(members.map((m) => m.metadata.name));
        for (const item of items) if (wanted.has(item.metadata.name)) out.set(keyOf(refOf(item)), item);
        return;
      }
      await Promise.all(
        members.map(async (m) => {
          const got = await kube.get(refOf(m));
          if (got) out.set(keyOf(refOf(m)), got);
        }),
      );
    } catch (err) {
      // A kind the server does not know yet (CRD in this commit) has no live objects.
      if (err instanceof KubeApiError && err.status === 404) return;
      throw err;
    }
  });
  return out;
}

/** Validates an object whose namespace does not exist yet: a dry-run create in `default` under a generated name. */
async function validateElsewhere(kube: KubeClient, obj: KubeObject): Promise<void> {
  const { name, namespace: _ns, ...meta } = obj.metadata;
  const probe: KubeObject = { ...obj, metadata: { ...meta, name: '', generateName: `${name.slice(0, 40)}-`, namespace: 'default' } };
  delete (probe.metadata as Record<string, unknown>).name;
  const path = await kube.pathOf({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: 'default' });
  await kube.request('POST', path, { query: { dryRun: 'All', fieldManager: FIELD_MANAGER }, body: JSON.stringify(probe), contentType: 'application/json', object: refId(refOf(obj)) });
}

function maskIf(secret: boolean, obj: KubeObject): KubeObject {
  return secret ? maskSecretObject(obj) : obj;
}

/** The reference of an object. */
export function refOf(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
}

function keyOf(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** Group/Kind/namespace/name: the identity of an object across API versions. */
export function idOf(o: ObjectRef | KubeObject): string {
  const ref = 'metadata' in o ? refOf(o as KubeObject) : (o as ObjectRef);
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}
