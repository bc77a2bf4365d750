import { optional } from './optional';
import { MemoryQuantity, check, containerPathProblem, dnsLabelProblem, dnsSubdomainProblem, memoryProblem } from './validation';

/** Scratch space that lives as long as the pod. */
export interface EmptyDirVolumeSpec {
  /** Discriminant. */
  readonly kind: 'emptyDir';
  /** Volume name, referenced by mounts. */
  readonly name: string;
  /** Cap on usage; edge nodes have small disks. @default '64Mi' */
  readonly sizeLimit?: MemoryQuantity;
  /** `Memory` backs the volume with tmpfs. @default node disk */
  readonly medium?: 'Memory';
}

/** Files from a ConfigMap. */
export interface ConfigMapVolumeSpec {
  /** Discriminant. */
  readonly kind: 'configMap';
  /** Volume name. */
  readonly name: string;
  /** ConfigMap name. */
  readonly configMap: string;
  /** @default false */
  readonly optional?: boolean;
}

/** Files from a Secret. */
export interface SecretVolumeSpec {
  /** Discriminant. */
  readonly kind: 'secret';
  /** Volume name. */
  readonly name: string;
  /** Secret name. */
  readonly secret: string;
  /** @default false */
  readonly optional?: boolean;
}

/** A path on the node (device sockets, sensor buses). */
export interface HostPathVolumeSpec {
  /** Discriminant. */
  readonly kind: 'hostPath';
  /** Volume name. */
  readonly name: string;
  /** Absolute path on the node. */
  readonly path: string;
  /** What must exist at the path. @default no check */
  readonly type?: 'Directory' | 'DirectoryOrCreate' | 'File' | 'FileOrCreate' | 'Socket' | 'CharDevice' | 'BlockDevice';
}

/** A PersistentVolumeClaim (k3s ships the local-path provisioner). */
export interface PersistentVolumeClaimVolumeSpec {
  /** Discriminant. */
  readonly kind: 'persistentVolumeClaim';
  /** Volume name. */
  readonly name: string;
  /** Claim name. */
  readonly claimName: string;
  /** @default false */
  readonly readOnly?: boolean;
}

/** A pod volume. */
export type VolumeSpec =
  | EmptyDirVolumeSpec
  | ConfigMapVolumeSpec
  | SecretVolumeSpec
  | HostPathVolumeSpec
  | PersistentVolumeClaimVolumeSpec;

/** Default cap on emptyDir volumes. */
export const DEFAULT_EMPTY_DIR_SIZE_LIMIT: MemoryQuantity = '64Mi';

/** Validates the app's volumes and applies defaults. */
export function resolveVolumes(path: string, volumes: readonly VolumeSpec[]): VolumeSpec[] {
  return volumes.map((v, i) => {
    const f = `volumes[${i}]`;
    check(path, `${f}.name`, v.name, dnsLabelProblem(v.name));
    check(path, `${f}.name`, v.name, volumes.findIndex((o) => o.name === v.name) !== i ? 'is used by another volume' : undefined);
    switch (v.kind) {
      case 'emptyDir': {
        const sizeLimit = v.sizeLimit ?? DEFAULT_EMPTY_DIR_SIZE_LIMIT;
        check(path, `${f}.sizeLimit`, sizeLimit, memoryProblem(sizeLimit));
        check(path, `${f}.medium`, v.medium, v.medium === undefined || v.medium === 'Memory' ? undefined : 'must be "Memory" or unset');
        return { kind: 'emptyDir', name: v.name, sizeLimit, ...optional('medium', v.medium) };
      }
      case 'configMap':
        check(path, `${f}.configMap`, v.configMap, dnsSubdomainProblem(v.configMap));
        return { ...v };
      case 'secret':
        check(path, `${f}.secret`, v.secret, dnsSubdomainProblem(v.secret));
        return { ...v };
      case 'hostPath':
        check(path, `${f}.path`, v.path, containerPathProblem(v.path));
        return { ...v };
      case 'persistentVolumeClaim':
        check(path, `${f}.claimName`, v.claimName, dnsSubdomainProblem(v.claimName));
        return { ...v };
      default:
        check(path, `${f}.kind`, (v as { kind?: unknown }).kind, 'must be one of emptyDir, configMap, secret, hostPath, persistentVolumeClaim');
        throw new Error('unreachable');
    }
  });
}
