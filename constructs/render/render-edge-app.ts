import { createHash } from 'node:crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import type { EnvValueSpec, ResolvedContainer, ResolvedProbe } from '../container-spec';
import type { EdgeApp } from '../edge-app';
import type { Fleet } from '../fleet';
import type { ImageLock } from '../lock';
import { resolveImage } from '../resolve-image';
import type { Site } from '../site';
import type { SynthWarning } from '../synth-warning';
import { MemoryQuantity, cpuMillis } from '../validation';
import type { VolumeSpec } from '../volume-spec';
import { appLabels, selectorLabels } from './labels';
import { ImageSetter, RenderedObject } from './rendered-object';

/** Inputs of {@link renderEdgeApp} besides the app. */
export interface AppRenderContext {
  /** The fleet. */
  readonly fleet: Fleet;
  /** The site rendered for, if any (its overrides and holds apply). */
  readonly site?: Site;
  /** Where policy-backed images are resolved from. */
  readonly lock: ImageLock;
}

/** Objects and warnings from rendering one app. */
export interface RenderedApp {
  /** ConfigMap, Deployment, Service, Ingress (those that apply). */
  readonly objects: readonly RenderedObject[];
  /** Image resolution findings. */
  readonly warnings: readonly SynthWarning[];
}

const POD_ADDRESS_LABEL_PATH = '/spec/template/metadata/labels/cdk8s.io~1metadata.addr';

/** Renders an app, with the site's overrides, as cdk8s-plus objects under `scope`. */
export function renderEdgeApp(scope: Construct, app: EdgeApp, ctx: AppRenderContext): RenderedApp {
  const override = ctx.site?.overrideFor(app);
  const labels = appLabels(app, ctx.fleet, ctx.site);
  const meta = (name: string): { name: string; namespace: string; labels: Record<string, string> } => ({
    name,
    namespace: app.namespace,
    labels,
  });
  const objects: RenderedObject[] = [];
  const warnings: SynthWarning[] = [];

  if (app.config && app.configMapName) {
    const cm = new kplus.ConfigMap(scope, 'config', { metadata: meta(app.configMapName), data: { ...app.config.data } });
    objects.push({ apiObject: ApiObject.of(cm), origin: app.node.path, imageSetters: [] });
  }

  const volumes = new Map(app.volumes.map((v) => [v.name, toVolume(scope, v)]));
  const imageSetters: ImageSetter[] = [];
  const containers: kplus.ContainerProps[] = app.containers.map((c, i) => {
    const resolution = resolveImage(c.image, ctx.lock, ctx.site, app.node.path);
    warnings.push(...resolution.warnings);
    if (resolution.image.policy) {
      imageSetters.push({ path: ['spec', 'template', 'spec', 'containers', i, 'image'], policy: resolution.image.policy, container: c.name, image: resolution.image });
    }
    const target = override?.container ?? app.containers[0].name;
    const env = override?.env && c.name === target ? mergeEnv(c.env, override.env) : c.env;
    return toContainer(scope, `c${i}`, c, resolution.image.reference, env, volumes, app);
  });

  const security = app.securityContext;
  const deployment = new kplus.Deployment(scope, 'deployment', {
    metadata: meta(app.appName),
    replicas: override?.replicas ?? app.replicas,
    revisionHistoryLimit: app.revisionHistoryLimit,
    strategy: app.strategy === 'Recreate' ? kplus.DeploymentStrategy.recreate() : kplus.DeploymentStrategy.rollingUpdate(),
    select: false,
    // Apps get no API token unless they name the account they need one for.
    automountServiceAccountToken: app.serviceAccount !== undefined,
    ...(app.serviceAccount !== undefined ? { serviceAccount: kplus.ServiceAccount.fromServiceAccountName(scope, 'service-account', app.serviceAccount) } : {}),
    securityContext: {
      ensureNonRoot: security.runAsNonRoot,
      ...(security.runAsUser !== undefined ? { user: security.runAsUser } : {}),
      ...(security.runAsGroup !== undefined ? { group: security.runAsGroup } : {}),
      ...(security.fsGroup !== undefined ? { fsGroup: security.fsGroup } : {}),
      fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
    },
    containers,
  });
  deployment.select(kplus.LabelSelector.of({ labels: selectorLabels(app) }));
  for (const [k, v] of Object.entries(labels)) deployment.podMetadata.addLabel(k, v);
  if (app.config) deployment.podMetadata.addAnnotation('fluxops.dev/config-hash', configHash(app.config.data));
  const architectures = ctx.site ? ctx.site.architecturesFor(app) : app.architectures;
  deployment.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.in('kubernetes.io/arch', [...architectures])));

  const deploymentObject = ApiObject.of(deployment);
  // The pod address label exists for cdk8s's own selectors; ours select by app name.
  deploymentObject.addJsonPatch(JsonPatch.remove(POD_ADDRESS_LABEL_PATH));
  if (app.spread) {
    deploymentObject.addJsonPatch(
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        {
          maxSkew: app.spread.maxSkew,
          topologyKey: app.spread.topologyKey,
          whenUnsatisfiable: app.spread.whenUnsatisfiable,
          labelSelector: { matchLabels: selectorLabels(app) },
        },
      ]),
    );
  }
  if (app.imagePullSecrets.length > 0) {
    deploymentObject.addJsonPatch(
      JsonPatch.add('/spec/template/spec/imagePullSecrets', app.imagePullSecrets.map((s) => ({ name: s.name }))),
    );
  }
  if (app.autoscaling) {
    // The autoscaler owns spec.replicas; leaving it out keeps every apply from resetting it.
    deploymentObject.addJsonPatch(JsonPatch.remove('/spec/replicas'));
  }
  objects.push({ apiObject: deploymentObject, origin: app.node.path, imageSetters });
  if (app.autoscaling) {
    const hpa = new ApiObject(scope, 'autoscaler', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(app.appName),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app.appName },
        minReplicas: app.autoscaling.minReplicas,
        maxReplicas: app.autoscaling.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: app.autoscaling.cpuUtilization } } }],
      },
    });
    objects.push({ apiObject: hpa, origin: app.node.path, imageSetters: [] });
  }

  if (app.service) {
    const service = new kplus.Service(scope, 'service', {
      metadata: meta(app.appName),
      type: app.service.type as kplus.ServiceType,
      ports: app.service.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol as kplus.Protocol,
        ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
      })),
    });
    for (const [k, v] of Object.entries(selectorLabels(app))) service.selectLabel(k, v);
    objects.push({ apiObject: ApiObject.of(service), origin: app.node.path, imageSetters: [] });

    if (app.ingress) {
      const ing = app.ingress;
      const host = override?.ingressHost ?? ing.host;
      const ingress = new kplus.Ingress(scope, 'ingress', {
        metadata: meta(app.appName),
        className: ing.className,
        rules: [
          {
            host,
            path: ing.path,
            pathType: ing.pathType as kplus.HttpIngressPathType,
            backend: kplus.IngressBackend.fromService(service, { port: ing.servicePort.port }),
          },
        ],
        ...(ing.tlsSecretName
          ? { tls: [{ hosts: [host], secret: kplus.Secret.fromSecretName(scope, 'tls-secret', ing.tlsSecretName) }] }
          : {}),
      });
      objects.push({ apiObject: ApiObject.of(ingress), origin: app.node.path, imageSetters: [] });
    }
  }
  return { objects, warnings };
}

