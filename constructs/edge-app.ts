import { Construct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import { EdgeContainer, ResolvedContainer, VolumeMountSpec, resolveContainer } from './container-spec';
import { ConstructValidationError } from './construct-validation-error';
import { IngressSpec, ResolvedIngress, ResolvedService, ServiceSpec, resolveIngress, resolveService } from './exposure-spec';
import { Fleet } from './fleet';
import type { ImagePolicy } from './image-policy';
import { optional } from './optional';
import { SecretReference, checkSecretReference } from './secret-reference';
import { checkUniqueName } from './unique-name';
import {
  Architecture,
  architectureProblem,
  check,
  childPath,
  containerPathProblem,
  dns1035LabelProblem,
  dnsLabelProblem,
  dnsSubdomainProblem,
  labelKeyProblem,
  labelsProblem,
  nonNegativeIntegerProblem,
  positiveIntegerProblem,
} from './validation';
import { DEFAULT_EMPTY_DIR_SIZE_LIMIT, VolumeSpec, resolveVolumes } from './volume-spec';

/** Spread replicas across a topology domain (nodes by default). */
export interface SpreadSpec {
  /** Node label defining the domain. @default 'kubernetes.io/hostname' */
  readonly topologyKey?: string;
  /** Largest allowed difference in replicas between domains. @default 1 */
  readonly maxSkew?: number;
  /** `ScheduleAnyway` keeps pods running on a site with a single healthy node. @default 'ScheduleAnyway' */
  readonly whenUnsatisfiable?: 'ScheduleAnyway' | 'DoNotSchedule';
}

/** Pod identity. */
export interface PodSecuritySpec {
  /** Refuse to start containers as root. @default true */
  readonly runAsNonRoot?: boolean;
  /** UID. @default 65532 (the distroless "nonroot" user) when runAsNonRoot */
  readonly runAsUser?: number;
  /** GID. @default 65532 when runAsNonRoot */
  readonly runAsGroup?: number;
  /** Group owning mounted volumes. @default 65532 when runAsNonRoot */
  readonly fsGroup?: number;
}

/** Configuration files or variables owned by the app, rendered as a ConfigMap `<app>-config`. */
export interface AppConfigSpec {
  /** Keys and values. */
  readonly data: Readonly<Record<string, string>>;
  /** Mount the keys as files here in the first container. @default exposed as environment variables of the first container */
  readonly mountPath?: string;
}

/**
 * A HorizontalPodAutoscaler for the app. The Deployment then carries no replica count: the
 * autoscaler owns it, so deploying again never fights the autoscaler.
 */
export interface AutoscalingSpec {
  /** @default 1 */
  readonly minReplicas?: number;
  readonly maxReplicas: number;
  /** Target average CPU utilization, percent of the request. @default 80 */
  readonly cpuUtilization?: number;
}

/** Properties shared by every {@link EdgeApp}. */
export interface EdgeAppBaseProps {
  /** App name (DNS-1035 label), used for the Deployment, Service and Ingress. @default the construct id */
  readonly name?: string;
  /** Namespace. @default the fleet's namespace */
  readonly namespace?: string;
  /** Containers; the first is the main container. */
  readonly containers: readonly [EdgeContainer, ...EdgeContainer[]];
  /** Replicas (sites may override). @default 1 */
  readonly replicas?: number;
  /** Scale with an autoscaler instead of a fixed replica count (mutually exclusive with replicas). @default none */
  readonly autoscaling?: AutoscalingSpec;
  /** Node architectures the app may run on (`kubernetes.io/arch` In [...]). @default ['arm64'] */
  readonly architectures?: readonly Architecture[];
  /** Pod volumes. @default none (plus a writable /tmp, see tmpVolume) */
  readonly volumes?: readonly VolumeSpec[];
  /** App-owned configuration. @default none */
  readonly config?: AppConfigSpec;
  /** Registry credentials for pulling images. @default none */
  readonly imagePullSecrets?: readonly SecretReference[];
  /**
   * Run as this (existing) ServiceAccount, with its API token mounted: for apps that talk to the
   * Kubernetes API, such as the FluxOps reconciler itself.
   * @default the namespace's default account, with no API token mounted
   */
  readonly serviceAccount?: string;
  /** Pod identity. @default non-root as UID/GID 65532 */
  readonly securityContext?: PodSecuritySpec;
  /** Topology spread, or `false` to disable. @default across nodes, maxSkew 1, ScheduleAnyway */
  readonly spread?: SpreadSpec | false;
  /** ReplicaSets kept for rollback; small to save etcd/kine space on edge nodes. @default 3 */
  readonly revisionHistoryLimit?: number;
  /** Extra labels on every object of the app. @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Update strategy; `Recreate` for apps holding a hostPath or RWO volume. @default 'RollingUpdate' */
  readonly strategy?: 'RollingUpdate' | 'Recreate';
  /** Mount a small emptyDir at /tmp in containers with a read-only root filesystem. @default true */
  readonly tmpVolume?: boolean;
}

/** An app with a Service (default when it has ports) and optionally an Ingress. */
export interface EdgeAppWithServiceProps extends EdgeAppBaseProps {
  /** Service. @default ClusterIP on every container port, if there are ports */
  readonly service?: ServiceSpec;
  /** Ingress. @default none */
  readonly ingress?: IngressSpec;
}

/** An app without a Service, which therefore cannot have an Ingress. */
export interface EdgeAppWithoutServiceProps extends EdgeAppBaseProps {
  /** No Service. */
  readonly service: false;
  /** Not possible without a Service. */
  readonly ingress?: never;
}

/** Properties of an {@link EdgeApp}. */
export type EdgeAppProps = (EdgeAppWithServiceProps | EdgeAppWithoutServiceProps) &
  ({ readonly autoscaling?: undefined } | { readonly autoscaling: AutoscalingSpec; readonly replicas?: undefined });

/** Resolved topology spread. */
export interface ResolvedSpread {
  readonly topologyKey: string;
  readonly maxSkew: number;
  readonly whenUnsatisfiable: 'ScheduleAnyway' | 'DoNotSchedule';
}

/** Resolved pod identity. */
export interface ResolvedPodSecurity {
  readonly runAsNonRoot: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
}

/** UID/GID used when an app asks for non-root without naming a user. */
export const DEFAULT_NON_ROOT_ID = 65532;

/**
 * A workload on edge nodes: a Deployment with edge defaults (arm64 placement, conservative
 * resources, non-root, read-only root filesystem, spread across nodes, short revision
 * history), optionally a Service, an Ingress and a ConfigMap. It holds validated, defaulted
 * values; objects are rendered per site by `synthesize`.
 */
export class EdgeApp extends Construct {
  /** Whether `x` is an EdgeApp (works across copies of this module). */
  static isEdgeApp(x: unknown): x is EdgeApp {
    return hasBrand(x, BRANDS.edgeApp);
  }

  /** App name. */
  readonly appName: string;
  /** Namespace. */
  readonly namespace: string;
  /** Containers, defaulted; mounts include the generated /tmp and config mounts. */
  readonly containers: readonly ResolvedContainer[];
  /** Replicas before site overrides (unused with autoscaling). */
  readonly replicas: number;
  /** Autoscaler settings, defaulted, if the app autoscales. */
  readonly autoscaling?: Required<AutoscalingSpec>;
  /** Allowed node architectures. */
  readonly architectures: readonly Architecture[];
  /** Volumes, including generated ones. */
  readonly volumes: readonly VolumeSpec[];
  /** App-owned configuration, if any. */
  readonly config?: AppConfigSpec;
  /** Image pull secrets. */
  readonly imagePullSecrets: readonly SecretReference[];
  /** ServiceAccount whose token is mounted, if any. */
  readonly serviceAccount?: string;
  /** Pod identity. */
  readonly securityContext: ResolvedPodSecurity;
  /** Topology spread, if enabled. */
  readonly spread?: ResolvedSpread;
  /** Revision history limit. */
  readonly revisionHistoryLimit: number;
  /** Extra labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Update strategy. */
  readonly strategy: 'RollingUpdate' | 'Recreate';
  /** Service, if any. */
  readonly service?: ResolvedService;
  /** Ingress, if any. */
  readonly ingress?: ResolvedIngress;

  constructor(scope: Construct, id: string, props: EdgeAppProps) {
    const path = childPath(scope, id);
    const fleet = Fleet.of(scope);
    const name = props.name ?? id;
    const namespace = props.namespace ?? fleet.namespace;
    check(path, 'name', name, dns1035LabelProblem(name));
    check(path, 'namespace', namespace, dnsLabelProblem(namespace));

    const userVolumes = resolveVolumes(path, props.volumes ?? []);
    check(path, 'containers', props.containers, !props.containers || props.containers.length === 0 ? 'must have at least one container' : undefined);
    let containers = props.containers.map((c, i) =>
      resolveContainer(path, `containers[${i}]`, c, i === 0 ? name : undefined, userVolumes.map((v) => v.name)),
    );
    containers.forEach((c, i) => {
      check(path, `containers[${i}].name`, c.name, containers.findIndex((o) => o.name === c.name) !== i ? 'is used by another container' : undefined);
      if (c.image.kind === 'policy') {
        check(path, `containers[${i}].image`, c.image.policy, Fleet.of(c.image.policy) !== fleet ? 'belongs to a different fleet' : undefined);
      }
    });

    const replicas = props.replicas ?? 1;
    check(path, 'replicas', replicas, nonNegativeIntegerProblem(replicas));
    const architectures = props.architectures ?? ['arm64'];
    checkArchitectures(path, 'architectures', architectures);
    const autoscaling = resolveAutoscaling(path, props.autoscaling, props.replicas);

    const volumes: VolumeSpec[] = [...userVolumes];
    if (props.config !== undefined) {
      const cfg = props.config;
      for (const key of Object.keys(cfg.data ?? {})) {
        check(path, `config.data.${key}`, key, /^[-._a-zA-Z0-9]+$/.test(key) ? undefined : 'keys must match [-._a-zA-Z0-9]+');
      }
      check(path, 'config.data', cfg.data, Object.keys(cfg.data ?? {}).length === 0 ? 'must not be empty' : undefined);
      if (cfg.mountPath !== undefined) {
        check(path, 'config.mountPath', cfg.mountPath, containerPathProblem(cfg.mountPath));
        check(path, 'config.mountPath', cfg.mountPath, containers[0].mounts.some((m) => m.path === cfg.mountPath) ? 'is already a mount path of the first container' : undefined);
        check(path, 'volumes', 'config', volumes.some((v) => v.name === 'config') ? 'name "config" is reserved for the app config volume' : undefined);
        volumes.push({ kind: 'configMap', name: 'config', configMap: configMapName(name) });
        containers = containers.map((c, i) => (i === 0 ? { ...c, mounts: [...c.mounts, { volume: 'config', path: cfg.mountPath as string, readOnly: true }] } : c));
      } else {
        containers = containers.map((c, i) => (i === 0 ? { ...c, envFrom: [...c.envFrom, { configMap: configMapName(name) }] } : c));
      }
    }
    if (props.tmpVolume ?? true) {
      const needsTmp = (c: ResolvedContainer): boolean => c.readOnlyRootFilesystem && !c.mounts.some((m) => m.path === '/tmp');
      if (containers.some(needsTmp) && !volumes.some((v) => v.name === 'tmp')) {
        volumes.push({ kind: 'emptyDir', name: 'tmp', sizeLimit: DEFAULT_EMPTY_DIR_SIZE_LIMIT });
        const tmpMount: VolumeMountSpec = { volume: 'tmp', path: '/tmp' };
        containers = containers.map((c) => (needsTmp(c) ? { ...c, mounts: [...c.mounts, tmpMount] } : c));
      }
    }

    (props.imagePullSecrets ?? []).forEach((s, i) => checkSecretReference(path, `imagePullSecrets[${i}]`, s));
    if (props.serviceAccount !== undefined) check(path, 'serviceAccount', props.serviceAccount, dnsSubdomainProblem(props.serviceAccount));
    const securityContext = resolveSecurity(path, props.securityContext);
    const spread = resolveSpread(path, props.spread);
    const revisionHistoryLimit = props.revisionHistoryLimit ?? 3;
    check(path, 'revisionHistoryLimit', revisionHistoryLimit, nonNegativeIntegerProblem(revisionHistoryLimit));
    const labels = props.labels ?? {};
    const badLabel = labelsProblem(labels);
    if (badLabel) check(path, `labels.${badLabel[0]}`, labels[badLabel[0]], badLabel[1]);
    const strategy = props.strategy ?? 'RollingUpdate';
    check(path, 'strategy', strategy, strategy === 'RollingUpdate' || strategy === 'Recreate' ? undefined : 'must be RollingUpdate or Recreate');
    const service = resolveService(path, props.service, containers);
    const ingress = resolveIngress(path, props.ingress, service);
    checkUniqueName(path, 'name', name, fleet.apps, (a) => a.appName === name && a.namespace === namespace);

    super(scope, id);
    this.appName = name;
    this.namespace = namespace;
    this.containers = containers;
    this.replicas = replicas;
    this.autoscaling = autoscaling;
    this.architectures = [...architectures];
    this.volumes = volumes;
    this.config = props.config ? { data: { ...props.config.data }, ...optional('mountPath', props.config.mountPath) } : undefined;
    this.imagePullSecrets = [...(props.imagePullSecrets ?? [])];
    this.serviceAccount = props.serviceAccount;
    this.securityContext = securityContext;
    this.spread = spread;
    this.revisionHistoryLimit = revisionHistoryLimit;
    this.labels = { ...labels };
    this.strategy = strategy;
    this.service = service;
    this.ingress = ingress;
    setBrand(this, BRANDS.edgeApp);
  }

  /** Name of the ConfigMap holding `config`, when the app has one. */
  get configMapName(): string | undefined {
    return this.config ? configMapName(this.appName) : undefined;
  }

  /** Image policies the app's containers follow, without duplicates, in container order. */
  get imagePolicies(): ImagePolicy[] {
    const out: ImagePolicy[] = [];
    for (const c of this.containers) if (c.image.kind === 'policy' && !out.includes(c.image.policy)) out.push(c.image.policy);
    return out;
  }
}

/** Validates a list of architectures (non-empty, known, no repeats). */
export function checkArchitectures(path: string, field: string, architectures: readonly Architecture[]): void {
  check(path, field, architectures, !Array.isArray(architectures) || architectures.length === 0 ? 'must name at least one architecture' : undefined);
  architectures.forEach((a, i) => check(path, `${field}[${i}]`, a, architectureProblem(a)));
  check(path, field, architectures, new Set(architectures).size !== architectures.length ? 'must not repeat an architecture' : undefined);
}

function configMapName(app: string): string {
  return `${app}-config`;
}

function resolveSecurity(path: string, s: PodSecuritySpec | undefined): ResolvedPodSecurity {
  const runAsNonRoot = s?.runAsNonRoot ?? true;
  const fallback = runAsNonRoot ? DEFAULT_NON_ROOT_ID : undefined;
  const ids = {
    runAsUser: s?.runAsUser ?? fallback,
    runAsGroup: s?.runAsGroup ?? fallback,
    fsGroup: s?.fsGroup ?? fallback,
  };
  for (const [k, v] of Object.entries(ids)) if (v !== undefined) check(path, `securityContext.${k}`, v, nonNegativeIntegerProblem(v));
  if (runAsNonRoot && ids.runAsUser === 0) {
    throw new ConstructValidationError({ path, field: 'securityContext.runAsUser', value: 0, reason: 'is root but runAsNonRoot is true' });
  }
  return { runAsNonRoot, ...optional('runAsUser', ids.runAsUser), ...optional('runAsGroup', ids.runAsGroup), ...optional('fsGroup', ids.fsGroup) };
}

function resolveSpread(path: string, s: SpreadSpec | false | undefined): ResolvedSpread | undefined {
  if (s === false) return undefined;
  const spread: ResolvedSpread = {
    topologyKey: s?.topologyKey ?? 'kubernetes.io/hostname',
    maxSkew: s?.maxSkew ?? 1,
    whenUnsatisfiable: s?.whenUnsatisfiable ?? 'ScheduleAnyway',
  };
  check(path, 'spread.topologyKey', spread.topologyKey, labelKeyProblem(spread.topologyKey));
  check(path, 'spread.maxSkew', spread.maxSkew, positiveIntegerProblem(spread.maxSkew));
  check(
    path,
    'spread.whenUnsatisfiable',
    spread.whenUnsatisfiable,
    ['ScheduleAnyway', 'DoNotSchedule'].includes(spread.whenUnsatisfiable) ? undefined : 'must be ScheduleAnyway or DoNotSchedule',
  );
  return spread;
}

function resolveAutoscaling(path: string, spec: AutoscalingSpec | undefined, replicas: number | undefined): Required<AutoscalingSpec> | undefined {
  if (spec === undefined) return undefined;
  check(path, 'replicas', replicas, replicas !== undefined ? 'cannot be set together with autoscaling (the autoscaler owns the replica count)' : undefined);
  const resolved = { minReplicas: spec.minReplicas ?? 1, maxReplicas: spec.maxReplicas, cpuUtilization: spec.cpuUtilization ?? 80 };
  const positive = (n: number) => (Number.isInteger(n) && n >= 1 ? undefined : 'must be an integer of at least 1');
  check(path, 'autoscaling.minReplicas', resolved.minReplicas, positive(resolved.minReplicas));
  check(path, 'autoscaling.maxReplicas', resolved.maxReplicas, positive(resolved.maxReplicas) ?? (resolved.maxReplicas < resolved.minReplicas ? 'must be at least minReplicas' : undefined));
  check(path, 'autoscaling.cpuUtilization', resolved.cpuUtilization, Number.isInteger(resolved.cpuUtilization) && resolved.cpuUtilization >= 1 && resolved.cpuUtilization <= 100 ? undefined : 'must be an integer percentage from 1 to 100');
  return resolved;
}
