import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  descriptor,
  documentBytes as json,
  imageIndexDocument,
  imageManifestDocument,
  layoutIndexDocument,
  OCI_MEDIA_TYPES,
  sha256Digest,
  sortedRecord,
  type OciDescriptor,
  type OciPlatform,
} from '../../image/oci/layout';
import { InvalidImageSpecError } from './errors';
import { createTar } from './tar';

/**
 * Builds real OCI image layouts (image-spec v1.0 "oci-layout" directories) in memory, so tests can
 * push multi-arch images without Docker. Pure: the same spec always yields the same bytes and digests.
 */

// The OCI documents and digests are the image builder's (image/oci/layout.ts), shared here.
export { OCI_MEDIA_TYPES, sha256Digest, type OciDescriptor, type OciPlatform };

/** Platforms the pusher can build images for (`os/architecture[/variant]`). */
export type ImagePlatform = 'linux/amd64' | 'linux/arm64' | 'linux/arm/v7';

/** Every {@link ImagePlatform}, for validation and table-driven tests. */
export const IMAGE_PLATFORMS: readonly ImagePlatform[] = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];

/**
 * What the tag points at: `index` = an OCI image index listing one manifest per platform (what
 * multi-arch builds publish, even for a single platform); `manifest` = one plain image manifest.
 */
export type ImageKind = 'index' | 'manifest';


/** What to build. */
export interface ImageSpec {
  /** Repository path, e.g. `edge/podinfo`. Used in the layer content only; it does not affect where it is pushed. */
  readonly repo: string;
  /** Tag; also the `org.opencontainers.image.ref.name` of the layout's entry. */
  readonly tag: string;
  /** One entry per platform image, no duplicates. `kind: 'manifest'` needs exactly one. */
  readonly platforms: readonly ImagePlatform[];
  readonly kind: ImageKind;
  /** Image config labels (`config.Labels`). @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Extra text written into `/app/version.txt`, for tests that need a tag to move to a new digest
   * while everything else stays equal. @default ''
   */
  readonly content?: string;
}

/** One platform's image inside a layout. */
export interface PlatformImage {
  readonly platform: ImagePlatform;
  readonly manifest: OciDescriptor;
  readonly config: OciDescriptor;
  readonly layer: OciDescriptor;
  /** sha256 of the uncompressed layer tar, as listed in the config's `rootfs.diff_ids`. */
  readonly diffId: string;
}

/** A complete image layout, ready to be written to a directory. */
export interface ImageLayout {
  /** Reference name of the single entry in `index.json` (equals the tag). */
  readonly ref: string;
  /** What the tag points at: the image index, or the single manifest for `kind: 'manifest'`. */
  readonly top: OciDescriptor;
  /** Platform images in the order of `spec.platforms`. */
  readonly images: readonly PlatformImage[];
  /** Every blob (layers, configs, manifests, index) by digest. */
  readonly blobs: ReadonlyMap<string, Buffer>;
  /** Contents of the layout's `index.json`. */
  readonly indexJson: Buffer;
  /** Contents of the layout's `oci-layout` marker file. */
  readonly ociLayout: Buffer;
}

const REPO_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_.\-/]*$/;
/** Fixed timestamp: image configs must not depend on the clock, or digests would change every run. */
const EPOCH = '1970-01-01T00:00:00Z';

