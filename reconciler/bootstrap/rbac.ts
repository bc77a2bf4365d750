import type { KubeClient } from '../cluster/kube-client';
import type { PolicyRule } from './bootstrap-objects';

/** Verbs the reconciler needs on every kind a site manages (diff, apply, prune). */
const MANAGE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;

/**
 * The RBAC rules for what a site manages: every group/resource of its synthesized objects, with
 * the verbs that diffing, applying and pruning take; Namespaces without delete (they are kept);
 * Secrets when the site has any (from its stack settings); `bind` and `escalate` for Roles when
 * the site manages RBAC (Kubernetes refuses to let an account grant what it does not hold).
 * Resource names come from the cluster's API discovery, or from a CRD of the same site.
 */
export async function managedRules(kube: KubeClient, objects: ReadonlyArray<{ apiVersion: string; kind: string; manifest?: Record<string, unknown> }>, opts: { secrets?: boolean } = {}): Promise<PolicyRule[]> {
  const crdPlurals = new Map<string, string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || !o.manifest) continue;
    const spec = o.manifest.spec as { group?: string; names?: { kind?: string; plural?: string } } | undefined;
    if (spec?.group && spec.names?.kind && spec.names.plural) crdPlurals.set(`${spec.group}/${spec.names.kind}`, spec.names.plural);
  }
  const byGroup = new Map<string, Set<string>>();
  const add = (group: string, resource: string) => byGroup.set(group, (byGroup.get(group) ?? new Set()).add(resource));
  for (const o of objects) {
    const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
    const fromCrd = crdPlurals.get(`${group}/${o.kind}`);
    add(group, fromCrd ?? (await kube.resourceFor(o.apiVersion, o.kind)).plural);
  }
  if (opts.secrets) add('', 'secrets');
  const rules: PolicyRule[] = [];
  for (const [group, resources] of [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const namespaces = group === '' && resources.delete('namespaces');
    if (resources.size > 0) rules.push({ apiGroups: [group], resources: [...resources].sort(), verbs: [...MANAGE] });
    if (namespaces) rules.push({ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] });
    if (group === 'rbac.authorization.k8s.io') rules.push({ apiGroups: [group], resources: ['roles', 'clusterroles'], verbs: ['bind', 'escalate'] });
  }
  // Its own bookkeeping namespace is part of every site stack.
  if (!rules.some((r) => r.resources.includes('namespaces'))) rules.push({ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] });
  return rules;
}
