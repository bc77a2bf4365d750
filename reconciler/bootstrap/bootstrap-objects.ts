import { EdgeApp, Fleet, RawObjects, synthesize, type KubeObject } from '../../constructs';
import { BOOKKEEPING_NAMESPACE } from '../../stacks/site-stack';

/** One RBAC rule (`rbac.authorization.k8s.io/v1` PolicyRule). */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** Options of {@link bootstrapObjects}. */
export interface BootstrapOptions {
  readonly site: string;
  /** The reconciler image (multi-arch; see `npm run image`). */
  readonly image: string;
  readonly repo: string;
  readonly branch: string;
  /** Directory of fleet.ts inside the repository. */
  readonly path: string;
  readonly interval: string;
  readonly driftInterval: string;
  /** Rules for the kinds the site manages (see {@link managedRules}). */
  readonly managed: readonly PolicyRule[];
  /** Credentials the reconciler reads from its Secret (file names under /var/run/secrets/fluxops). */
  readonly credentials: { readonly gitToken: boolean; readonly webhook?: { readonly provider: string } };
  /** @default ['arm64'] */
  readonly architectures?: readonly ('arm64' | 'amd64')[];
  /** Size of the state volume (Pulumi state, Git cache). @default '1Gi' */
  readonly stateSize?: string;
}

/** Names of the reconciler's objects. */
export const RECONCILER = {
  name: 'fluxops-reconciler',
  credentials: 'fluxops-reconciler-credentials',
  state: 'fluxops-state',
  port: 9797,
  secretsDir: '/var/run/secrets/fluxops',
  stateDir: '/var/lib/fluxops',
} as const;

/**
 * The reconciler's in-cluster objects, synthesized by FluxOps' own constructs: its namespace,
 * ServiceAccount, least-privilege RBAC (what the site manages, its Lease, status and Events in
 * `fluxops-system`), a state volume, and a single-replica Deployment placed on arm64 nodes that
 * runs `fluxops reconcile`. Credentials are not here: they live in a Secret created apart, from
 * files, never in Git.
 */
export function bootstrapObjects(opts: BootstrapOptions): Array<{ kind: string; name: string; namespace?: string; manifest: Record<string, unknown>; yaml: string }> {
  const fleet = new Fleet({ name: 'fluxops', namespace: BOOKKEEPING_NAMESPACE });
  const ns = BOOKKEEPING_NAMESPACE;
  const labels = { 'app.kubernetes.io/name': RECONCILER.name, 'app.kubernetes.io/part-of': 'fluxops', 'fluxops.dev/site': opts.site };
  const roleName = `${RECONCILER.name}-${opts.site}`;
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: RECONCILER.name, namespace: ns, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName, labels },
      rules: [
        ...opts.managed.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
        // Health: a workload's pods say why it is not ready (image pull back-off, crash loop).
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: RECONCILER.name, namespace: ns }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: RECONCILER.name, namespace: ns, labels },
      rules: [
        // Its lease (one writer per site), status and inventory, and the events of its runs.
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: RECONCILER.name, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: RECONCILER.name },
      subjects: [{ kind: 'ServiceAccount', name: RECONCILER.name, namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: RECONCILER.state, namespace: ns, labels },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: opts.stateSize ?? '1Gi' } } },
    },
  ];
  new RawObjects(fleet, 'reconciler-access', { objects });
  const secretFile = (name: string) => `${RECONCILER.secretsDir}/${name}`;
  const args = [
    'reconcile',
    '--site', opts.site,
    '--repo', opts.repo,
    '--branch', opts.branch,
    '--path', opts.path,
    '--interval', opts.interval,
    '--drift-interval', opts.driftInterval,
    '--listen', `0.0.0.0:${RECONCILER.port}`,
    '--state-dir', RECONCILER.stateDir,
    ...(opts.credentials.gitToken ? ['--git-token-file', secretFile('git-token')] : []),
    ...(opts.credentials.webhook ? ['--webhook-provider', opts.credentials.webhook.provider, '--webhook-secret-file', secretFile('webhook-secret')] : []),
  ];
  new EdgeApp(fleet, 'reconciler', {
    name: RECONCILER.name,
    serviceAccount: RECONCILER.name,
    // One writer per site, and a ReadWriteOnce state volume: never two pods at once.
    replicas: 1,
    strategy: 'Recreate',
    architectures: opts.architectures ?? ['arm64'],
    containers: [
      {
        name: 'reconciler',
        image: { ref: opts.image },
        args,
        env: {
          PULUMI_CONFIG_PASSPHRASE_FILE: secretFile('pulumi-passphrase'),
          FLUXOPS_STATE_DIR: RECONCILER.stateDir,
          XDG_STATE_HOME: RECONCILER.stateDir,
          HOME: RECONCILER.stateDir,
        },
        ports: [{ name: 'http', port: RECONCILER.port }],
        readiness: { kind: 'http', path: '/readyz', port: 'http' },
        liveness: { kind: 'http', path: '/healthz', port: 'http', initialDelaySeconds: 20 },
        resources: { cpu: { request: '100m', limit: '1000m' }, memory: { request: '192Mi', limit: '768Mi' } },
        mounts: [
          { volume: 'state', path: RECONCILER.stateDir },
          { volume: 'credentials', path: RECONCILER.secretsDir, readOnly: true },
        ],
      },
    ],
    volumes: [
      { kind: 'persistentVolumeClaim', name: 'state', claimName: RECONCILER.state },
      { kind: 'secret', name: 'credentials', secret: RECONCILER.credentials },
    ],
  });
  const result = synthesize(fleet);
  return result.objects.map((o) => ({ kind: o.kind, name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), manifest: o.manifest as Record<string, unknown>, yaml: o.yaml }));
}