/** Splits `os/architecture[/variant]` into the OCI platform object. */
export function parsePlatform(platform: ImagePlatform): OciPlatform {
  if (!IMAGE_PLATFORMS.includes(platform)) {
    throw new InvalidImageSpecError('platforms', platform, `unsupported platform, expected one of ${IMAGE_PLATFORMS.join(', ')}`);
  }
  const [os, architecture, variant] = platform.split('/') as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Throws {@link InvalidImageSpecError} unless `repo` is a valid distribution repository name. */
export function validateRepository(repo: string): void {
  if (typeof repo !== 'string' || repo.length === 0 || repo.length > 255 || !repo.split('/').every((c) => REPO_COMPONENT.test(c))) {
    throw new InvalidImageSpecError('repo', repo, 'must be lowercase path components [a-z0-9] separated by "/", ".", "_", "__" or "-"');
  }
}

/** Throws {@link InvalidImageSpecError} unless `tag` is a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`). */
export function validateTag(tag: string): void {
  if (typeof tag !== 'string' || !TAG.test(tag)) {
    throw new InvalidImageSpecError('tag', tag, 'must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
  }
}

/** Throws {@link InvalidImageSpecError} for any invalid field of `spec`. */
export function validateImageSpec(spec: ImageSpec): void {
  validateRepository(spec.repo);
  validateTag(spec.tag);
  if (spec.kind !== 'index' && spec.kind !== 'manifest') {
    throw new InvalidImageSpecError('kind', spec.kind, "must be 'index' or 'manifest'");
  }
  if (!Array.isArray(spec.platforms) || spec.platforms.length === 0) {
    throw new InvalidImageSpecError('platforms', spec.platforms, 'must list at least one platform');
  }
  spec.platforms.forEach(parsePlatform);
  if (new Set(spec.platforms).size !== spec.platforms.length) {
    throw new InvalidImageSpecError('platforms', spec.platforms, 'must not contain duplicates');
  }
  if (spec.kind === 'manifest' && spec.platforms.length !== 1) {
    throw new InvalidImageSpecError('platforms', spec.platforms, "kind 'manifest' is a single-platform image and needs exactly one platform");
  }
  for (const [key, value] of Object.entries(spec.labels ?? {})) {
    if (!LABEL_KEY.test(key) || typeof value !== 'string') {
      throw new InvalidImageSpecError(`labels.${key}`, value, 'label keys must match [A-Za-z0-9][A-Za-z0-9_./-]* and values must be strings');
    }
  }
}

/** Builds the layout for `spec`. Throws {@link InvalidImageSpecError} before building anything if the spec is invalid. */
export function buildImageLayout(spec: ImageSpec): ImageLayout {
  validateImageSpec(spec);
  const blobs = new Map<string, Buffer>();
  const addBlob = (mediaType: string, data: Buffer, extra: Partial<OciDescriptor> = {}): OciDescriptor => {
    const digest = sha256Digest(data);
    blobs.set(digest, data);
    return { mediaType, digest, size: data.length, ...extra };
  };

  const images = spec.platforms.map((platform): PlatformImage => {
    const plat = parsePlatform(platform);
    const tar = createTar([
      { type: 'dir', path: 'app' },
      { type: 'file', path: 'app/version.txt', content: `${spec.repo}:${spec.tag} ${platform}\n${spec.content ?? ''}` },
    ]);
    const diffId = sha256Digest(tar);
    // Level 9 and zlib's fixed header (mtime 0) keep the compressed bytes stable too.
    const layer = addBlob(OCI_MEDIA_TYPES.layerTarGzip, gzipSync(tar, { level: 9 }));
    const config = addBlob(OCI_MEDIA_TYPES.config, json(imageConfig(plat, diffId, spec.labels)));
    const manifest = addBlob(OCI_MEDIA_TYPES.manifest, json(imageManifestDocument(config, [layer])), spec.kind === 'index' ? { platform: plat } : {});
    return { platform, manifest, config, layer, diffId };
  });

  const top =
    spec.kind === 'index'
      ? addBlob(OCI_MEDIA_TYPES.index, json(imageIndexDocument(images.map((i) => i.manifest))))
      : (images[0] as PlatformImage).manifest;

  const indexJson = json(layoutIndexDocument(top, spec.tag));
  return {
    ref: spec.tag,
    top: descriptor(top),
    images,
    blobs,
    indexJson,
    ociLayout: json({ imageLayoutVersion: '1.0.0' }),
  };
}

/** Writes `layout` as an OCI image layout directory at `dir` (created if missing). */
export async function writeImageLayout(dir: string, layout: ImageLayout): Promise<void> {
  const blobDir = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobDir, { recursive: true });
  await fs.writeFile(path.join(dir, 'oci-layout'), layout.ociLayout);
  for (const [digest, data] of layout.blobs) {
    await fs.writeFile(path.join(blobDir, digest.slice('sha256:'.length)), data);
  }
  await fs.writeFile(path.join(dir, 'index.json'), layout.indexJson);
}

function imageConfig(platform: OciPlatform, diffId: string, labels: Readonly<Record<string, string>> | undefined): object {
  return {
    created: EPOCH,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      WorkingDir: '/app',
      ...(labels && Object.keys(labels).length > 0 ? { Labels: sortedRecord(labels) } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: EPOCH, created_by: 'fluxops dev/registry pushImage' }],
  };
}