function toContainer(
  scope: Construct,
  id: string,
  c: ResolvedContainer,
  image: string,
  env: Readonly<Record<string, EnvValueSpec>>,
  volumes: ReadonlyMap<string, kplus.Volume>,
  app: EdgeApp,
): kplus.ContainerProps {
  const envVariables: Record<string, kplus.EnvValue> = {};
  let refs = 0;
  for (const [name, value] of Object.entries(env)) {
    envVariables[name] = toEnvValue(scope, `${id}-env${refs++}`, value);
  }
  const envFrom = c.envFrom.map((e, i) =>
    e.configMap !== undefined
      ? kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(scope, `${id}-envfrom${i}`, e.configMap), e.prefix)
      : new kplus.EnvFrom(undefined, e.prefix, kplus.Secret.fromSecretName(scope, `${id}-envfrom${i}`, e.secret as string)),
  );
  return {
    name: c.name,
    image,
    imagePullPolicy: c.imagePullPolicy as kplus.ImagePullPolicy,
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    ports: c.ports.map((p) => ({ number: p.port, name: p.name, protocol: p.protocol as kplus.Protocol })),
    envVariables,
    envFrom,
    ...(c.readiness ? { readiness: toProbe(c.readiness) } : {}),
    ...(c.liveness ? { liveness: toProbe(c.liveness) } : {}),
    ...(c.startup ? { startup: toProbe(c.startup) } : {}),
    resources: {
      cpu: { request: kplus.Cpu.millis(cpuMillis(c.resources.cpu.request) as number), limit: kplus.Cpu.millis(cpuMillis(c.resources.cpu.limit) as number) },
      memory: { request: toSize(c.resources.memory.request), limit: toSize(c.resources.memory.limit) },
    },
    volumeMounts: c.mounts.map((m) => ({
      volume: volumes.get(m.volume) as kplus.Volume,
      path: m.path,
      ...(m.readOnly !== undefined ? { readOnly: m.readOnly } : {}),
      ...(m.subPath !== undefined ? { subPath: m.subPath } : {}),
    })),
    securityContext: {
      ensureNonRoot: app.securityContext.runAsNonRoot,
      readOnlyRootFilesystem: c.readOnlyRootFilesystem,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: [kplus.Capability.ALL] },
      seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
    },
  };
}

