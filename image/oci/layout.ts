import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { FluxOpsError } from '../../errors';
import { MEDIA_TYPES } from '../../reconciler/images/registry/media-types';

/**
 * The OCI image-spec documents (image config, manifest, index) and the on-disk "oci-layout"
 * directory, shared by the FluxOps image builder and the test image pusher in dev/registry.
 * Every document is built with a fixed key order and sorted maps, so the same inputs always give
 * the same bytes and digests.
 */

/** Media types of the OCI image spec used by the layouts built here. */
export const OCI_MEDIA_TYPES = {
  index: MEDIA_TYPES.ociIndex,
  manifest: MEDIA_TYPES.ociManifest,
  config: MEDIA_TYPES.ociConfig,
  layerTarGzip: MEDIA_TYPES.ociLayerTarGzip,
} as const;

/** Annotation naming a layout's `index.json` entry (the tag `skopeo copy oci:<dir>:<ref>` selects). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** The platform object of an index entry / image config. */
export interface OciPlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** An OCI content descriptor. */
export interface OciDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: OciPlatform;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** `sha256:<hex>` of the given bytes, the digest form used by OCI registries. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of a `sha256:<hex>` digest (the blob's file name in a layout). */
export function digestHex(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
}

/** Only the fields that belong in a descriptor, in a fixed order (key order is part of the digest). */
export function descriptor(d: OciDescriptor): OciDescriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.platform ? { platform: platformObject(d.platform) } : {}),
    ...(d.annotations && Object.keys(d.annotations).length > 0 ? { annotations: sortedRecord(d.annotations) } : {}),
  };
}

function platformObject(p: OciPlatform): OciPlatform {
  return { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) };
}

/** A copy of `r` with its keys in code-point order (maps in OCI documents are written sorted). */
export function sortedRecord<T>(r: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Compact JSON of a document whose key order was fixed when it was built. */
export function documentBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** The runtime part of an image config (`config` in the OCI image config). */
export interface ContainerConfig {
  readonly user?: string;
  readonly env?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly workingDir?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Paths the runtime should treat as volumes (`Volumes`). */
  readonly volumes?: readonly string[];
  readonly stopSignal?: string;
}

/** One line of the config's `history`, one per layer. */
export interface HistoryEntry {
  readonly createdBy: string;
  readonly comment?: string;
}

/** What an image config is made of. */
export interface ImageConfigSpec {
  readonly platform: OciPlatform;
  /** sha256 of each uncompressed layer tar, bottom layer first. */
  readonly diffIds: readonly string[];
  /** RFC 3339 creation time (a fixed one keeps the config digest reproducible). */
  readonly created: string;
  readonly config: ContainerConfig;
  /** One per layer, in layer order. @default none */
  readonly history?: readonly HistoryEntry[];
}

/** The OCI image config document for `spec`. */
export function imageConfigDocument(spec: ImageConfigSpec): object {
  const c = spec.config;
  return {
    created: spec.created,
    architecture: spec.platform.architecture,
    os: spec.platform.os,
    ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
    config: {
      ...(c.user !== undefined ? { User: c.user } : {}),
      ...(c.env && c.env.length > 0 ? { Env: [...c.env] } : {}),
      ...(c.entrypoint ? { Entrypoint: [...c.entrypoint] } : {}),
      ...(c.cmd ? { Cmd: [...c.cmd] } : {}),
      ...(c.volumes && c.volumes.length > 0 ? { Volumes: Object.fromEntries([...c.volumes].sort().map((v) => [v, {}])) } : {}),
      ...(c.workingDir !== undefined ? { WorkingDir: c.workingDir } : {}),
      ...(c.labels && Object.keys(c.labels).length > 0 ? { Labels: sortedRecord(c.labels) } : {}),
      ...(c.stopSignal !== undefined ? { StopSignal: c.stopSignal } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [...spec.diffIds] },
    ...(spec.history && spec.history.length > 0
      ? { history: spec.history.map((h) => ({ created: spec.created, created_by: h.createdBy, ...(h.comment ? { comment: h.comment } : {}) })) }
      : {}),
  };
}

/** The OCI image manifest document: one config and its layers. */
export function imageManifestDocument(config: OciDescriptor, layers: readonly OciDescriptor[], annotations?: Readonly<Record<string, string>>): object {
  return {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.manifest,
    config: descriptor(config),
    layers: layers.map(descriptor),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations: sortedRecord(annotations) } : {}),
  };
}

/** The OCI image index document: one manifest per platform. */
export function imageIndexDocument(manifests: readonly OciDescriptor[], annotations?: Readonly<Record<string, string>>): object {
  return {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.index,
    manifests: manifests.map(descriptor),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations: sortedRecord(annotations) } : {}),
  };
}

/** The layout's top-level `index.json`: the single entry `top`, named `ref`. */
export function layoutIndexDocument(top: OciDescriptor, ref: string): object {
  return {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.index,
    manifests: [descriptor({ ...top, annotations: { ...top.annotations, [REF_NAME_ANNOTATION]: ref } })],
  };
}

/** The output directory holds something else than an OCI layout; nothing was changed. */
export class LayoutDirectoryError extends FluxOpsError {
  override readonly name = 'LayoutDirectoryError';
  constructor(readonly dir: string) {
    super('layout-directory', `${dir} is not empty and not an OCI image layout (no oci-layout file); choose a new or empty directory`);
  }
}

/**
 * An OCI image layout directory being written: blobs go to `blobs/sha256/<hex>` as they are
 * added; {@link OciLayoutWriter.finish} writes `oci-layout` and `index.json` last, so a layout
 * with an `index.json` is complete.
 */
export class OciLayoutWriter {
  /** Directory holding the blobs (`<dir>/blobs/sha256`). */
  readonly blobDir: string;

  private constructor(readonly dir: string) {
    this.blobDir = path.join(dir, 'blobs', 'sha256');
  }

  /**
   * Starts a layout in `dir`, replacing the layout that was there. Refuses a non-empty directory
   * that is not an OCI layout ({@link LayoutDirectoryError}): its `blobs/` would be deleted.
   */
  static async create(dir: string): Promise<OciLayoutWriter> {
    const existing = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    if (existing.length > 0 && !existing.includes('oci-layout')) throw new LayoutDirectoryError(dir);
    await fs.rm(path.join(dir, 'index.json'), { force: true });
    await fs.rm(path.join(dir, 'blobs'), { recursive: true, force: true });
    await fs.mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    return new OciLayoutWriter(dir);
  }

  /** Writes a small blob (a JSON document) and returns its descriptor. */
  async addBlob(mediaType: string, data: Buffer, extra: Pick<OciDescriptor, 'platform' | 'annotations'> = {}): Promise<OciDescriptor> {
    const digest = sha256Digest(data);
    await fs.writeFile(path.join(this.blobDir, digestHex(digest)), data);
    return descriptor({ mediaType, digest, size: data.length, ...extra });
  }

  /** Writes `oci-layout` and `index.json` pointing at `top` under the name `ref`. */
  async finish(top: OciDescriptor, ref: string): Promise<void> {
    await fs.writeFile(path.join(this.dir, 'oci-layout'), documentBytes({ imageLayoutVersion: '1.0.0' }));
    await fs.writeFile(path.join(this.dir, 'index.json'), documentBytes(layoutIndexDocument(top, ref)));
  }
}
