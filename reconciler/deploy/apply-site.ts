import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { EngineEvent } from '@pulumi/pulumi/automation';

import { asApplied, manifestHash } from '../../stacks/applied-object';
import type { ChangeAction, ChangeSet, ChangeSetEntry } from '../../stacks/change-set';
import { pulumiEnvironment, type PulumiSettings } from '../../stacks/pulumi-env';
import { runStack } from '../../stacks/run-stack';
import { siteUrns, type KubeObject as StackObject } from '../../stacks/site-stack';
import { clearStaleStackLocks } from '../../stacks/stack-lock';
import { DEFAULT_PROJECT, openSiteStack, siteProgram } from '../../stacks/workspace';
import { refId, type KubeClient, type KubeObject, type ObjectRef } from '../cluster/kube-client';
import { mapLimit } from '../cluster/semaphore';
import { diffSite, idOf, refOf, rejectInvalid, type ObjectDiff, type SiteDiff } from './diff-site';
import { waitForDeletion, waitForHealth, type ObjectHealth } from './health';
import { FLUXOPS_NAMESPACE, inventoryName, parseInventory } from './inventory';
import { acquireSiteLease, type SiteLease } from './site-lease';

/** Annotation of the inventory: sha256 of the stack settings file the site was last applied with. */
const STACK_CONFIG_HASH = 'fluxops.dev/stack-config-sha256';

/** How Pulumi was used by one apply. */
export type PulumiMode =
  /** Nothing to do: no Pulumi process started, no write. */
  | 'skipped'
  /** Only the changed objects (and prunes) were registered and targeted. */
  | 'targeted'
  /** Every object was registered: the first apply, or after an interrupted run (resynchronise). */
  | 'full';

/** Options of {@link applySite}. */
export interface ApplySiteOptions {
  readonly site: string;
  /** Synthesized objects, in apply order. */
  readonly objects: readonly KubeObject[];
  readonly kube: KubeClient;
  /** Kubeconfig contents for the Pulumi provider (a Pulumi secret in the state). */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly settings: PulumiSettings;
  /** The site's Pulumi project directory (see siteWorkDir). */
  readonly workDir: string;
  /** Commit applied, recorded with the run. */
  readonly commit?: string;
  /** Lease identity. @default this process */
  readonly identity?: string;
  /** How long to wait for another writer. @default 120000 */
  readonly leaseWaitMs?: number;
  /** Told who holds the site while waiting. */
  readonly onLeaseWait?: (holder: string) => void;
  /** Wait for health of what was applied (timeouts per object by id possible). @default { timeoutMs: 300000 } */
  readonly health?: false | { readonly timeoutMs?: number; readonly timeoutsMs?: Readonly<Record<string, number>> };
  /** Register every object (resynchronise Pulumi's state with the site). @default only when needed */
  readonly full?: boolean;
  /** Prune Namespaces and CRDs too. @default false */
  readonly pruneAll?: boolean;
  /** Pulumi's progress output. */
  readonly onOutput?: (text: string) => void;
  readonly onEvent?: (e: EngineEvent) => void;
  /** Requests in flight for the diff and prunes. @default 16 */
  readonly concurrency?: number;
  /** Only report what would change (a preview): no lease, no Pulumi, no write. */
  readonly dryRun?: boolean;
}

