import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { parseLog } from '../../dev/git/remote-log';
import {
  baseUrl,
  buildImageLayout,
  createTar,
  InvalidImageSpecError,
  InvalidTarEntryError,
  NonLoopbackRegistryError,
  OCI_MEDIA_TYPES,
  registryConfig,
  sha256Digest,
  writeImageLayout,
  type ImageSpec,
} from '../../dev/registry';

const multiArch: ImageSpec = { repo: 'edge/podinfo', tag: '6.5.0', platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' };

function blobJson(layout: ReturnType<typeof buildImageLayout>, digest: string): Record<string, unknown> {
  const blob = layout.blobs.get(digest);
  if (!blob) throw new Error(`missing blob ${digest}`);
  return JSON.parse(blob.toString('utf8')) as Record<string, unknown>;
}

describe('sha256Digest', () => {
  it('formats sha256:<hex>', () => {
    expect(sha256Digest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Digest(Buffer.from('abc'))).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('createTar', () => {
  it('writes ustar headers with valid checksums, padded content and two end blocks', () => {
    const tar = createTar([
      { type: 'dir', path: '/app' },
      { type: 'file', path: 'app/version.txt', content: 'hello\n' },
    ]);
    expect(tar.length % 512).toBe(0);
    expect(tar.length).toBe(512 + 512 + 512 + 1024);
    const h1 = tar.subarray(0, 512);
    const h2 = tar.subarray(512, 1024);
    expect(h1.toString('ascii', 0, 5)).toBe('app/\0');
    expect(h1.toString('ascii', 156, 157)).toBe('5');
    expect(h2.toString('ascii', 0, 15)).toBe('app/version.txt');
    expect(h2.toString('ascii', 156, 157)).toBe('0');
    expect(parseInt(h2.toString('ascii', 124, 135), 8)).toBe(6);
    expect(h2.toString('ascii', 257, 263)).toBe('ustar\0');
    for (const h of [h1, h2]) {
      const stored = parseInt(h.toString('ascii', 148, 154), 8);
      const copy = Buffer.from(h);
      copy.fill(0x20, 148, 156);
      expect(copy.reduce((a, b) => a + b, 0)).toBe(stored);
    }
    expect(tar.toString('utf8', 1024, 1030)).toBe('hello\n');
    expect(tar.subarray(tar.length - 1024).every((b) => b === 0)).toBe(true);
  });

  it('is deterministic and refuses paths it cannot represent', () => {
    const entries = [{ type: 'file', path: 'a', content: 'x' }] as const;
    expect(createTar(entries).equals(createTar(entries))).toBe(true);
    expect(() => createTar([{ type: 'file', path: '../etc/passwd', content: '' }])).toThrow(InvalidTarEntryError);
    expect(() => createTar([{ type: 'file', path: 'a/./b', content: '' }])).toThrow(InvalidTarEntryError);
  });
});

describe('buildImageLayout', () => {
  it('builds an index listing one manifest per platform with matching configs and layers', () => {
    const layout = buildImageLayout({ ...multiArch, labels: { 'z.label': '1', 'a.label': '2' } });
    expect(layout.top.mediaType).toBe(OCI_MEDIA_TYPES.index);
    for (const [digest, blob] of layout.blobs) expect(sha256Digest(blob)).toBe(digest);

    const index = blobJson(layout, layout.top.digest) as { mediaType: string; manifests: Array<{ digest: string; size: number; platform: unknown }> };
    expect(index.mediaType).toBe(OCI_MEDIA_TYPES.index);
    expect(index.manifests.map((m) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);

    layout.images.forEach((image, i) => {
      expect(index.manifests[i]?.digest).toBe(image.manifest.digest);
      expect(index.manifests[i]?.size).toBe(layout.blobs.get(image.manifest.digest)?.length);
      const manifest = blobJson(layout, image.manifest.digest) as { config: { digest: string; mediaType: string }; layers: Array<{ digest: string; mediaType: string }> };
      expect(manifest.config).toMatchObject({ digest: image.config.digest, mediaType: OCI_MEDIA_TYPES.config });
      expect(manifest.layers).toEqual([expect.objectContaining({ digest: image.layer.digest, mediaType: OCI_MEDIA_TYPES.layerTarGzip })]);

      const config = blobJson(layout, image.config.digest) as { architecture: string; os: string; rootfs: { diff_ids: string[] }; config: { Labels: Record<string, string> } };
      expect(config.architecture).toBe(image.platform.split('/')[1]);
      expect(config.os).toBe('linux');
      const tar = gunzipSync(layout.blobs.get(image.layer.digest) as Buffer);
      expect(config.rootfs.diff_ids).toEqual([sha256Digest(tar)]);
      expect(image.diffId).toBe(sha256Digest(tar));
      expect(tar.toString('utf8')).toContain(`edge/podinfo:6.5.0 ${image.platform}`);
      expect(Object.keys(config.config.Labels)).toEqual(['a.label', 'z.label']);
    });

    const indexJson = JSON.parse(layout.indexJson.toString('utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    expect(indexJson.manifests).toEqual([
      expect.objectContaining({ digest: layout.top.digest, annotations: { 'org.opencontainers.image.ref.name': '6.5.0' } }),
    ]);
    expect(JSON.parse(layout.ociLayout.toString('utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
  });

  it('builds a single plain manifest for kind manifest', () => {
    const layout = buildImageLayout({ repo: 'edge/app', tag: 'v1', platforms: ['linux/arm64'], kind: 'manifest' });
    expect(layout.top.mediaType).toBe(OCI_MEDIA_TYPES.manifest);
    expect(layout.top.digest).toBe(layout.images[0]?.manifest.digest);
    expect(layout.top.platform).toBeUndefined();
    expect([...layout.blobs.values()].some((b) => b.toString('utf8').includes(OCI_MEDIA_TYPES.index))).toBe(false);
  });

  it('is deterministic; content, platforms and kind change the digest', () => {
    const a = buildImageLayout(multiArch);
    expect(buildImageLayout(multiArch).top.digest).toBe(a.top.digest);
    expect(buildImageLayout({ ...multiArch, content: 'build 2' }).top.digest).not.toBe(a.top.digest);
    const amd = buildImageLayout({ ...multiArch, platforms: ['linux/amd64'] });
    const arm = buildImageLayout({ ...multiArch, platforms: ['linux/arm64'] });
    const single = buildImageLayout({ ...multiArch, platforms: ['linux/arm64'], kind: 'manifest' });
    expect(new Set([a.top.digest, amd.top.digest, arm.top.digest, single.top.digest]).size).toBe(4);
    // The arm64 image inside the multi-arch index is the same manifest as the arm64-only index's child.
    expect(a.images[1]?.manifest.digest).toBe(arm.images[0]?.manifest.digest);
  });

  it('records the variant for 32-bit arm', () => {
    const layout = buildImageLayout({ ...multiArch, platforms: ['linux/arm/v7'] });
    expect(layout.images[0]?.manifest.platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it.each<[string, Partial<ImageSpec>, string]>([
    ['uppercase repo', { repo: 'Edge/App' }, 'repo'],
    ['empty repo', { repo: '' }, 'repo'],
    ['repo with ..', { repo: 'edge/../x' }, 'repo'],
    ['tag with colon', { tag: 'v1:2' }, 'tag'],
    ['tag starting with a dot', { tag: '.v1' }, 'tag'],
    ['no platforms', { platforms: [] }, 'platforms'],
    ['duplicate platforms', { platforms: ['linux/arm64', 'linux/arm64'] }, 'platforms'],
    ['unknown platform', { platforms: ['windows/amd64' as 'linux/amd64'] }, 'platforms'],
    ['manifest with two platforms', { kind: 'manifest' }, 'platforms'],
    ['unknown kind', { kind: 'list' as 'index' }, 'kind'],
    ['bad label key', { labels: { ' bad': 'x' } }, 'labels. bad'],
  ])('rejects %s', (_name, override, field) => {
    let caught: unknown;
    try {
      buildImageLayout({ ...multiArch, ...override });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidImageSpecError);
    expect((caught as InvalidImageSpecError).field).toBe(field);
  });
});

describe('writeImageLayout', () => {
  it('writes oci-layout, index.json and every blob under blobs/sha256', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-layout-test-'));
    try {
      const layout = buildImageLayout(multiArch);
      await writeImageLayout(dir, layout);
      expect(fs.readFileSync(path.join(dir, 'index.json')).equals(layout.indexJson)).toBe(true);
      expect(fs.existsSync(path.join(dir, 'oci-layout'))).toBe(true);
      const files = fs.readdirSync(path.join(dir, 'blobs', 'sha256')).sort();
      expect(files).toEqual([...layout.blobs.keys()].map((d) => d.slice('sha256:'.length)).sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('registryConfig', () => {
  it('binds loopback, enables delete, and configures no auth, notifications or reporting', () => {
    const cfg = parseYaml(registryConfig('/tmp/x/storage', 5123)) as Record<string, Record<string, unknown>>;
    expect(cfg.version).toBe('0.1');
    expect(cfg.http?.addr).toBe('127.0.0.1:5123');
    expect(cfg.http?.debug).toBeUndefined();
    expect(cfg.storage).toMatchObject({ filesystem: { rootdirectory: '/tmp/x/storage' }, delete: { enabled: true } });
    expect(cfg.log).toMatchObject({ level: 'warn' });
    for (const key of ['auth', 'notifications', 'reporting', 'proxy', 'redis']) expect(cfg[key]).toBeUndefined();
  });
});

describe('baseUrl', () => {
  it.each(['127.0.0.1:5000', 'localhost:5000', '[::1]:5000'])('accepts loopback %s', (host) => {
    expect(baseUrl(host)).toBe(`http://${host}`);
  });
  it.each(['registry.example.com', '10.0.0.5:5000', '127.0.0.1', 'http://127.0.0.1:5000'])('refuses %s', (host) => {
    expect(() => baseUrl(host)).toThrow(NonLoopbackRegistryError);
  });
});

describe('parseLog', () => {
  it('parses subject, body, identities and files', () => {
    const RS = '\x1e';
    const US = '\x1f';
    const out =
      `${RS}bbb${US}aaa${US}A${US}a@x${US}2024-01-01T00:00:00+00:00${US}C${US}c@x${US}2024-01-02T00:00:00+00:00${US}chore: bump${US}line 1\nline 2\n${US}\n\nsites/a.yaml\nsites/b.yaml\n` +
      `${RS}aaa${US}${US}A${US}a@x${US}2024-01-01T00:00:00+00:00${US}A${US}a@x${US}2024-01-01T00:00:00+00:00${US}init${US}${US}\n\nREADME.md\n`;
    expect(parseLog(out)).toEqual([
      {
        sha: 'bbb',
        parents: ['aaa'],
        subject: 'chore: bump',
        body: 'line 1\nline 2',
        author: { name: 'A', email: 'a@x', date: '2024-01-01T00:00:00+00:00' },
        committer: { name: 'C', email: 'c@x', date: '2024-01-02T00:00:00+00:00' },
        files: ['sites/a.yaml', 'sites/b.yaml'],
      },
      {
        sha: 'aaa',
        parents: [],
        subject: 'init',
        body: '',
        author: { name: 'A', email: 'a@x', date: '2024-01-01T00:00:00+00:00' },
        committer: { name: 'A', email: 'a@x', date: '2024-01-01T00:00:00+00:00' },
        files: ['README.md'],
      },
    ]);
  });
});
