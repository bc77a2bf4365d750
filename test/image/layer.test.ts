import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { completeLayerEntries, DuplicateLayerEntryError, writeLayer } from '../../image/oci/layer';
import { sha256Digest } from '../../image/oci/layout';
import type { TarEntry } from '../../image/oci/tar';

describe('completeLayerEntries', () => {
  it('orders each directory before its contents, siblings by code point, and adds missing parents', () => {
    const entries = completeLayerEntries('t', [
      { type: 'file', path: 'usr/bin/git', content: '' },
      { type: 'file', path: 'usr/bin-extra', content: '' },
      { type: 'symlink', path: 'bin/sh', target: 'dash' },
      { type: 'dir', path: 'tmp', mode: 0o1777 },
      { type: 'file', path: 'usr/bin/Z', content: '' },
    ]);
    expect(entries.map((e) => `${e.type}:${e.path}`)).toEqual([
      'dir:bin',
      'symlink:bin/sh',
      'dir:tmp',
      'dir:usr',
      'dir:usr/bin',
      'file:usr/bin/Z',
      'file:usr/bin/git',
      'file:usr/bin-extra',
    ]);
    // An explicit directory keeps its own mode.
    expect(entries.find((e) => e.path === 'tmp')?.mode).toBe(0o1777);
  });

  it('rejects two entries for one path, naming the layer and the path', () => {
    const err = (() => {
      try {
        completeLayerEntries('base', [
          { type: 'file', path: '/etc/passwd', content: 'a' },
          { type: 'file', path: 'etc/passwd', content: 'b' },
        ]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DuplicateLayerEntryError);
    expect(err).toMatchObject({ code: 'duplicate-layer-entry', layer: 'base', entryPath: 'etc/passwd' });
  });
});

describe('writeLayer', () => {
  let tmp: string;
  let entries: TarEntry[];
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-layer-'));
    // A few MB of mixed content, so deflate's state crosses many internal blocks.
    const file = path.join(tmp, 'payload');
    const data = Buffer.alloc(6 << 20);
    let x = 12345;
    for (let i = 0; i < data.length; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      data[i] = i % 3 === 0 ? x & 0xff : 65 + (i % 26);
    }
    fs.writeFileSync(file, data);
    entries = completeLayerEntries('t', [
      { type: 'file', path: 'opt/payload', content: { kind: 'host-file', path: file, size: data.length } },
      { type: 'file', path: 'opt/note', content: 'hello\n' },
    ]);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('is reproducible without a cache: two cold writes give the same compressed digest', async () => {
    const a = await writeLayer(entries, { name: 't', blobDir: path.join(tmp, 'a') });
    const b = await writeLayer(entries, { name: 't', blobDir: path.join(tmp, 'b') });
    expect(b.descriptor.digest).toBe(a.descriptor.digest);
    expect(b.diffId).toBe(a.diffId);
    const blob = fs.readFileSync(path.join(tmp, 'a', a.descriptor.digest.slice(7)));
    expect(sha256Digest(blob)).toBe(a.descriptor.digest);
    expect(blob.length).toBe(a.descriptor.size);
    // gzip header: no mtime, so nothing of the clock is in the blob.
    expect(blob.readUInt32LE(4)).toBe(0);
    const tar = gunzipSync(blob);
    expect(sha256Digest(tar)).toBe(a.diffId);
    expect(tar.length).toBe(a.uncompressedSize);
  });

  it('reuses a cached compressed blob for the same tar and level, and compresses again for another level', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const cold = await writeLayer(entries, { name: 't', blobDir: path.join(tmp, 'a'), cacheDir });
    const warm = await writeLayer(entries, { name: 't', blobDir: path.join(tmp, 'b'), cacheDir });
    expect(cold.cached).toBe(false);
    expect(warm.cached).toBe(true);
    expect(warm.descriptor).toEqual(cold.descriptor);
    const placed = path.join(tmp, 'b', warm.descriptor.digest.slice(7));
    expect(createHash('sha256').update(fs.readFileSync(placed)).digest('hex')).toBe(warm.descriptor.digest.slice(7));
    const other = await writeLayer(entries, { name: 't', blobDir: path.join(tmp, 'c'), cacheDir, gzipLevel: 1 });
    expect(other.cached).toBe(false);
    expect(other.diffId).toBe(cold.diffId);
    expect(other.descriptor.digest).not.toBe(cold.descriptor.digest);
  });

  it('treats a truncated cache blob as a miss', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const cold = await writeLayer(entries, { name: 't', blobDir: path.join(tmp, 'a'), cacheDir });
    const cached = fs.readdirSync(cacheDir).find((f) => f.endsWith('.tar.gz')) as string;
    // The layout's blob may be a hard link of the cache file: replace, do not write through it.
    const truncated = fs.readFileSync(path.join(cacheDir, cached)).subarray(0, 100);
    fs.rmSync(path.join(cacheDir, cached));
    fs.writeFileSync(path.join(cacheDir, cached), truncated);
    const again = await writeLayer(entries, { name: 't', blobDir: path.join(tmp, 'b'), cacheDir });
    expect(again.cached).toBe(false);
    expect(again.descriptor.digest).toBe(cold.descriptor.digest);
  });
});
