import { ImageSource, NormalizedImageSource, normalizeImageSource } from './image-source';
import { optional } from './optional';
import {
  CpuQuantity,
  MemoryQuantity,
  check,
  containerPathProblem,
  cpuMillis,
  cpuProblem,
  dnsLabelProblem,
  dnsSubdomainProblem,
  envVarNameProblem,
  memoryBytes,
  memoryProblem,
  nonNegativeIntegerProblem,
  portProblem,
  positiveIntegerProblem,
} from './validation';

/** Transport protocol of a port. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A port a container listens on. */
export interface ContainerPortSpec {
  /** Port name (IANA_SVC_NAME: at most 15 lower-case alphanumerics and `-`), referenced by probes and the Service. */
  readonly name: string;
  /** Port number. */
  readonly port: number;
  /**
   * Protocol.
   * @default 'TCP'
   */
  readonly protocol?: Protocol;
}

/** An environment value read from a key of a ConfigMap. */
export interface ConfigMapKeyRef {
  /** ConfigMap name. */
  readonly configMap: string;
  /** Key in the ConfigMap. */
  readonly key: string;
  /**
   * Start the container even if the ConfigMap or key is missing.
   * @default false
   */
  readonly optional?: boolean;
  /** Not allowed together with `configMap`. */
  readonly secret?: never;
  /** Not allowed together with `configMap`. */
  readonly field?: never;
}

/** An environment value read from a key of a Secret. */
export interface SecretKeyRef {
  /** Secret name. */
  readonly secret: string;
  /** Key in the Secret. */
  readonly key: string;
  /**
   * Start the container even if the Secret or key is missing.
   * @default false
   */
  readonly optional?: boolean;
  /** Not allowed together with `secret`. */
  readonly configMap?: never;
  /** Not allowed together with `secret`. */
  readonly field?: never;
}

/** Pod fields the downward API exposes as environment variables. */
export type PodFieldPath =
  | 'metadata.name'
  | 'metadata.namespace'
  | 'metadata.uid'
  | 'spec.nodeName'
  | 'spec.serviceAccountName'
  | 'status.hostIP'
  | 'status.podIP';

/** An environment value taken from the pod itself (downward API). */
export interface FieldRef {
  /** Field path. */
  readonly field: PodFieldPath;
  /** Not allowed together with `field`. */
  readonly configMap?: never;
  /** Not allowed together with `field`. */
  readonly secret?: never;
}

/** A literal value, or a reference to a ConfigMap key, Secret key or pod field. */
export type EnvValueSpec = string | ConfigMapKeyRef | SecretKeyRef | FieldRef;

/** Import every key of a ConfigMap or Secret as environment variables. */
export type EnvFromSpec =
  | { readonly configMap: string; readonly prefix?: string; readonly secret?: never }
  | { readonly secret: string; readonly prefix?: string; readonly configMap?: never };

/** Probe timing; unset fields use the Kubernetes defaults. */
export interface ProbeTiming {
  /** @default 0 */
  readonly initialDelaySeconds?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 1 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
  /** Must be 1 for liveness and startup probes. @default 1 */
  readonly successThreshold?: number;
}

/** A port given by container port name or number. */
export type PortRef = string | number;

/** A readiness, liveness or startup probe. */
export type ProbeSpec = ProbeTiming &
  (
    | { readonly kind: 'http'; readonly path: string; readonly port: PortRef; readonly scheme?: 'HTTP' | 'HTTPS' }
    | { readonly kind: 'tcp'; readonly port: PortRef }
    | { readonly kind: 'exec'; readonly command: readonly [string, ...string[]] }
    | { readonly kind: 'grpc'; readonly port: PortRef; readonly service?: string }
  );

/** CPU and memory requests and limits. */
export interface ResourceSpec {
  /** CPU request/limit. @default { request: '50m', limit: '500m' } */
  readonly cpu?: { readonly request?: CpuQuantity; readonly limit?: CpuQuantity };
  /** Memory request/limit. @default { request: '64Mi', limit: '128Mi' } */
  readonly memory?: { readonly request?: MemoryQuantity; readonly limit?: MemoryQuantity };
}

/** Conservative defaults sized for single-board arm64 nodes. */
export const DEFAULT_RESOURCES = {
  cpu: { request: '50m', limit: '500m' },
  memory: { request: '64Mi', limit: '128Mi' },
} as const satisfies ResourceSpec;

