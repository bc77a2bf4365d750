import { pushImage, startFaultProxy, startRegistry, type FaultProxy, type LocalRegistry, type PushedImage } from '../../../../dev/registry';
import { createTagPolicy, selectImage, type ImageSelection } from '../../../../reconciler/images/policy';
import { RegistryClient, RegistryInvalidResponseError } from '../../../../reconciler/images/registry';

/**
 * The selection pipeline on the real local registry: images pushed with skopeo as multi-arch
 * indexes, amd64-only and arm64-only builds; the registry client is the platform lookup.
 */

let registry: LocalRegistry | undefined;
const stoppable: Array<{ stop(): Promise<void> }> = [];
const pushed: Record<string, PushedImage> = {};
const reg = (): LocalRegistry => {
  if (!registry) throw new Error('registry not started');
  return registry;
};
const policy = createTagPolicy({ name: 'gateway', rule: { kind: 'semver', range: '^1.0.0' } });

beforeAll(async () => {
  registry = await startRegistry();
  stoppable.push(registry);
  const push = async (tag: string, platforms: Array<'linux/amd64' | 'linux/arm64'>, kind: 'index' | 'manifest', content = ''): Promise<void> => {
    pushed[tag] = await pushImage(reg().host, 'edge/gateway', tag, { platforms, kind, content });
  };
  await push('1.0.0', ['linux/amd64', 'linux/arm64'], 'index');
  await push('1.1.0', ['linux/arm64'], 'manifest');
  await push('1.2.0', ['linux/amd64', 'linux/arm64'], 'index');
  await push('1.3.0', ['linux/amd64'], 'index'); // amd64-only, newest semver
  await push('1.4.0-rc.1', ['linux/amd64', 'linux/arm64'], 'index');
  await push('1.5.0', ['linux/amd64'], 'manifest'); // amd64-only single manifest, named like a release
  await push('latest', ['linux/amd64', 'linux/arm64'], 'index');
}, 180_000);

afterAll(async () => {
  for (const s of stoppable.reverse()) await s.stop();
});

describe('selectImage with the registry client', () => {
  test('the newest tag that really provides linux/arm64 wins; amd64-only builds are reported with what they have', async () => {
    const repo = new RegistryClient().repository(`${reg().host}/edge/gateway`, { insecure: true });
    const tags = await repo.listTags();
    const r = await selectImage({ policy, tags, lookup: repo });
    expect(r).toMatchObject({
      outcome: 'selected',
      selected: { tag: '1.2.0', digest: pushed['1.2.0']?.digest, platforms: ['linux/amd64', 'linux/arm64'] },
      changed: true,
      lookups: 3,
      notExamined: 2,
    });
    expect(byCode(r)).toEqual({
      '1.5.0': 'missing-platform',
      '1.3.0': 'missing-platform',
      '1.4.0-rc.1': 'out-of-range',
      latest: 'not-a-version',
    });
    expect(r.rejected.find((x) => x.tag === '1.5.0')).toMatchObject({ platforms: ['linux/amd64'], message: 'lacks linux/arm64; the image provides linux/amd64' });

    // An arm64-only single manifest qualifies too (its platform is read from the config blob).
    const armOnly = await selectImage({ policy, tags: ['1.0.0', '1.1.0'], lookup: repo });
    expect(armOnly.selected).toEqual({ tag: '1.1.0', digest: pushed['1.1.0']?.digest, platforms: ['linux/arm64'] });
    // A site that needs both platforms skips it.
    const both = await selectImage({ policy, tags: ['1.0.0', '1.1.0'], lookup: repo, requiredPlatforms: ['linux/arm64', 'linux/amd64'] });
    expect(both.selected?.tag).toBe('1.0.0');
  });

  test('a re-pushed tag is detected: the lock digest differs from what the registry serves', async () => {
    const locked = { tag: '1.2.0', digest: pushed['1.2.0']?.digest ?? '' };
    const repo = new RegistryClient().repository(`${reg().host}/edge/gateway`, { insecure: true });
    const hold = { tag: '1.2.0', reason: 'pinned for the audit' };
    const before = await selectImage({ policy, tags: await repo.listTags(), lookup: repo, locked, hold });
    expect(before).toMatchObject({ outcome: 'held', locked: { state: 'current' }, changed: false });

    const again = await pushImage(reg().host, 'edge/gateway', '1.2.0', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index', content: 'rebuilt' });
    expect(again.digest).not.toBe(locked.digest);
    const after = await selectImage({ policy, tags: await repo.listTags(), lookup: repo, locked, hold });
    expect(after.locked).toEqual({ tag: '1.2.0', state: 'repushed', lockedDigest: locked.digest, registryDigest: again.digest });
    expect(after).toMatchObject({ outcome: 'held', selected: { tag: '1.2.0', digest: again.digest }, changed: true });
  });

  test('registry faults and invalid answers abort the selection with the typed error; nothing is selected', async () => {
    const proxy: FaultProxy = await startFaultProxy(reg().url);
    stoppable.push(proxy);
    const repo = new RegistryClient({ retry: { attempts: 2, baseDelayMs: 1 } }).repository(`${proxy.host}/edge/gateway`, { insecure: true });
    const tags = await repo.listTags();
    // The newest candidate's manifest comes back with a body that does not match its digest.
    proxy.setRule((req) =>
      req.method === 'GET' && req.path.startsWith('/v2/edge/gateway/manifests/sha256:')
        ? { kind: 'rewrite', rewrite: (res) => ({ ...res, body: Buffer.from(res.body.toString('utf8').replace('"schemaVersion":2', '"schemaVersion": 2')) }) }
        : undefined,
    );
    const err = await selectImage({ policy, tags, lookup: repo }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryInvalidResponseError);
    expect(err).toMatchObject({ problem: 'digest-mismatch', registry: proxy.host, repository: 'edge/gateway', reference: pushed['1.5.0']?.digest });

    proxy.setRule((req) => (req.method === 'HEAD' ? { kind: 'respond', status: 503 } : undefined));
    await expect(selectImage({ policy, tags, lookup: repo })).rejects.toMatchObject({ name: 'RegistryUnavailableError', reference: '1.5.0', attempts: 2 });
  });
});

function byCode(r: ImageSelection): Record<string, string> {
  return Object.fromEntries(r.rejected.map((x) => [x.tag, x.code]));
}
