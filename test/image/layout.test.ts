import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  documentBytes,
  imageConfigDocument,
  imageIndexDocument,
  LayoutDirectoryError,
  OCI_MEDIA_TYPES,
  OciLayoutWriter,
  sha256Digest,
} from '../../image/oci/layout';

describe('OCI documents', () => {
  it('are the same bytes whatever order labels, annotations and volumes were given in', () => {
    const spec = (labels: Record<string, string>, volumes: string[]) =>
      documentBytes(
        imageConfigDocument({
          platform: { os: 'linux', architecture: 'arm64' },
          diffIds: ['sha256:aa'],
          created: '1970-01-01T00:00:00Z',
          config: { user: '65532:65532', entrypoint: ['/usr/local/bin/node'], labels, volumes },
          history: [{ createdBy: 'test' }],
        }),
      );
    expect(spec({ b: '2', a: '1' }, ['/y', '/x']).equals(spec({ a: '1', b: '2' }, ['/x', '/y']))).toBe(true);
    expect(JSON.parse(spec({ b: '2', a: '1' }, []).toString())).toEqual({
      created: '1970-01-01T00:00:00Z',
      architecture: 'arm64',
      os: 'linux',
      config: { User: '65532:65532', Entrypoint: ['/usr/local/bin/node'], Labels: { a: '1', b: '2' } },
      rootfs: { type: 'layers', diff_ids: ['sha256:aa'] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'test' }],
    });
    const m = { mediaType: OCI_MEDIA_TYPES.manifest, digest: 'sha256:bb', size: 1, platform: { os: 'linux', architecture: 'amd64' } };
    expect(documentBytes(imageIndexDocument([m], { z: '1', a: '2' })).toString()).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":1,"platform":{"architecture":"amd64","os":"linux"}}],"annotations":{"a":"2","z":"1"}}',
    );
  });
});

describe('OciLayoutWriter', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-layout-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes blobs under their digest and index.json last, and replaces an earlier layout', async () => {
    const dir = path.join(tmp, 'oci');
    const w = await OciLayoutWriter.create(dir);
    const d = await w.addBlob(OCI_MEDIA_TYPES.config, Buffer.from('{}'));
    expect(fs.existsSync(path.join(dir, 'index.json'))).toBe(false);
    await w.finish(d, 'v1');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')).manifests[0]).toEqual({ ...d, annotations: { 'org.opencontainers.image.ref.name': 'v1' } });
    expect(sha256Digest(fs.readFileSync(path.join(dir, 'blobs/sha256', d.digest.slice(7))))).toBe(d.digest);
    await OciLayoutWriter.create(dir);
    expect(fs.readdirSync(path.join(dir, 'blobs/sha256'))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'index.json'))).toBe(false);
  });

  it('refuses a non-empty directory that is not a layout, changing nothing', async () => {
    fs.mkdirSync(path.join(tmp, 'blobs'));
    fs.writeFileSync(path.join(tmp, 'blobs', 'precious'), 'x');
    await expect(OciLayoutWriter.create(tmp)).rejects.toBeInstanceOf(LayoutDirectoryError);
    expect(fs.readFileSync(path.join(tmp, 'blobs', 'precious'), 'utf8')).toBe('x');
  });
});