/** Mounts a volume declared on the app into a container. */
export interface VolumeMountSpec {
  /** Name of a volume in the app's `volumes`. */
  readonly volume: string;
  /** Absolute mount path. */
  readonly path: string;
  /** @default false */
  readonly readOnly?: boolean;
  /** Mount one entry of the volume. @default the whole volume */
  readonly subPath?: string;
}

/** When the kubelet pulls the image. */
export type ImagePullPolicy = 'IfNotPresent' | 'Always' | 'Never';

/** One container of an {@link EdgeApp}. */
export interface EdgeContainer {
  /**
   * Container name.
   * @default the app name for the first container; required for the others
   */
  readonly name?: string;
  /** Image: an ImagePolicy (`policy` or `{ policy }`) or a fixed `{ ref }`. */
  readonly image: ImageSource;
  /** Entrypoint override. @default the image's */
  readonly command?: readonly string[];
  /** Arguments. @default the image's */
  readonly args?: readonly string[];
  /** Ports. @default none */
  readonly ports?: readonly ContainerPortSpec[];
  /** Environment, in order. @default none */
  readonly env?: Readonly<Record<string, EnvValueSpec>>;
  /** Whole ConfigMaps/Secrets as environment. @default none */
  readonly envFrom?: readonly EnvFromSpec[];
  /** Readiness probe. @default none */
  readonly readiness?: ProbeSpec;
  /** Liveness probe. @default none */
  readonly liveness?: ProbeSpec;
  /** Startup probe. @default none */
  readonly startup?: ProbeSpec;
  /** Requests and limits. @default DEFAULT_RESOURCES */
  readonly resources?: ResourceSpec;
  /** Volume mounts. @default none */
  readonly mounts?: readonly VolumeMountSpec[];
  /**
   * Mount the root filesystem read-only (a writable `/tmp` is added unless the app opts out).
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
  /**
   * Pull policy. Digest-pinned and immutable tags make `IfNotPresent` safe and save edge bandwidth.
   * @default 'IfNotPresent'
   */
  readonly imagePullPolicy?: ImagePullPolicy;
}

/** A probe with its port resolved to a number. */
export type ResolvedProbe = ProbeTiming &
  (
    | { readonly kind: 'http'; readonly path: string; readonly port: number; readonly scheme: 'HTTP' | 'HTTPS' }
    | { readonly kind: 'tcp'; readonly port: number }
    | { readonly kind: 'exec'; readonly command: readonly string[] }
    | { readonly kind: 'grpc'; readonly port: number; readonly service?: string }
  );

/** A container with every default applied and every reference checked. */
export interface ResolvedContainer {
  readonly name: string;
  readonly image: NormalizedImageSource;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports: readonly Required<ContainerPortSpec>[];
  readonly env: Readonly<Record<string, EnvValueSpec>>;
  readonly envFrom: readonly EnvFromSpec[];
  readonly readiness?: ResolvedProbe;
  readonly liveness?: ResolvedProbe;
  readonly startup?: ResolvedProbe;
  readonly resources: {
    readonly cpu: { readonly request: CpuQuantity; readonly limit: CpuQuantity };
    readonly memory: { readonly request: MemoryQuantity; readonly limit: MemoryQuantity };
  };
  readonly mounts: readonly VolumeMountSpec[];
  readonly readOnlyRootFilesystem: boolean;
  readonly imagePullPolicy: ImagePullPolicy;
}

const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const POD_FIELDS: readonly PodFieldPath[] = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.podIP',
];

/**
 * Validates a container and applies defaults. `f` is the field prefix (`containers[0]`);
 * `volumeNames` are the app's volumes (mounts must refer to one).
 */
