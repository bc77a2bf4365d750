import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

import { asApplied, manifestHash } from './applied-object';

/** A Kubernetes object as synthesized by the constructs (plain JSON, no secrets). */
export type KubeObject = Readonly<Record<string, unknown>> & {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Readonly<Record<string, unknown>>;
};

/** Values of one Kubernetes Secret, taken from Pulumi secrets in the stack configuration. */
export interface SiteSecret {
  readonly name: string;
  readonly namespace: string;
  /** Key -> value; values stay Pulumi secrets end to end. */
  readonly data: Readonly<Record<string, pulumi.Input<string>>>;
}

/** Namespace of FluxOps' bookkeeping in a site's cluster (inventory, lease, status). */
export const BOOKKEEPING_NAMESPACE = 'fluxops-system';

/** Kinds applied first, and kept when they leave Git (deleting one deletes what others own). */
const FOUNDATION_KINDS = new Set(['CustomResourceDefinition', 'Namespace']);

/** Inputs of {@link SiteStack}. */
export interface SiteStackArgs {
  /** The site (names the inventory). */
  readonly site: string;
  /** Every synthesized object of the site, in apply order (CRDs and namespaces first). */
  readonly objects: readonly KubeObject[];
  /** Secrets to create next to the objects (from Pulumi secrets; never in Git or YAML). */
  readonly secrets?: readonly SiteSecret[];
  /** Kubeconfig contents or path. @default the ambient KUBECONFIG / ~/.kube/config */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Kubeconfig context. @default current context */
  readonly context?: string;
  /** Annotations of the inventory (for example the hash of the stack settings it was applied with). */
  readonly inventoryAnnotations?: Readonly<Record<string, string>>;
}

/** Group/Kind/namespace/name of an object: its identity across API versions. */
export function objectKey(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** The Pulumi type token of a Kubernetes kind (`kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:ConfigMap`). */
export function typeToken(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes('/') ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** The Pulumi resource name of an object within the stack: `namespace/name`, or `name` when cluster-scoped. */
export function resourceName(o: { metadata: { name: string; namespace?: string } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

/** URNs of a site stack's resources, computed without asking Pulumi (for `--target`). */
export function siteUrns(project: string, stack: string, site: string) {
  const component = `urn:pulumi:${stack}::${project}::fluxops:stacks:SiteStack::${site}`;
  const child = (type: string, name: string) => `urn:pulumi:${stack}::${project}::fluxops:stacks:SiteStack$${type}::${name}`;
  return {
    component,
    provider: child('pulumi:providers:kubernetes', `${site}-cluster`),
    bookkeepingNamespace: child('kubernetes:core/v1:Namespace', BOOKKEEPING_NAMESPACE),
    inventory: child('kubernetes:core/v1:ConfigMap', `${BOOKKEEPING_NAMESPACE}/inventory-${site}`),
    object: (o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) => child(typeToken(o.apiVersion, o.kind), resourceName(o)),
    secret: (namespace: string, name: string) => child('kubernetes:core/v1:Secret', `${namespace}/${name}`),
  };
}

/** A Kubernetes object of any kind as one Pulumi resource of the Kubernetes provider. */
class KubeResource extends pulumi.CustomResource {
  constructor(obj: KubeObject, opts: pulumi.CustomResourceOptions) {
    super(typeToken(obj.apiVersion, obj.kind), resourceName(obj), asApplied(obj as KubeObject & { metadata: Record<string, unknown> }) as unknown as pulumi.Inputs, opts);
  }
}

/**
 * Deploys one edge site: each synthesized object as its own Pulumi resource, applied server-side
 * in three tiers (CRDs and Namespaces, then Secrets, then everything else), plus the site's
 * secrets and its inventory (the list of what it applied, read by `fluxops diff` and the
 * reconciler to know what to prune without starting Pulumi). Pulumi owns exactly these objects:
 * removing one from `objects` deletes it on the next update (Namespaces and CRDs are kept), and
 * `destroy` touches nothing else.
 *
 * Awaiting readiness is left to FluxOps (per object, with a reason), so Pulumi never blocks on it.
 */
export class SiteStack extends pulumi.ComponentResource {
  /** Number of objects this stack manages. */
  readonly objectCount: pulumi.Output<number>;

  constructor(name: string, args: SiteStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('fluxops:stacks:SiteStack', name, {}, opts);
    const provider = new k8s.Provider(
      `${name}-cluster`,
      {
        // Kubeconfig contents hold credentials: a secret in the state whatever the caller passed.
        kubeconfig: args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig),
        context: args.context,
        // Server-side apply: fields that controllers own after creation (status, replicas
        // under an autoscaler) are not ours and never show up as diffs.
        enableServerSideApply: true,
        // A changed ConfigMap or Secret is updated in place, as kubectl and Flux do, instead of
        // replaced (a replacement under the same name would create it and then delete it).
        enableConfigMapMutable: true,
        enableSecretMutable: true,
        deleteUnreachable: false,
      },
      { parent: this },
    );
    const base: pulumi.CustomResourceOptions = { parent: this, provider };
    // Earlier FluxOps versions applied objects through two ConfigGroups; the aliases move them
    // here without deleting and recreating anything.
    const legacyParents = [`${name}`, `${name}-crds`].map((g) => pulumi.interpolate`${this.urn}$kubernetes:yaml/v2:ConfigGroup::${g}`);
    const aliases = legacyParents.map((parent) => ({ parent }));

    const bookkeeping = new k8s.core.v1.Namespace(
      BOOKKEEPING_NAMESPACE,
      { metadata: { name: BOOKKEEPING_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'fluxops' }, annotations: { 'pulumi.com/patchForce': 'true' } } },
      { ...base, retainOnDelete: true },
    );
    const foundation = args.objects
      .filter((o) => FOUNDATION_KINDS.has(o.kind))
      .map((o) => new KubeResource(o, { ...base, retainOnDelete: true, aliases: o.kind === 'Namespace' ? [] : aliases }));
    const secrets = (args.secrets ?? []).map(
      (s) =>
        new k8s.core.v1.Secret(
          `${s.namespace}/${s.name}`,
          {
            metadata: { name: s.name, namespace: s.namespace, labels: { 'app.kubernetes.io/managed-by': 'fluxops' }, annotations: { 'pulumi.com/patchForce': 'true' } },
            // Secret outputs: encrypted in the state whatever the caller passed in.
            stringData: pulumi.secret(s.data),
          },
          { ...base, dependsOn: foundation },
        ),
    );
    const rest = args.objects.filter((o) => !FOUNDATION_KINDS.has(o.kind)).map((o) => new KubeResource(o, { ...base, dependsOn: [...foundation, ...secrets], aliases }));
    new KubeResource(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `inventory-${args.site}`,
          namespace: BOOKKEEPING_NAMESPACE,
          labels: { 'app.kubernetes.io/managed-by': 'fluxops', 'app.kubernetes.io/component': 'inventory', 'fluxops.dev/site': args.site },
          annotations: { ...args.inventoryAnnotations },
        },
        // One line per object: apiVersion kind namespace name hash-of-the-applied-manifest.
        data: { objects: args.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? '-'} ${o.metadata.name} ${manifestHash(o as KubeObject & { metadata: Record<string, unknown> })}\n`).join('') },
      },
      // Written after the objects: an inventory never lists an object that was not applied.
      { ...base, dependsOn: [bookkeeping, ...foundation, ...secrets, ...rest] },
    );
    this.objectCount = pulumi.output(args.objects.length + secrets.length);
    this.registerOutputs({ objectCount: this.objectCount });
  }
}
