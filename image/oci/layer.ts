import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { FluxOpsError } from '../../errors';
import { digestHex, OCI_MEDIA_TYPES, type OciDescriptor } from './layout';
import { normalizeTarPath, tarChunks, tarEntrySize, type TarEntry } from './tar';

/**
 * Image layers: an entry list becomes a sorted, complete tree, then a gzip-compressed tar blob
 * with its digests. The blob is streamed (layers hold hundreds of MB of binaries), and compressed
 * blobs are cached by the digest of their uncompressed tar, so a rebuild where only the FluxOps
 * sources changed compresses only that layer.
 */

/** A finished layer blob. */
export interface LayerBlob {
  /** Descriptor of the compressed blob (what the manifest lists). */
  readonly descriptor: OciDescriptor;
  /** sha256 of the uncompressed tar (what the config's `rootfs.diff_ids` lists). */
  readonly diffId: string;
  /** Size of the uncompressed tar in bytes. */
  readonly uncompressedSize: number;
  /** Number of entries in the tar. */
  readonly entries: number;
  /** True when the compressed blob came from the layer cache. */
  readonly cached: boolean;
}

/** Two entries of one layer with the same path. */
export class DuplicateLayerEntryError extends FluxOpsError {
  override readonly name = 'DuplicateLayerEntryError';
  constructor(
    readonly layer: string,
    readonly entryPath: string,
  ) {
    super('duplicate-layer-entry', `layer ${layer}: two entries for ${JSON.stringify(entryPath)}`);
  }
}

/** The uncompressed tar changed between the two passes over it (a source file changed during the build). */
export class LayerChangedError extends FluxOpsError {
  override readonly name = 'LayerChangedError';
  constructor(
    readonly layer: string,
    readonly expectedDiffId: string,
    readonly actualDiffId: string,
  ) {
    super('layer-changed', `layer ${layer}: its files changed while it was written (${expectedDiffId} then ${actualDiffId}); build again`);
  }
}

/** Options of {@link writeLayer}. */
export interface WriteLayerOptions {
  /** Name used in errors and progress (`base`, `node`, ...). */
  readonly name: string;
  /** Directory the compressed blob is written to, as `<hex of its digest>` (a layout's `blobs/sha256`). */
  readonly blobDir: string;
  /**
   * Cache of compressed layers keyed by their uncompressed digest, the gzip level and the zlib
   * version (so a cached blob is exactly what compressing now would give). @default no cache
   */
  readonly cacheDir?: string;
  /** gzip level 1-9. @default 6 (zlib's default: most of level 9's ratio at a fraction of its time) */
  readonly gzipLevel?: number;
}

/**
 * Sorts entries into archive order (each directory before its contents, siblings by code point)
 * and adds missing parent directories (root-owned, 0755). Throws {@link DuplicateLayerEntryError}.
 */
export function completeLayerEntries(layer: string, entries: readonly TarEntry[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const entry of entries) {
    const key = normalizeTarPath(entry.path, entry.type).replace(/\/$/, '');
    if (byPath.has(key)) throw new DuplicateLayerEntryError(layer, key);
    byPath.set(key, entry);
  }
  for (const key of [...byPath.keys()]) {
    const segments = key.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (!byPath.has(parent)) byPath.set(parent, { type: 'dir', path: parent });
    }
  }
  return [...byPath.entries()].sort(([a], [b]) => comparePaths(a, b)).map(([, e]) => e);
}

/** Orders paths segment by segment, so `a/b` and `a/b/c` stay together before `a/b-c`. */
function comparePaths(a: string, b: string): number {
  const sa = a.split('/');
  const sb = b.split('/');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i] as string;
    const y = sb[i] as string;
    if (x !== y) return Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));
  }
  return sa.length - sb.length;
}

/**
 * Writes one gzip layer for `entries` (already complete and ordered, see
 * {@link completeLayerEntries}) into `blobDir`, using and filling the cache when one is given.
 */
