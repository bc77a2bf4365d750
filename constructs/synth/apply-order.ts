import { compareCodePoints } from '../compare-code-points';

/**
 * The order objects are applied in, after the idea of Flux's ssa apply-order table:
 * definitions and namespaces first, then identities and RBAC, configuration, networking,
 * workloads, routing, and finally custom resources (Flux's own kinds in dependency order).
 * Kinds not listed come last, alphabetically. Deletion uses the reverse order.
 */
export const KIND_APPLY_ORDER: readonly string[] = [
  'CustomResourceDefinition',
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'NetworkPolicy',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'Service',
  'DaemonSet',
  'Deployment',
  'StatefulSet',
  'Job',
  'CronJob',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'IngressClass',
  'Ingress',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'GitRepository',
  'Kustomization',
  'ImageRepository',
  'ImagePolicy',
  'ImageUpdateAutomation',
  'Provider',
  'Alert',
];

const RANK = new Map(KIND_APPLY_ORDER.map((k, i) => [k, i]));

/** Position of a kind in {@link KIND_APPLY_ORDER}; unknown kinds share the last rank. */
export function applyOrderRank(kind: string): number {
  return RANK.get(kind) ?? KIND_APPLY_ORDER.length;
}

/** What the apply order looks at. */
export interface ApplyOrderKey {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** Total order: kind rank, then kind, namespace (cluster-scoped first), name, apiVersion. */
export function compareApplyOrder(a: ApplyOrderKey, b: ApplyOrderKey): number {
  return (
    applyOrderRank(a.kind) - applyOrderRank(b.kind) ||
    compareCodePoints(a.kind, b.kind) ||
    compareCodePoints(a.namespace ?? '', b.namespace ?? '') ||
    compareCodePoints(a.name, b.name) ||
    compareCodePoints(a.apiVersion, b.apiVersion)
  );
}
