import { Construct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import { check, childPath, dnsSubdomainProblem } from './validation';

/** A Kubernetes object as plain data. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** Properties of {@link RawObjects}. */
export interface RawObjectsProps {
  /** The objects (CustomResourceDefinitions, RBAC, anything FluxOps has no construct for). */
  readonly objects: readonly KubeObject[];
}

/**
 * Objects passed through to every site as they are, for what FluxOps has no construct for.
 * They take part in apply ordering like any other object.
 */
export class RawObjects extends Construct {
  /** Whether `x` is a RawObjects (works across copies of this module). */
  static isRawObjects(x: unknown): x is RawObjects {
    return hasBrand(x, BRANDS.rawObjects);
  }

  /** Deep copies of the objects, frozen. */
  readonly objects: readonly KubeObject[];

  constructor(scope: Construct, id: string, props: RawObjectsProps) {
    const path = childPath(scope, id);
    props.objects.forEach((o, i) => {
      const f = `objects[${i}]`;
      check(path, `${f}.apiVersion`, o?.apiVersion, typeof o?.apiVersion === 'string' && /^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(o.apiVersion) ? undefined : 'must be an apiVersion like "v1" or "apps/v1"');
      check(path, `${f}.kind`, o?.kind, typeof o?.kind === 'string' && /^[A-Z][A-Za-z0-9]*$/.test(o.kind) ? undefined : 'must be a Kind like "ConfigMap"');
      check(path, `${f}.metadata.name`, o?.metadata?.name, dnsSubdomainProblem(o?.metadata?.name));
      if (o.metadata.namespace !== undefined) check(path, `${f}.metadata.namespace`, o.metadata.namespace, dnsSubdomainProblem(o.metadata.namespace));
      // Secret values in a config repository land in Git; they come from Pulumi config instead.
      if (o.kind === 'Secret' && o.apiVersion === 'v1') {
        for (const field of ['data', 'stringData'] as const) {
          if (o[field] !== undefined) {
            check(path, `${f}.${field}`, '(values not shown)', 'Secrets with values do not belong in a config repository; set them with `pulumi config set --secret --path fluxops:secrets.<namespace>/<name>.<key>`');
          }
        }
      }
    });
    super(scope, id);
    this.objects = props.objects.map((o) => deepFreeze(structuredClone(o)));
    setBrand(this, BRANDS.rawObjects);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
