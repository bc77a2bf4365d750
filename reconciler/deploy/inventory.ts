import type { KubeClient, KubeObject, ObjectRef } from '../cluster/kube-client';

/** Namespace of FluxOps' own bookkeeping objects in a site's cluster (inventory, lease, status). */
export const FLUXOPS_NAMESPACE = 'fluxops-system';

/** Name of a site's inventory ConfigMap. */
export function inventoryName(site: string): string {
  return `inventory-${site}`;
}

/**
 * The inventory: every object a site's stack applied, in apply order, as a ConfigMap in
 * {@link FLUXOPS_NAMESPACE}. The site stack manages it as a Pulumi resource (so `pulumi up` from
 * a laptop keeps it right too); `fluxops diff` and the reconciler read it to know what to prune
 * without starting Pulumi. One line per object: `apiVersion kind namespace name` (`-` for
 * cluster-scoped objects).
 */
export function inventoryObject(site: string, objects: readonly ObjectRef[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: inventoryName(site),
      namespace: FLUXOPS_NAMESPACE,
      labels: { 'app.kubernetes.io/managed-by': 'fluxops', 'app.kubernetes.io/component': 'inventory', 'fluxops.dev/site': site },
    },
    data: { objects: formatInventory(objects) },
  };
}

/** The inventory text of a list of objects. */
export function formatInventory(objects: readonly ObjectRef[]): string {
  return objects.map((o) => `${o.apiVersion} ${o.kind} ${o.namespace ?? '-'} ${o.name}`).join('\n') + (objects.length > 0 ? '\n' : '');
}

/** An inventory line: the object, and the hash of the manifest last applied (when recorded). */
export type InventoryEntry = ObjectRef & { readonly hash?: string };

/** Parses inventory text; lines that do not have four or five fields are ignored (never guessed at). */
export function parseInventory(text: string): InventoryEntry[] {
  const out: InventoryEntry[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 4 && parts.length !== 5) continue;
    const [apiVersion, kind, ns, name, hash] = parts;
    out.push({ apiVersion, kind, name, ...(ns !== '-' ? { namespace: ns } : {}), ...(hash ? { hash } : {}) });
  }
  return out;
}

/** The objects a site owns according to its inventory in the cluster (none when it has none yet). */
export async function readInventory(kube: KubeClient, site: string): Promise<ObjectRef[]> {
  const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: FLUXOPS_NAMESPACE, name: inventoryName(site) });
  const text = (cm?.data as Record<string, string> | undefined)?.objects;
  return text ? parseInventory(text) : [];
}