function toEnvValue(scope: Construct, id: string, value: EnvValueSpec): kplus.EnvValue {
  if (typeof value === 'string') return kplus.EnvValue.fromValue(value);
  if (value.field !== undefined) return kplus.EnvValue.fromFieldRef(value.field as kplus.EnvFieldPaths);
  if (value.configMap !== undefined) {
    return kplus.EnvValue.fromConfigMap(kplus.ConfigMap.fromConfigMapName(scope, id, value.configMap), value.key, {
      optional: value.optional ?? false,
    });
  }
  return kplus.EnvValue.fromSecretValue(
    { secret: kplus.Secret.fromSecretName(scope, id, value.secret as string), key: value.key },
    { optional: value.optional ?? false },
  );
}

function toProbe(p: ResolvedProbe): kplus.Probe {
  const timing = {
    ...(p.initialDelaySeconds !== undefined ? { initialDelaySeconds: Duration.seconds(p.initialDelaySeconds) } : {}),
    ...(p.periodSeconds !== undefined ? { periodSeconds: Duration.seconds(p.periodSeconds) } : {}),
    ...(p.timeoutSeconds !== undefined ? { timeoutSeconds: Duration.seconds(p.timeoutSeconds) } : {}),
    ...(p.failureThreshold !== undefined ? { failureThreshold: p.failureThreshold } : {}),
    ...(p.successThreshold !== undefined ? { successThreshold: p.successThreshold } : {}),
  };
  switch (p.kind) {
    case 'http':
      return kplus.Probe.fromHttpGet(p.path, { ...timing, port: p.port, scheme: p.scheme as kplus.ConnectionScheme });
    case 'tcp':
      return kplus.Probe.fromTcpSocket({ ...timing, port: p.port });
    case 'grpc':
      return kplus.Probe.fromGrpc({ ...timing, port: p.port, ...(p.service !== undefined ? { service: p.service } : {}) });
    case 'exec':
      return kplus.Probe.fromCommand([...p.command], timing);
  }
}

function toVolume(scope: Construct, v: VolumeSpec): kplus.Volume {
  const id = `volume-${v.name}`;
  switch (v.kind) {
    case 'emptyDir':
      return kplus.Volume.fromEmptyDir(scope, id, v.name, {
        ...(v.sizeLimit !== undefined ? { sizeLimit: toSize(v.sizeLimit) } : {}),
        ...(v.medium === 'Memory' ? { medium: kplus.EmptyDirMedium.MEMORY } : {}),
      });
    case 'configMap':
      return kplus.Volume.fromConfigMap(scope, id, kplus.ConfigMap.fromConfigMapName(scope, `${id}-ref`, v.configMap), {
        name: v.name,
        ...(v.optional !== undefined ? { optional: v.optional } : {}),
      });
    case 'secret':
      return kplus.Volume.fromSecret(scope, id, kplus.Secret.fromSecretName(scope, `${id}-ref`, v.secret), {
        name: v.name,
        ...(v.optional !== undefined ? { optional: v.optional } : {}),
      });
    case 'hostPath':
      return kplus.Volume.fromHostPath(scope, id, v.name, {
        path: v.path,
        ...(v.type !== undefined ? { type: v.type as kplus.HostPathVolumeType } : {}),
      });
    case 'persistentVolumeClaim':
      return kplus.Volume.fromPersistentVolumeClaim(scope, id, kplus.PersistentVolumeClaim.fromClaimName(scope, `${id}-ref`, v.claimName), {
        name: v.name,
        ...(v.readOnly !== undefined ? { readOnly: v.readOnly } : {}),
      });
  }
}

function toSize(q: MemoryQuantity): Size {
  const n = Number(q.slice(0, -2));
  const unit = q.slice(-2);
  return unit === 'Gi' ? Size.gibibytes(n) : unit === 'Mi' ? Size.mebibytes(n) : Size.kibibytes(n);
}

/** Site env wins per variable; order stays the app's, site-only variables follow. */
function mergeEnv(
  base: Readonly<Record<string, EnvValueSpec>>,
  extra: Readonly<Record<string, EnvValueSpec>>,
): Record<string, EnvValueSpec> {
  const out: Record<string, EnvValueSpec> = {};
  for (const [k, v] of Object.entries(base)) out[k] = k in extra ? extra[k] : v;
  for (const [k, v] of Object.entries(extra)) if (!(k in base)) out[k] = v;
  return out;
}

function configHash(data: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
