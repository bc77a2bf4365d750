import * as fs from 'node:fs';
import * as path from 'node:path';

import type { KubeClient } from '../../reconciler/cluster/kube-client';
import { FLUXOPS_NAMESPACE } from '../../reconciler/deploy/inventory';
import { leaseName } from '../../reconciler/deploy/site-lease';
import type { PulumiSettings } from '../../stacks/pulumi-env';

/**
 * Support for the fault suite (test/faults): a fleet whose apply takes long enough to be caught
 * in the middle (a web app plus `bulk` ConfigMaps), and the probes that tell whether anything
 * was lost after a fault (objects, inventory, lease run record, Pulumi stack locks).
 */

/** Names of the bulk ConfigMaps `[from, to)`. */
export function bulkNames(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `bulk-${String(from + i).padStart(3, '0')}`);
}

/** fleet.ts of one site in `ns`: a web app (at `replicas`) and the bulk ConfigMaps `bulk`. */
export function faultFleet(site: string, ns: string, k: { bulk: readonly string[]; replicas?: number; marker?: string }): string {
  const objects = k.bulk.map((name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { value: k.marker ?? 'x' } }));
  return `
import { EdgeApp, RawObjects, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'faults', namespace: '${ns}' }, (fleet) => {
  const web = new EdgeApp(fleet, 'web', { replicas: ${k.replicas ?? 1}, containers: [{ image: { ref: 'registry.local/faults/web:1.0.0' }, ports: [{ name: 'http', port: 8080 }] }] });
  new RawObjects(fleet, 'bulk', { objects: ${JSON.stringify(objects)} });
  new Site(fleet, '${site}', { apps: [web] });
});
`;
}

/** Polls `probe` until it gives a value; the error names what was awaited and shows `context()`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, opts: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last probe error: ${(lastError as Error).message})` : ''}${opts.context ? `\n${opts.context()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** Names of the bulk ConfigMaps that exist in `ns`, sorted. */
export async function liveBulk(kube: KubeClient, ns: string): Promise<string[]> {
  return (await kube.list('v1', 'ConfigMap', { namespace: ns })).map((c) => c.metadata.name).filter((n) => n.startsWith('bulk-')).sort();
}

/** The site lease's write-ahead run record (`fluxops.dev/run`), if a run is recorded as unfinished. */
export async function pendingRun(kube: KubeClient, site: string): Promise<string | undefined> {
  const lease = await kube.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: FLUXOPS_NAMESPACE, name: leaseName(site) });
  return (lease?.metadata.annotations as Record<string, string> | undefined)?.['fluxops.dev/run'];
}

/** Lock files Pulumi's file backend holds for the site's stack (left behind by a killed `pulumi`). */
export function stackLocks(settings: PulumiSettings, site: string, project = 'fluxops'): string[] {
  const dir = path.join(settings.backendUrl.slice('file://'.length), '.pulumi', 'locks', 'organization', project, site);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
}

/** GET a JSON document (the reconciler's `/status`). */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}