/** What one apply did. */
export interface ApplySiteResult {
  readonly diff: SiteDiff;
  readonly changeSet: ChangeSet;
  readonly pulumi: PulumiMode;
  /** Why Pulumi ran in full mode. */
  readonly fullReason?: string;
  /** Why Pulumi ran at all (empty when skipped). */
  readonly reasons: readonly string[];
  /** Health of each created or changed object. */
  readonly health: readonly ObjectHealth[];
  /** Milliseconds per phase. */
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * Applies a site's synthesized objects, doing only the work that is needed:
 *
 * 1. diff against the live cluster (server-side dry run; read-only); objects the server rejects
 *    stop everything before any write;
 * 2. nothing changed, no drift, nothing to prune, same stack settings: return — no Pulumi
 *    process, no write to the API server;
 * 3. otherwise take the site's lease (one writer) and record the run in it (write-ahead), then
 *    run Pulumi with only the changed objects and the prunes registered and targeted, with
 *    checkpoints written once per run instead of twice per resource (PULUMI_SKIP_CHECKPOINTS;
 *    the write-ahead record in the lease makes that safe: a killed run is recognised by the next
 *    one, which registers everything and prunes what the killed run created and Git dropped);
 * 4. wait for health per object (kstatus rules) and release the lease.
 */
export async function applySite(opts: ApplySiteOptions): Promise<ApplySiteResult> {
  const timings: Record<string, number> = {};
  const time = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await fn();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + (Date.now() - t);
    }
  };
  const desired = opts.objects.map((o) => asApplied(o as KubeObject & { metadata: Record<string, unknown> }) as KubeObject);
  const configHash = stackConfigHash(opts.workDir, opts.site);

  const { inventoryCm, pendingObjects } = await time('read', async () => {
    const [cm, lease] = await Promise.all([
      opts.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: FLUXOPS_NAMESPACE, name: inventoryName(opts.site) }),
      opts.kube.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: FLUXOPS_NAMESPACE, name: `site-${opts.site}` }),
    ]);
    const runObjects = (lease?.metadata.annotations as Record<string, string> | undefined)?.['fluxops.dev/run-objects'];
    return { inventoryCm: cm, pendingObjects: runObjects ? parseInventory(runObjects) : [] };
  });
  const inventory = parseInventory(((inventoryCm?.data as Record<string, string> | undefined)?.objects) ?? '');
  const owned = dedupe([...inventory, ...pendingObjects]);
  const diff = await time('diff', () => diffSite(opts.kube, desired, { owned, ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...(opts.pruneAll ? { pruneAll: true } : {}) }));
  rejectInvalid(diff);

  const changed = diff.objects.filter((o) => o.action === 'create' || o.action === 'update');
  // A difference for an object whose manifest Git did not change since the last apply is drift
  // (a manual edit): Pulumi's state already holds the right inputs, so it must re-read the live
  // object (a targeted refresh) to see what to take back.
  const recorded = new Map(inventory.map((i) => [idOf(i), i.hash]));
  const desiredHash = new Map(desired.map((d) => [idOf(d), manifestHash(d as KubeObject & { metadata: Record<string, unknown> })]));
  const drifted = changed.filter((o) => o.action === 'update' && recorded.get(idOf(o.ref)) !== undefined && recorded.get(idOf(o.ref)) === desiredHash.get(idOf(o.ref)));
  const prunes = diff.objects.filter((o) => o.action === 'prune');
  const reasons: string[] = [];
  if (changed.length > drifted.length) reasons.push(`${changed.length - drifted.length} object${changed.length - drifted.length === 1 ? '' : 's'} to create or update`);
  if (drifted.length > 0) reasons.push(`${drifted.length} object${drifted.length === 1 ? '' : 's'} drifted`);
  if (prunes.length > 0) reasons.push(`${prunes.length} to prune`);
  if (inventoryCm === undefined) reasons.push('no inventory yet');
  else if (!sameRefs(inventory, desired.map(refOf))) reasons.push('the inventory differs from Git');
  else if ((inventoryCm.metadata.annotations as Record<string, string> | undefined)?.[STACK_CONFIG_HASH] !== configHash) reasons.push('the stack settings changed');
  if (pendingObjects.length > 0) reasons.push('an earlier run did not finish');
  if (opts.full) reasons.push('a full run was asked for');
  if (opts.dryRun || reasons.length === 0) {
    return { diff, changeSet: changeSetOf(diff, new Map(), [], false), pulumi: 'skipped', reasons, health: [], timings };
  }

  let waited = false;
  const lease: SiteLease = await time('lease', () =>
    acquireSiteLease(opts.kube, {
      site: opts.site,
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...(opts.leaseWaitMs !== undefined ? { waitMs: opts.leaseWaitMs } : {}),
      onWait: (h) => {
        waited = true;
        opts.onLeaseWait?.(h.identity);
      },
    }),
  );
  if (waited) {
    // Another writer applied meanwhile: what is left to do is decided again, with the lease held.
    await lease.release({ completed: lease.interrupted === undefined }).catch(() => undefined);
    return applySite(opts);
  }
  let completed = false;
  try {
    const fullReason = opts.full
      ? 'asked for'
      : lease.interrupted
        ? `run ${lease.interrupted.runId} of ${lease.interrupted.holder} did not finish`
        : inventoryCm === undefined
          ? 'first apply of the site'
          : undefined;
    const mode: PulumiMode = fullReason ? 'full' : 'targeted';
    const runId = `${new Date().toISOString()}-${randomBytes(3).toString('hex')}`;
    // Write-ahead: everything this run may create, and everything it may still have to prune.
    await time('lease', () => lease.beginRun({ runId, ...(opts.commit ? { commit: opts.commit } : {}), objects: dedupe([...owned, ...desired.map(refOf), ...(lease.interrupted?.objects ?? [])]) }));

    // A lock that a killed `pulumi` left in a file backend is ours to clear; a live one is not.
    const project = projectName(opts.workDir);
    clearStaleStackLocks(opts.settings, project, opts.site);

    const urns = siteUrns(project, opts.site, opts.site);
    const settings: PulumiSettings = {
      ...opts.settings,
      extraEnv: {
        // One checkpoint per run instead of two per resource; the lease's run record covers a crash.
        PULUMI_SKIP_CHECKPOINTS: 'true',
        // The provider's client defaults (50 requests/s) throttle large sites for no reason.
        PULUMI_K8S_CLIENT_QPS: '500',
        PULUMI_K8S_CLIENT_BURST: '1000',
        ...opts.settings.extraEnv,
      },
    };
    const inventoryAnnotations: Record<string, string> = {};
    const stack = await time('pulumi', () =>
      openSiteStack({
        site: opts.site,
        settings,
        workDir: opts.workDir,
        program: siteProgram({
          site: opts.site,
          objects: opts.objects as unknown as StackObject[],
          ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
          ...(opts.context ? { context: opts.context } : {}),
          inventoryAnnotations,
        }),
      }),
    );
    // Selecting the stack may write its settings file (a new stack gets its encryption salt):
    // record the hash of the settings as the program will use them.
    inventoryAnnotations[STACK_CONFIG_HASH] = stackConfigHash(opts.workDir, opts.site);
    // In full mode the state may lack objects a killed run created: those Git dropped are pruned here.
    let knownToPulumi: Set<string> | undefined;
    if (mode === 'full') {
      const state = await time('pulumi', () => stack.exportStack());
      knownToPulumi = new Set(((state.deployment as { resources?: Array<{ urn: string }> }).resources ?? []).map((r) => r.urn));
    }
    const pulumiPrunes = prunes.filter((p) => (knownToPulumi ? knownToPulumi.has(urns.object(asObject(p.ref))) : inventory.some((i) => idOf(i) === idOf(p.ref))));
    const directPrunes = prunes.filter((p) => !pulumiPrunes.includes(p));
    const target =
      mode === 'full'
        ? undefined
        : [
            urns.component,
            urns.provider,
            urns.bookkeepingNamespace,
            urns.inventory,
            ...secretUrns(urns),
            ...changed.map((o) => urns.object(asObject(o.ref))),
            ...pulumiPrunes.map((o) => urns.object(asObject(o.ref))),
          ];
    lease.assertHeld();
    const outcomes = new Map<string, { action: ChangeAction; message: string }>();
    const run = await time('pulumi', () =>
      runStack(stack, 'up', {
        ...(target ? { target } : {}),
        ...(drifted.length > 0 && mode === 'targeted' ? { refresh: true } : {}),
        ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
        cluster: opts.kube.server,
      }),
    );
    for (const e of run.changeSet.entries) outcomes.set(e.id, { action: e.action, message: e.message });

    const deleted = await time('prune', () => pruneDirectly(opts.kube, directPrunes, opts.concurrency ?? 16));
    const health =
      opts.health === false
        ? []
        : await time('health', async () => [
            ...(await waitForHealth(opts.kube, changed.map((o) => o.ref), opts.health ? opts.health : {})),
            ...(await waitForDeletion(opts.kube, prunes.map((o) => o.ref), opts.health ? opts.health : {})),
          ]);
    completed = true;
    return { diff, changeSet: changeSetOf(diff, outcomes, health, true, deleted), pulumi: mode, ...(fullReason ? { fullReason } : {}), reasons, health, timings };
  } finally {
    await lease.release({ completed }).catch(() => undefined);
  }
}