export function resolveContainer(
  path: string,
  f: string,
  c: EdgeContainer,
  defaultName: string | undefined,
  volumeNames: readonly string[],
): ResolvedContainer {
  const name = c.name ?? defaultName;
  check(path, `${f}.name`, name, name === undefined ? 'is required for every container but the first' : dnsLabelProblem(name));
  const image = normalizeImageSource(c.image);
  check(path, `${f}.image`, c.image, typeof image === 'string' ? image : undefined);
  const ports = (c.ports ?? []).map((p, i) => {
    check(path, `${f}.ports[${i}].name`, p.name, portNameProblem(p.name));
    check(path, `${f}.ports[${i}].port`, p.port, portProblem(p.port));
    const protocol = p.protocol ?? 'TCP';
    check(path, `${f}.ports[${i}].protocol`, protocol, ['TCP', 'UDP', 'SCTP'].includes(protocol) ? undefined : 'must be TCP, UDP or SCTP');
    return { name: p.name, port: p.port, protocol };
  });
  ports.forEach((p, i) => {
    check(path, `${f}.ports[${i}].name`, p.name, ports.findIndex((q) => q.name === p.name) !== i ? 'is used by another port' : undefined);
    check(
      path,
      `${f}.ports[${i}].port`,
      p.port,
      ports.findIndex((q) => q.port === p.port && q.protocol === p.protocol) !== i ? 'is declared twice' : undefined,
    );
  });
  const env = c.env ?? {};
  checkEnv(path, `${f}.env`, env);
  (c.envFrom ?? []).forEach((e, i) => checkEnvFrom(path, `${f}.envFrom[${i}]`, e));
  const probe = (kind: 'readiness' | 'liveness' | 'startup'): ResolvedProbe | undefined =>
    c[kind] === undefined ? undefined : resolveProbe(path, `${f}.${kind}`, c[kind], ports, kind !== 'readiness');
  const mounts = c.mounts ?? [];
  mounts.forEach((m, i) => {
    check(path, `${f}.mounts[${i}].volume`, m.volume, volumeNames.includes(m.volume) ? undefined : `is not one of the app's volumes (${volumeNames.join(', ') || 'none'})`);
    check(path, `${f}.mounts[${i}].path`, m.path, containerPathProblem(m.path));
    check(path, `${f}.mounts[${i}].path`, m.path, mounts.findIndex((o) => o.path === m.path) !== i ? 'is mounted twice' : undefined);
    if (m.subPath !== undefined) {
      check(path, `${f}.mounts[${i}].subPath`, m.subPath, m.subPath.startsWith('/') || m.subPath.split('/').includes('..') ? 'must be a relative path without ".."' : undefined);
    }
  });
  const pull = c.imagePullPolicy ?? 'IfNotPresent';
  check(path, `${f}.imagePullPolicy`, pull, ['IfNotPresent', 'Always', 'Never'].includes(pull) ? undefined : 'must be IfNotPresent, Always or Never');
  return {
    name: name as string,
    image: image as NormalizedImageSource,
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    ports,
    env: { ...env },
    envFrom: [...(c.envFrom ?? [])],
    ...optional('readiness', probe('readiness')),
    ...optional('liveness', probe('liveness')),
    ...optional('startup', probe('startup')),
    resources: resolveResources(path, `${f}.resources`, c.resources),
    mounts: [...mounts],
    readOnlyRootFilesystem: c.readOnlyRootFilesystem ?? true,
    imagePullPolicy: pull,
  };
}

/** Validates environment variables (names and references). */
export function checkEnv(path: string, f: string, env: Readonly<Record<string, EnvValueSpec>>): void {
  for (const [name, value] of Object.entries(env)) {
    check(path, `${f}.${name}`, name, envVarNameProblem(name));
    if (typeof value === 'string') continue;
    if (typeof value !== 'object' || value === null) {
      check(path, `${f}.${name}`, value, 'must be a string, { configMap, key }, { secret, key } or { field }');
      continue;
    }
    const kinds = ['configMap', 'secret', 'field'].filter((k) => k in value && (value as unknown as Record<string, unknown>)[k] !== undefined);
    check(path, `${f}.${name}`, value, kinds.length !== 1 ? 'must set exactly one of configMap, secret or field' : undefined);
    if ('field' in value && value.field !== undefined) {
      check(path, `${f}.${name}.field`, value.field, POD_FIELDS.includes(value.field) ? undefined : `must be one of ${POD_FIELDS.join(', ')}`);
      continue;
    }
    const ref = value as ConfigMapKeyRef | SecretKeyRef;
    const objectName = ref.configMap ?? ref.secret;
    check(path, `${f}.${name}.${ref.configMap !== undefined ? 'configMap' : 'secret'}`, objectName, dnsSubdomainProblem(objectName as string));
    check(path, `${f}.${name}.key`, ref.key, /^[-._a-zA-Z0-9]+$/.test(ref.key ?? '') ? undefined : 'must be a ConfigMap/Secret key ([-._a-zA-Z0-9]+)');
  }
}

