import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findLeaks, serverNames, snapshotServers } from '../support/leak-check';
import {
  getBlob,
  getImageConfig,
  getManifest,
  headManifest,
  InvalidImageSpecError,
  listTags,
  MANIFEST_ACCEPT,
  NonLoopbackRegistryError,
  OCI_MEDIA_TYPES,
  pushImage,
  RegistryHttpError,
  startRegistry,
  type LocalRegistry,
} from '../../dev/registry';

describe('local OCI registry (docker-registry + skopeo)', () => {
  let registry: LocalRegistry | undefined;
  const reg = (): LocalRegistry => {
    if (!registry) throw new Error('registry not started');
    return registry;
  };

  beforeAll(async () => {
    registry = await startRegistry();
  });

  afterAll(async () => {
    // Stops the registry even when a test failed; stop() is idempotent.
    await registry?.stop();
  });

  it('serves the v2 API on 127.0.0.1 only', async () => {
    expect(reg().host).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`${reg().url}/v2/`);
    expect(res.status).toBe(200);
    expect(fs.readFileSync(path.join(reg().stateDir, 'config.yml'), 'utf8')).toContain(`addr: 127.0.0.1:${reg().port}`);
  });

  it('lists pushed tags', async () => {
    await pushImage(reg().host, 'edge/tags', '1.0.0', { platforms: ['linux/arm64'], kind: 'manifest' });
    await pushImage(reg().host, 'edge/tags', '1.1.0', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    await pushImage(reg().host, 'edge/tags', 'latest', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    expect(await listTags(reg().host, 'edge/tags')).toEqual(['1.0.0', '1.1.0', 'latest']);
  });

  it('serves a multi-arch index whose children and configs report their architecture', async () => {
    const pushed = await pushImage(reg().host, 'edge/podinfo', '6.5.0', {
      platforms: ['linux/amd64', 'linux/arm64'],
      kind: 'index',
      labels: { 'org.opencontainers.image.version': '6.5.0' },
    });
    expect(pushed.digest).toMatch(/^sha256:[a-f0-9]{64}$/);

    const top = await getManifest(reg().host, 'edge/podinfo', '6.5.0', MANIFEST_ACCEPT.index);
    expect(top.kind).toBe('index');
    expect(top.mediaType).toBe(OCI_MEDIA_TYPES.index);
    expect(top.digest).toBe(pushed.digest);
    if (top.kind !== 'index') throw new Error('expected an index');
    expect(top.index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);

    for (const entry of top.index.manifests) {
      const arch = entry.platform?.architecture;
      expect(entry.digest).toBe(pushed.manifestDigests[`linux/${arch}` as 'linux/amd64' | 'linux/arm64']);
      const child = await getManifest(reg().host, 'edge/podinfo', entry.digest, MANIFEST_ACCEPT.manifest);
      if (child.kind !== 'manifest') throw new Error('expected an image manifest');
      expect(child.digest).toBe(entry.digest);
      const config = await getImageConfig(reg().host, 'edge/podinfo', child.manifest.config.digest);
      expect(config.architecture).toBe(arch);
      expect(config.os).toBe('linux');
      expect(config.config?.Labels).toEqual({ 'org.opencontainers.image.version': '6.5.0' });
      expect(config.rootfs.diff_ids).toHaveLength(1);
      const layer = await getBlob(reg().host, 'edge/podinfo', child.manifest.layers[0]?.digest ?? '');
      expect(layer.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
    }
  });

  it('keeps amd64-only, arm64-only and single-manifest images distinguishable', async () => {
    const amd = await pushImage(reg().host, 'edge/variants', 'amd64-only', { platforms: ['linux/amd64'], kind: 'index' });
    const arm = await pushImage(reg().host, 'edge/variants', 'arm64-only', { platforms: ['linux/arm64'], kind: 'index' });
    const single = await pushImage(reg().host, 'edge/variants', 'single', { platforms: ['linux/arm64'], kind: 'manifest' });

    const platformsOf = async (tag: string): Promise<string[]> => {
      const m = await getManifest(reg().host, 'edge/variants', tag, MANIFEST_ACCEPT.any);
      if (m.kind !== 'index') throw new Error(`${tag} is not an index`);
      return m.index.manifests.map((d) => `${d.platform?.os}/${d.platform?.architecture}`);
    };
    expect(await platformsOf('amd64-only')).toEqual(['linux/amd64']);
    expect(await platformsOf('arm64-only')).toEqual(['linux/arm64']);

    const s = await getManifest(reg().host, 'edge/variants', 'single', MANIFEST_ACCEPT.any);
    expect(s.kind).toBe('manifest');
    expect(s.mediaType).toBe(OCI_MEDIA_TYPES.manifest);
    expect(s.digest).toBe(single.digest);
    expect(single.digest).toBe(single.manifestDigests['linux/arm64']);
    if (s.kind !== 'manifest') throw new Error('expected an image manifest');
    expect((await getImageConfig(reg().host, 'edge/variants', s.manifest.config.digest)).architecture).toBe('arm64');

    expect(new Set([amd.digest, arm.digest, single.digest]).size).toBe(3);
    expect(await headManifest(reg().host, 'edge/variants', 'amd64-only', OCI_MEDIA_TYPES.index)).toBe(amd.digest);
  });

  it('moves a re-pushed tag to the new digest', async () => {
    const first = await pushImage(reg().host, 'edge/moving', 'stable', { platforms: ['linux/arm64'], kind: 'index', content: 'build 1' });
    const again = await pushImage(reg().host, 'edge/moving', 'stable', { platforms: ['linux/arm64'], kind: 'index', content: 'build 1' });
    expect(again.digest).toBe(first.digest); // deterministic layout
    const second = await pushImage(reg().host, 'edge/moving', 'stable', { platforms: ['linux/arm64'], kind: 'index', content: 'build 2' });
    expect(second.digest).not.toBe(first.digest);
    expect(await headManifest(reg().host, 'edge/moving', 'stable')).toBe(second.digest);
  });

  it('reports unknown repositories and refuses bad input before pushing', async () => {
    await expect(listTags(reg().host, 'edge/never-pushed')).rejects.toMatchObject({ name: 'RegistryHttpError', status: 404, code: 'NAME_UNKNOWN' });
    await expect(listTags(reg().host, 'edge/never-pushed')).rejects.toBeInstanceOf(RegistryHttpError);
    expect(await headManifest(reg().host, 'edge/tags', 'no-such-tag')).toBeUndefined();
    await expect(pushImage(reg().host, 'edge/bad', 'x', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'manifest' })).rejects.toBeInstanceOf(
      InvalidImageSpecError,
    );
    await expect(pushImage('registry.example.com', 'edge/bad', 'x', { platforms: ['linux/amd64'], kind: 'index' })).rejects.toBeInstanceOf(
      NonLoopbackRegistryError,
    );
    await expect(listTags(reg().host, 'edge/bad')).rejects.toMatchObject({ status: 404 });
  });

  it('stops: the registry process is gone, none of its ports accepts connections, the temp dir is removed', async () => {
    const r = reg();
    const snapshot = snapshotServers([r.pid]);
    expect(serverNames(snapshot)).toEqual(['docker-registry']);
    expect(snapshot.ports).toContain(r.port);
    expect((await findLeaks(snapshot)).ports).toEqual(snapshot.ports);
    await r.stop();
    expect(await findLeaks(snapshot)).toEqual({ processes: [], ports: [] });
    expect(fs.existsSync(r.stateDir)).toBe(false);
    await r.stop(); // idempotent
  });
});

describe('local OCI registry with a state dir', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-registry-state-test-'));
  const started: LocalRegistry[] = [];

  afterAll(async () => {
    try {
      for (const r of started) await r.stop();
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('keeps images across a restart and leaves the state dir in place', async () => {
    const first = await startRegistry({ stateDir });
    started.push(first);
    const firstServers = snapshotServers([first.pid]);
    expect(firstServers.ports).toContain(first.port);
    const pushed = await pushImage(first.host, 'demo/app', 'v1', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    await first.stop();
    expect(await findLeaks(firstServers)).toEqual({ processes: [], ports: [] });
    expect(fs.existsSync(path.join(stateDir, 'storage'))).toBe(true);

    const second = await startRegistry({ stateDir });
    started.push(second);
    expect(await listTags(second.host, 'demo/app')).toEqual(['v1']);
    expect(await headManifest(second.host, 'demo/app', 'v1')).toBe(pushed.digest);
    const secondServers = snapshotServers([second.pid]);
    expect(serverNames(secondServers)).toEqual(['docker-registry']);
    await second.stop();
    expect(await findLeaks(secondServers)).toEqual({ processes: [], ports: [] });
  });
});