/** Deletes prunes Pulumi does not know about (created by a run that was killed before its checkpoint). */
async function pruneDirectly(kube: KubeClient, prunes: readonly ObjectDiff[], concurrency: number): Promise<Set<string>> {
  const deleted = new Set<string>();
  // Reverse apply order, one object at a time within a kind class is not needed: the server handles dependents.
  await mapLimit(prunes, concurrency, async (p) => {
    await kube.delete(p.ref);
    deleted.add(p.id);
  });
  return deleted;
}

/** The change set: the diff's verdict for every object, Pulumi's outcome for what it touched, health for what changed. */
function changeSetOf(diff: SiteDiff, outcomes: Map<string, { action: ChangeAction; message: string }>, health: readonly ObjectHealth[], applied: boolean, deletedDirectly: Set<string> = new Set()): ChangeSet {
  const healthById = new Map(health.map((h) => [h.id, h]));
  const entries: ChangeSetEntry[] = [];
  for (const o of diff.objects) {
    if (o.action === 'orphan' || o.action === 'invalid') continue;
    const base = { id: o.id, apiVersion: o.ref.apiVersion, kind: o.ref.kind, ...(o.ref.namespace ? { namespace: o.ref.namespace } : {}), name: o.ref.name };
    const outcome = outcomes.get(o.id);
    const planned: ChangeAction = o.action === 'create' ? 'created' : o.action === 'update' ? 'configured' : o.action === 'prune' ? 'deleted' : 'unchanged';
    let action: ChangeAction = outcome?.action === 'failed' ? 'failed' : planned;
    let message = outcome?.action === 'failed' ? outcome.message : o.action === 'update' ? `${o.changes.length} field${o.changes.length === 1 ? '' : 's'} changed` : o.message && o.action === 'prune' ? o.message : '';
    if (o.action === 'prune' && deletedDirectly.has(o.id)) message = 'no longer in Git (left by an interrupted run)';
    const h = healthById.get(o.id);
    if (h && action !== 'failed') {
      if (h.status === 'failed') {
        action = 'failed';
        message = o.action === 'prune' ? `deletion did not finish: ${h.message}` : `applied, but not healthy: ${h.message}`;
      } else {
        message = message ? `${message}; ${h.message}` : h.message;
      }
    }
    entries.push({ ...base, action: applied || planned === 'unchanged' ? action : planned, message });
  }
  return { dryRun: !applied, entries };
}