export async function writeLayer(entries: readonly TarEntry[], opts: WriteLayerOptions): Promise<LayerBlob> {
  const level = opts.gzipLevel ?? 6;
  const cacheKey = (diffId: string) => `${digestHex(diffId)}-gzip${level}-zlib${process.versions.zlib}`;
  let expectedDiffId: string | undefined;
  await fs.mkdir(opts.blobDir, { recursive: true });
  if (opts.cacheDir) {
    const first = await hashTar(entries);
    expectedDiffId = first.diffId;
    const hit = await readCachedLayer(opts.cacheDir, cacheKey(first.diffId));
    if (hit) {
      await placeBlob(hit.file, path.join(opts.blobDir, digestHex(hit.digest)));
      return {
        descriptor: { mediaType: OCI_MEDIA_TYPES.layerTarGzip, digest: hit.digest, size: hit.size },
        diffId: first.diffId,
        uncompressedSize: first.size,
        entries: entries.length,
        cached: true,
      };
    }
  }

  const tmp = path.join(opts.blobDir, `.tmp-${opts.name}-${process.pid}`);
  const raw = createHash('sha256');
  const gz = createHash('sha256');
  let rawSize = 0;
  let gzSize = 0;
  try {
    await pipeline(
      tarChunks(entries),
      async function* countRaw(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          raw.update(chunk);
          rawSize += chunk.length;
          yield chunk;
        }
      },
      // zlib writes a fixed gzip header (mtime 0, no file name), so equal input gives equal bytes.
      createGzip({ level }),
      async function* countGzip(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          gz.update(chunk);
          gzSize += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(tmp),
    );
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const diffId = `sha256:${raw.digest('hex')}`;
  const digest = `sha256:${gz.digest('hex')}`;
  if (expectedDiffId !== undefined && expectedDiffId !== diffId) {
    await fs.rm(tmp, { force: true });
    throw new LayerChangedError(opts.name, expectedDiffId, diffId);
  }
  const blobPath = path.join(opts.blobDir, digestHex(digest));
  await fs.rename(tmp, blobPath);
  if (opts.cacheDir) await storeCachedLayer(opts.cacheDir, cacheKey(diffId), blobPath, { digest, size: gzSize });
  return {
    descriptor: { mediaType: OCI_MEDIA_TYPES.layerTarGzip, digest, size: gzSize },
    diffId,
    uncompressedSize: rawSize,
    entries: entries.length,
    cached: false,
  };
}

/** Total content bytes of `entries` (a quick size estimate before streaming). */
export function layerContentBytes(entries: readonly TarEntry[]): number {
  return entries.reduce((n, e) => n + tarEntrySize(e), 0);
}

async function hashTar(entries: readonly TarEntry[]): Promise<{ diffId: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of tarChunks(entries)) {
    h.update(chunk);
    size += chunk.length;
  }
  return { diffId: `sha256:${h.digest('hex')}`, size };
}

interface CachedLayer {
  readonly digest: string;
  readonly size: number;
  readonly file: string;
}

async function readCachedLayer(cacheDir: string, key: string): Promise<CachedLayer | undefined> {
  let meta: { digest?: unknown; size?: unknown };
  try {
    meta = JSON.parse(await fs.readFile(path.join(cacheDir, `${key}.json`), 'utf8')) as { digest?: unknown; size?: unknown };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const file = path.join(cacheDir, `${key}.tar.gz`);
  if (typeof meta.digest !== 'string' || typeof meta.size !== 'number') return undefined;
  const stat = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  // A truncated cache file (machine crashed mid-copy) is a miss, not a broken image.
  if (!stat || stat.size !== meta.size) return undefined;
  return { digest: meta.digest, size: meta.size, file };
}

async function storeCachedLayer(cacheDir: string, key: string, blobPath: string, meta: { digest: string; size: number }): Promise<void> {
  await fs.mkdir(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${key}.tar.gz`);
  await placeBlob(blobPath, file);
  // The metadata is written last: a cache entry exists only once its blob is complete.
  const tmp = path.join(cacheDir, `.${key}.json.${process.pid}`);
  await fs.writeFile(tmp, JSON.stringify(meta));
  await fs.rename(tmp, path.join(cacheDir, `${key}.json`));
}

/** Hard-links `from` to `to` (same file system: no copy of hundreds of MB), else copies it. */
async function placeBlob(from: string, to: string): Promise<void> {
  await fs.rm(to, { force: true });
  try {
    await fs.link(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    const tmp = `${to}.tmp-${process.pid}`;
    await fs.copyFile(from, tmp);
    await fs.rename(tmp, to);
  }
}