function checkEnvFrom(path: string, f: string, e: EnvFromSpec): void {
  const kind = e.configMap !== undefined ? 'configMap' : 'secret';
  const objectName = e.configMap ?? e.secret;
  check(path, f, e, e.configMap !== undefined && e.secret !== undefined ? 'must set configMap or secret, not both' : undefined);
  check(path, `${f}.${kind}`, objectName, dnsSubdomainProblem(objectName as string));
  if (e.prefix !== undefined) check(path, `${f}.prefix`, e.prefix, envVarNameProblem(e.prefix));
}

function resolveProbe(
  path: string,
  f: string,
  p: ProbeSpec,
  ports: readonly Required<ContainerPortSpec>[],
  mustSucceedOnce: boolean,
): ResolvedProbe {
  for (const key of ['periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold'] as const) {
    if (p[key] !== undefined) check(path, `${f}.${key}`, p[key], positiveIntegerProblem(p[key] as number));
  }
  if (p.initialDelaySeconds !== undefined) check(path, `${f}.initialDelaySeconds`, p.initialDelaySeconds, nonNegativeIntegerProblem(p.initialDelaySeconds));
  if (mustSucceedOnce && p.successThreshold !== undefined) {
    check(path, `${f}.successThreshold`, p.successThreshold, p.successThreshold !== 1 ? 'must be 1 for liveness and startup probes' : undefined);
  }
  const timing: ProbeTiming = {
    ...optional('initialDelaySeconds', p.initialDelaySeconds),
    ...optional('periodSeconds', p.periodSeconds),
    ...optional('timeoutSeconds', p.timeoutSeconds),
    ...optional('failureThreshold', p.failureThreshold),
    ...optional('successThreshold', p.successThreshold),
  };
  const port = (ref: PortRef): number => {
    if (typeof ref === 'number') {
      check(path, `${f}.port`, ref, portProblem(ref));
      return ref;
    }
    const found = ports.find((q) => q.name === ref);
    check(path, `${f}.port`, ref, found ? undefined : `is not a port of this container (${ports.map((q) => q.name).join(', ') || 'none'})`);
    return (found as Required<ContainerPortSpec>).port;
  };
  switch (p.kind) {
    case 'http':
      check(path, `${f}.path`, p.path, typeof p.path === 'string' && p.path.startsWith('/') ? undefined : 'must start with "/"');
      return { ...timing, kind: 'http', path: p.path, port: port(p.port), scheme: p.scheme ?? 'HTTP' };
    case 'tcp':
      return { ...timing, kind: 'tcp', port: port(p.port) };
    case 'grpc':
      return { ...timing, kind: 'grpc', port: port(p.port), ...optional('service', p.service) };
    case 'exec':
      check(path, `${f}.command`, p.command, Array.isArray(p.command) && p.command.length > 0 ? undefined : 'must be a non-empty command');
      return { ...timing, kind: 'exec', command: [...p.command] };
    default:
      check(path, `${f}.kind`, (p as { kind?: unknown }).kind, 'must be one of http, tcp, exec, grpc');
      throw new Error('unreachable');
  }
}

function resolveResources(path: string, f: string, r: ResourceSpec | undefined): ResolvedContainer['resources'] {
  const cpu = { request: r?.cpu?.request ?? DEFAULT_RESOURCES.cpu.request, limit: r?.cpu?.limit ?? DEFAULT_RESOURCES.cpu.limit };
  const memory = {
    request: r?.memory?.request ?? DEFAULT_RESOURCES.memory.request,
    limit: r?.memory?.limit ?? DEFAULT_RESOURCES.memory.limit,
  };
  check(path, `${f}.cpu.request`, cpu.request, cpuProblem(cpu.request));
  check(path, `${f}.cpu.limit`, cpu.limit, cpuProblem(cpu.limit));
  check(path, `${f}.memory.request`, memory.request, memoryProblem(memory.request));
  check(path, `${f}.memory.limit`, memory.limit, memoryProblem(memory.limit));
  check(path, `${f}.cpu.request`, cpu.request, (cpuMillis(cpu.request) as number) > (cpuMillis(cpu.limit) as number) ? `exceeds the limit ${String(cpu.limit)}` : undefined);
  check(path, `${f}.memory.request`, memory.request, (memoryBytes(memory.request) as number) > (memoryBytes(memory.limit) as number) ? `exceeds the limit ${memory.limit}` : undefined);
  return { cpu, memory };
}

function portNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length > 15 || !PORT_NAME.test(name) || name.includes('--')) {
    return 'must be an IANA service name: at most 15 lower-case alphanumerics or "-", with at least one letter';
  }
  return undefined;
}