/** sha256 of the site's stack settings file (Pulumi.<site>.yaml), or of nothing when there is none. */
export function stackConfigHash(workDir: string, site: string): string {
  let bytes = Buffer.alloc(0);
  try {
    bytes = fs.readFileSync(path.join(workDir, `Pulumi.${site}.yaml`));
  } catch {
    // no settings: the hash of nothing
  }
  return createHash('sha256').update(bytes).digest('hex');
}

function projectName(workDir: string): string {
  try {
    const text = fs.readFileSync(path.join(workDir, 'Pulumi.yaml'), 'utf8');
    const m = /^name:\s*["']?([^"'\s#]+)/m.exec(text);
    if (m) return m[1];
  } catch {
    // the workspace writes its own Pulumi.yaml with the default project
  }
  return DEFAULT_PROJECT;
}

/** Secrets come from the stack settings (known only inside the program): target them all by pattern. */
function secretUrns(urns: ReturnType<typeof siteUrns>): string[] {
  return [urns.secret('*', '*').replace('::*/*', '::*')];
}

function asObject(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
}

function dedupe(refs: readonly ObjectRef[]): ObjectRef[] {
  const seen = new Map<string, ObjectRef>();
  for (const r of refs) if (!seen.has(idOf(r))) seen.set(idOf(r), r);
  return [...seen.values()];
}

function sameRefs(a: readonly ObjectRef[], b: readonly ObjectRef[]): boolean {
  return a.length === b.length && a.every((r, i) => refId(r) === refId(b[i]) && r.apiVersion === b[i].apiVersion);
}

export { pulumiEnvironment };
