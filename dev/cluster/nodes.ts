/** A simulated edge node (kwok), shaped like a Raspberry-Pi-class k3s agent. */
export interface EdgeNodeSpec {
  readonly name: string;
  /** Value of `kubernetes.io/arch`. */
  readonly arch: 'arm64' | 'amd64' | 'arm';
  /** @default '4' */
  readonly cpu?: string;
  /** @default '8Gi' */
  readonly memory?: string;
  /** @default '110' */
  readonly pods?: string;
  /** Extra node labels. */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Two arm64 nodes and one amd64 node: enough for topology spread across arm64 nodes and for a
 * real test that arch placement keeps arm64 workloads off the amd64 node.
 */
export const DEFAULT_EDGE_NODES: readonly EdgeNodeSpec[] = [
  { name: 'edge-arm64-1', arch: 'arm64', labels: { 'node.kubernetes.io/instance-type': 'raspberry-pi-5' } },
  { name: 'edge-arm64-2', arch: 'arm64', labels: { 'node.kubernetes.io/instance-type': 'raspberry-pi-5' } },
  { name: 'edge-amd64-1', arch: 'amd64', labels: { 'node.kubernetes.io/instance-type': 'nuc' } },
];

/** Annotation kwok uses to select the nodes it simulates. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** The Node object kwok will manage for `spec`. Status is allowed on Node create. */
export function nodeManifest(spec: EdgeNodeSpec, kubeletVersion: string): Record<string, unknown> {
  const resources = { cpu: spec.cpu ?? '4', memory: spec.memory ?? '8Gi', pods: spec.pods ?? '110', 'ephemeral-storage': '32Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/arch': spec.arch,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': spec.name,
        'node-role.kubernetes.io/agent': 'true',
        type: 'kwok',
        ...spec.labels,
      },
    },
    spec: {},
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: spec.arch,
        operatingSystem: 'linux',
        kubeletVersion,
        kubeProxyVersion: kubeletVersion,
        osImage: 'FluxOps simulated edge node (kwok)',
        kernelVersion: '6.6.0-fluxops-kwok',
        containerRuntimeVersion: 'kwok',
      },
      phase: 'Running',
    },
  };
}
