import type { KubeObject } from '../../reconciler/cluster/kube-client';

/** What a benchmark site of `n` objects holds besides its Namespace. */
export interface SiteShape {
  readonly configMaps: number;
  /** Deployments, each with one Service. */
  readonly apps: number;
}

/** 1 Namespace, then ~80% ConfigMaps, ~10% Deployments and ~10% Services (one per Deployment). */
export function siteShape(n: number): SiteShape {
  const rest = Math.max(n - 1, 0);
  const apps = rest >= 3 ? Math.max(1, Math.round(rest * 0.1)) : 0;
  return { configMaps: rest - 2 * apps, apps };
}

/**
 * The objects of a benchmark site in `ns`: what both FluxOps and the baseline tool apply.
 * `variant` changes exactly one object (the first ConfigMap's `version`).
 */
export function siteObjects(ns: string, n: number, variant = 0): KubeObject[] {
  const { configMaps, apps } = siteShape(n);
  const pad = (i: number) => String(i).padStart(4, '0');
  const labels = { 'app.kubernetes.io/part-of': 'bench-site', 'app.kubernetes.io/managed-by': 'fluxops' };
  const out: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } }];
  for (let i = 0; i < configMaps; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `config-${pad(i)}`, namespace: ns, labels },
      data: { 'app.properties': `sensor.id=sensor-${pad(i)}\nsample.interval.ms=${250 + (i % 4) * 250}\n`, version: i === 0 ? String(variant) : '0' },
    });
  }
  for (let i = 0; i < apps; i++) {
    const name = `app-${pad(i)}`;
    const sel = { 'app.kubernetes.io/name': name };
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels: { ...labels, ...sel } },
      spec: {
        replicas: 1,
        selector: { matchLabels: sel },
        template: {
          metadata: { labels: sel },
          spec: {
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] }] } } },
            containers: [{ name: 'app', image: `registry.local:5000/edge/${name}:1.0.3@sha256:${String(i).padStart(64, '0')}`, ports: [{ name: 'http', containerPort: 8080 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
          },
        },
      },
    });
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels }, spec: { selector: sel, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  }
  return out;
}
