import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

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

const FOUNDATION_KINDS = new Set(['CustomResourceDefinition', 'Namespace']);

/**
 * The object as the stack applies it: the stack is the owner of record, so a field someone
 * changed by hand (kubectl edit) is taken back on the next update instead of failing with a
 * server-side apply conflict, as Flux's kustomize-controller does.
 */
function owned(o: KubeObject): Record<string, unknown> {
  const annotations = { ...(o.metadata.annotations as Record<string, string> | undefined), 'pulumi.com/patchForce': 'true' };
  return { ...o, metadata: { ...o.metadata, annotations } };
}

/** Inputs of {@link SiteStack}. */
export interface SiteStackArgs {
  /** Synthesized objects of the site, in apply order (CRDs and namespaces first). */
  readonly objects: readonly KubeObject[];
  /** Secrets to create next to the objects (from Pulumi secrets; never in Git or YAML). */
  readonly secrets?: readonly SiteSecret[];
  /** Kubeconfig contents or path. @default the ambient KUBECONFIG / ~/.kube/config */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Kubeconfig context. @default current context */
  readonly context?: string;
  /**
   * Do not wait for workloads to become ready (Pulumi's await logic).
   * @default false
   */
  readonly skipAwait?: boolean;
}

/**
 * Deploys one edge site: the synthesized manifests, applied server-side in dependency order,
 * plus the site's secrets. Pulumi owns exactly these objects: removing one from `objects`
 * deletes it on the next update, and `destroy` touches nothing else.
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
        deleteUnreachable: false,
      },
      { parent: this },
    );
    // Three steps, each waiting for the one before: CRDs and namespaces, then secrets (pods can
    // mount them from the start), then everything else. Within a group the provider orders objects.
    const crds = new k8s.yaml.v2.ConfigGroup(
      `${name}-crds`,
      { objs: args.objects.filter((o) => o.kind === 'CustomResourceDefinition').map(owned), skipAwait: args.skipAwait ?? false },
      { parent: this, provider },
    );
    // Namespaces are kept on destroy: deleting one would delete objects in it that this stack does
    // not own. Everything the stack created inside them is deleted.
    const namespaces = args.objects
      .filter((o) => o.kind === 'Namespace')
      .map((o) => {
        const ns = owned(o) as { metadata: k8s.types.input.meta.v1.ObjectMeta; spec?: k8s.types.input.core.v1.NamespaceSpec };
        return new k8s.core.v1.Namespace(o.metadata.name, { metadata: ns.metadata, spec: ns.spec }, { parent: this, provider, retainOnDelete: true });
      });
    const foundation = [crds, ...namespaces];
    const secrets = (args.secrets ?? []).map(
      (s) =>
        new k8s.core.v1.Secret(
          `${s.namespace}/${s.name}`,
          {
            metadata: { name: s.name, namespace: s.namespace, labels: { 'app.kubernetes.io/managed-by': 'fluxops' } },
            // Secret outputs: encrypted in the state whatever the caller passed in.
            stringData: pulumi.secret(s.data),
          },
          { parent: this, provider, dependsOn: foundation },
        ),
    );
    new k8s.yaml.v2.ConfigGroup(
      `${name}`,
      { objs: args.objects.filter((o) => !FOUNDATION_KINDS.has(o.kind)).map(owned), skipAwait: args.skipAwait ?? false },
      { parent: this, provider, dependsOn: [...foundation, ...secrets] },
    );
    this.objectCount = pulumi.output(args.objects.length + secrets.length);
    this.registerOutputs({ objectCount: this.objectCount });
  }
}
