import { Protocol, ResolvedContainer } from './container-spec';
import { optional } from './optional';
import { check, containerPathProblem, dnsSubdomainProblem, hostProblem, nodePortProblem, portProblem } from './validation';

/** One port of the app's Service. */
export interface ServicePortSpec {
  /** Port the Service listens on. */
  readonly port: number;
  /** Container port name (or number) traffic goes to. */
  readonly targetPort: string | number;
  /** Port name. @default the target port's name */
  readonly name?: string;
  /** Only with `type: 'NodePort'` or `'LoadBalancer'`. */
  readonly nodePort?: never;
}

/** A Service port that is also opened on every node. */
export interface NodeServicePortSpec extends Omit<ServicePortSpec, 'nodePort'> {
  /** Node port (30000-32767). @default assigned by the cluster */
  readonly nodePort?: number;
}

/** In-cluster Service (the default). */
export interface ClusterIpServiceSpec {
  /** Discriminant. @default 'ClusterIP' */
  readonly type?: 'ClusterIP';
  /** Ports. @default every container port, same number and name */
  readonly ports?: readonly ServicePortSpec[];
}

/** Service reachable on every node's address (plant-floor devices without DNS). */
export interface NodePortServiceSpec {
  /** Discriminant. */
  readonly type: 'NodePort';
  /** Ports. @default every container port, same number and name */
  readonly ports?: readonly NodeServicePortSpec[];
}

/** Service exposed through k3s's ServiceLB (klipper-lb). */
export interface LoadBalancerServiceSpec {
  /** Discriminant. */
  readonly type: 'LoadBalancer';
  /** Ports. @default every container port, same number and name */
  readonly ports?: readonly NodeServicePortSpec[];
}

/** The app's Service. */
export type ServiceSpec = ClusterIpServiceSpec | NodePortServiceSpec | LoadBalancerServiceSpec;

/** HTTP routing from outside the cluster, through k3s's Traefik by default. */
export interface IngressSpec {
  /** Host name, e.g. `dashboard.factory-a.example.com` (a leading `*.` is allowed). */
  readonly host: string;
  /** Path prefix. @default '/' */
  readonly path?: string;
  /** How `path` matches. @default 'Prefix' */
  readonly pathType?: 'Prefix' | 'Exact';
  /** Service port name to route to. @default the first TCP service port */
  readonly port?: string;
  /** Ingress class. @default 'traefik' (bundled with k3s) */
  readonly className?: string;
  /** Terminate TLS with this Secret. @default plain HTTP */
  readonly tls?: { readonly secretName: string };
}

/** A Service port with every default applied. */
export interface ResolvedServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly protocol: Protocol;
  readonly nodePort?: number;
}

/** The Service with every default applied. */
export interface ResolvedService {
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  readonly ports: readonly ResolvedServicePort[];
}

/** The Ingress with every default applied. */
export interface ResolvedIngress {
  readonly host: string;
  readonly path: string;
  readonly pathType: 'Prefix' | 'Exact';
  readonly servicePort: ResolvedServicePort;
  readonly className: string;
  readonly tlsSecretName?: string;
}

/** Validates and defaults the Service; `undefined` when the app has none. */
export function resolveService(
  path: string,
  spec: ServiceSpec | false | undefined,
  containers: readonly ResolvedContainer[],
): ResolvedService | undefined {
  if (spec === false) return undefined;
  const containerPorts = containers.flatMap((c) => c.ports);
  if (spec === undefined && containerPorts.length === 0) return undefined;
  const type = spec?.type ?? 'ClusterIP';
  check(path, 'service.type', type, ['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type) ? undefined : 'must be ClusterIP, NodePort or LoadBalancer');
  const given: readonly NodeServicePortSpec[] | undefined = spec?.ports;
  check(path, 'service.ports', given ?? containerPorts, (given ?? containerPorts).length === 0 ? 'must not be empty (no container declares a port)' : undefined);
  const ports: ResolvedServicePort[] = given
    ? given.map((p, i) => {
        const f = `service.ports[${i}]`;
        check(path, `${f}.port`, p.port, portProblem(p.port));
        const target =
          typeof p.targetPort === 'number'
            ? containerPorts.find((c) => c.port === p.targetPort)
            : containerPorts.find((c) => c.name === p.targetPort);
        check(path, `${f}.targetPort`, p.targetPort, target ? undefined : `is not a container port (${containerPorts.map((c) => c.name).join(', ') || 'none'})`);
        if (p.nodePort !== undefined) {
          check(path, `${f}.nodePort`, p.nodePort, type === 'ClusterIP' ? 'requires type NodePort or LoadBalancer' : nodePortProblem(p.nodePort));
        }
        const t = target as ResolvedContainer['ports'][number];
        return { name: p.name ?? t.name, port: p.port, targetPort: t.port, protocol: t.protocol, ...optional('nodePort', p.nodePort) };
      })
    : containerPorts.map((c) => ({ name: c.name, port: c.port, targetPort: c.port, protocol: c.protocol }));
  ports.forEach((p, i) => {
    check(path, `service.ports[${i}].name`, p.name, ports.findIndex((q) => q.name === p.name) !== i ? 'is used by another service port' : undefined);
    check(path, `service.ports[${i}].port`, p.port, ports.findIndex((q) => q.port === p.port && q.protocol === p.protocol) !== i ? 'is used by another service port' : undefined);
  });
  return { type, ports };
}

/** Validates and defaults the Ingress; `undefined` when the app has none. */
export function resolveIngress(path: string, spec: IngressSpec | undefined, service: ResolvedService | undefined): ResolvedIngress | undefined {
  if (spec === undefined) return undefined;
  check(path, 'ingress', spec, service === undefined ? 'requires a Service; declare container ports or a service' : undefined);
  check(path, 'ingress.host', spec.host, hostProblem(spec.host));
  const routePath = spec.path ?? '/';
  check(path, 'ingress.path', routePath, containerPathProblem(routePath));
  const pathType = spec.pathType ?? 'Prefix';
  check(path, 'ingress.pathType', pathType, pathType === 'Prefix' || pathType === 'Exact' ? undefined : 'must be Prefix or Exact');
  const tcp = (service as ResolvedService).ports.filter((p) => p.protocol === 'TCP');
  const servicePort = spec.port === undefined ? tcp[0] : tcp.find((p) => p.name === spec.port);
  check(path, 'ingress.port', spec.port, servicePort ? undefined : `is not a TCP service port (${tcp.map((p) => p.name).join(', ') || 'none'})`);
  const className = spec.className ?? 'traefik';
  check(path, 'ingress.className', className, dnsSubdomainProblem(className));
  if (spec.tls !== undefined) check(path, 'ingress.tls.secretName', spec.tls.secretName, dnsSubdomainProblem(spec.tls.secretName));
  return {
    host: spec.host,
    path: routePath,
    pathType,
    servicePort: servicePort as ResolvedServicePort,
    className,
    ...optional('tlsSecretName', spec.tls?.secretName),
  };
}
