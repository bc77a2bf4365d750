import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addTags,
  getManifest as devGetManifest,
  pushImage,
  putManifest,
  startFaultProxy,
  startRegistry,
  startTokenServer,
  writeHtpasswd,
  type LocalRegistry,
  type ProxyAction,
  type PushedImage,
  type TokenServer,
} from '../../../../dev/registry';
import {
  credentialsFromDockerConfigSecret,
  MEDIA_TYPES,
  parseDockerConfig,
  RegistryAuthError,
  RegistryClient,
  RegistryInvalidResponseError,
  RegistryNotFoundError,
  RegistryUnavailableError,
  Secret,
  staticCredentials,
  type RegistryClock,
} from '../../../../reconciler/images/registry';

/**
 * The registry client against the real local registry (Debian's docker-registry, distribution
 * 2.8), pushed to with skopeo; faults come from a small proxy on loopback in front of it.
 */

const USER = { username: 'ci-bot', password: 'correct horse battery staple' };
const WRONG = { username: 'ci-bot', password: 'not the password' };

/** Records the waits instead of waiting, and fixes the jitter, so retry timing is asserted exactly. */
function fakeClock(start = Date.parse('2026-03-01T12:00:00Z')): { clock: RegistryClock; sleeps: number[]; advance(ms: number): void } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms) => (now += ms),
    clock: {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 0.5,
    },
  };
}

let stateDir: string;
let plain: LocalRegistry | undefined;
const started: Array<{ stop(): Promise<void> }> = [];
const pushed: Record<string, PushedImage> = {};
const RELEASES = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'];

const reg = (): LocalRegistry => {
  if (!plain) throw new Error('registry not started');
  return plain;
};

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-registry-client-test-'));
  plain = await startRegistry({ stateDir });
  started.push(plain);
  pushed.multi = await pushImage(plain.host, 'edge/app', '1.0.0', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
  pushed.amdIndex = await pushImage(plain.host, 'edge/app', '1.1.0', { platforms: ['linux/amd64'], kind: 'index' });
  pushed.armManifest = await pushImage(plain.host, 'edge/app', '1.2.0', { platforms: ['linux/arm64'], kind: 'manifest' });
  pushed.armv7 = await pushImage(plain.host, 'edge/app', '1.3.0', { platforms: ['linux/arm/v7'], kind: 'manifest' });
}, 120_000);

afterAll(async () => {
  try {
    for (const s of started.reverse()) await s.stop();
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});

describe('registry client against the real registry', () => {
  test('lists tags, resolves digests and reads platforms of indexes and single manifests', async () => {
    const repo = new RegistryClient().repository(`${reg().host}/edge/app`, { insecure: true });
    expect((await repo.listTags()).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0']);
    expect(await repo.resolveDigest('1.0.0')).toBe(pushed.multi?.digest);
    expect(await repo.resolveDigest('9.9.9')).toBeUndefined();
    expect(await repo.platformsOf('1.0.0')).toEqual({ digest: pushed.multi?.digest, mediaType: MEDIA_TYPES.ociIndex, platforms: ['linux/amd64', 'linux/arm64'] });
    expect(await repo.platformsOf('1.1.0')).toMatchObject({ platforms: ['linux/amd64'] });
    expect(await repo.platformsOf('1.2.0')).toEqual({ digest: pushed.armManifest?.digest, mediaType: MEDIA_TYPES.ociManifest, platforms: ['linux/arm64'] });
    expect(await repo.platformsOf('1.3.0')).toMatchObject({ platforms: ['linux/arm/v7'] });
    const index = await repo.getManifest(pushed.multi?.digest ?? '');
    expect(index.kind === 'index' && index.index.manifests.map((m) => m.digest)).toEqual([
      pushed.multi?.manifestDigests['linux/amd64'],
      pushed.multi?.manifestDigests['linux/arm64'],
    ]);
    await expect(repo.getManifest('9.9.9')).rejects.toMatchObject({ name: 'RegistryNotFoundError', what: 'manifest', registryCode: 'MANIFEST_UNKNOWN' });
    await expect(new RegistryClient().repository(`${reg().host}/edge/never`, { insecure: true }).listTags()).rejects.toBeInstanceOf(RegistryNotFoundError);
  });

  test('Docker media types (manifest list, schema 2) and attestation entries, pushed through the registry API', async () => {
    const host = reg().host;
    const multi = pushed.multi as PushedImage;
    const dockerManifests: Array<{ digest: string; size: number; platform: { os: string; architecture: string } }> = [];
    for (const platform of ['linux/amd64', 'linux/arm64'] as const) {
      const oci = await devGetManifest(host, 'edge/app', multi.manifestDigests[platform] ?? '', MEDIA_TYPES.ociManifest);
      if (oci.kind !== 'manifest') throw new Error('expected a manifest');
      const doc = {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.dockerManifest,
        config: { mediaType: MEDIA_TYPES.dockerConfig, digest: oci.manifest.config.digest, size: oci.manifest.config.size },
        layers: oci.manifest.layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: l.digest, size: l.size })),
      };
      const tag = `docker-${platform.split('/')[1]}`;
      const digest = await putManifest(host, 'edge/app', tag, MEDIA_TYPES.dockerManifest, doc);
      dockerManifests.push({ digest, size: Buffer.byteLength(JSON.stringify(doc)), platform: { os: 'linux', architecture: platform.split('/')[1] as string } });
    }
    const list = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifestList,
      manifests: dockerManifests.map((m) => ({ mediaType: MEDIA_TYPES.dockerManifest, digest: m.digest, size: m.size, platform: m.platform })),
    };
    const listDigest = await putManifest(host, 'edge/app', 'docker-list', MEDIA_TYPES.dockerManifestList, list);
    // BuildKit-style: an amd64 image plus an "attestation" entry that happens to be an arm64 manifest.
    const amd = dockerManifests[0] as (typeof dockerManifests)[number];
    const arm = dockerManifests[1] as (typeof dockerManifests)[number];
    const attested = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.dockerManifest, digest: amd.digest, size: amd.size, platform: amd.platform },
        {
          mediaType: MEDIA_TYPES.dockerManifest,
          digest: arm.digest,
          size: arm.size,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest },
        },
        { mediaType: MEDIA_TYPES.dockerManifest, digest: arm.digest, size: arm.size, platform: { os: 'linux', architecture: 'arm64' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
      ],
    };
    await putManifest(host, 'edge/app', 'attested', MEDIA_TYPES.ociIndex, attested);

    const repo = new RegistryClient().repository(`${host}/edge/app`, { insecure: true });
    expect(await repo.platformsOf('docker-list')).toEqual({ digest: listDigest, mediaType: MEDIA_TYPES.dockerManifestList, platforms: ['linux/amd64', 'linux/arm64'] });
    expect(await repo.platformsOf('docker-arm64')).toMatchObject({ mediaType: MEDIA_TYPES.dockerManifest, platforms: ['linux/arm64'] });
    expect((await repo.platformsOf('attested'))?.platforms).toEqual(['linux/amd64']);
  });

  test('HEAD without Docker-Content-Digest: the digest comes from a GET, verified', async () => {
    const proxy = await startFaultProxy(reg().url);
    started.push(proxy);
    proxy.setRule((req) =>
      req.method === 'HEAD' ? { kind: 'rewrite', rewrite: (r) => ({ ...r, headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== 'docker-content-digest')) }) } : undefined,
    );
    const repo = new RegistryClient().repository(`${proxy.host}/edge/app`, { insecure: true });
    expect(await repo.resolveDigest('1.0.0')).toBe(pushed.multi?.digest);
    expect(proxy.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /v2/edge/app/manifests/1.0.0', 'GET /v2/edge/app/manifests/1.0.0']);
  });

  test('content fetched by digest is cached; tags are resolved every time', async () => {
    const proxy = await startFaultProxy(reg().url);
    started.push(proxy);
    const repo = new RegistryClient().repository(`${proxy.host}/edge/app`, { insecure: true });
    await repo.platformsOf('1.2.0');
    const first = proxy.requests.map((r) => `${r.method} ${r.path.replace(/sha256:[a-f0-9]+/, 'D')}`);
    expect(first).toEqual(['HEAD /v2/edge/app/manifests/1.2.0', 'GET /v2/edge/app/manifests/D', 'GET /v2/edge/app/blobs/D']);
    await repo.platformsOf('1.2.0');
    expect(proxy.requests.slice(3).map((r) => r.method)).toEqual(['HEAD']);
  });

  test('TLS by default: a repository not marked insecure is never fetched over plain HTTP', async () => {
    const repo = new RegistryClient({ retry: { attempts: 1 } }).repository(`${reg().host}/edge/app`);
    const err = await repo.listTags().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect((err as Error).message).toContain(`https://${reg().host}/v2/edge/app/tags/list`);
  });

  test('pagination: follows Link rel="next" over more tags than one page', async () => {
    const many = Array.from({ length: 250 }, (_, i) => `2.0.${i}`);
    await pushImage(reg().host, 'edge/paged', 'seed', { platforms: ['linux/arm64'], kind: 'index' });
    await addTags(reg().host, 'edge/paged', 'seed', many);
    const proxy = await startFaultProxy(reg().url, { pageSize: 100 });
    started.push(proxy);
    const tags = await new RegistryClient({ pageSize: 1000 }).repository(`${proxy.host}/edge/paged`, { insecure: true }).listTags();
    expect(tags.sort()).toEqual([...many, 'seed'].sort());
    expect(proxy.requests.map((r) => r.path)).toEqual([
      '/v2/edge/paged/tags/list?n=1000',
      expect.stringMatching(/^\/v2\/edge\/paged\/tags\/list\?last=2\.0\.\d+&n=100$/),
      expect.stringMatching(/^\/v2\/edge\/paged\/tags\/list\?last=2\.0\.\d+&n=100$/),
    ]);
  });

  test('5xx and network faults are retried with exponential backoff and jitter, then reported', async () => {
    const proxy = await startFaultProxy(reg().url);
    started.push(proxy);
    const { clock, sleeps } = fakeClock();
    proxy.setRule((_req, n) => (n <= 2 ? { kind: 'respond', status: 503, body: 'busy' } : undefined));
    const repo = new RegistryClient({ clock }).repository(`${proxy.host}/edge/app`, { insecure: true });
    expect(await repo.resolveDigest('1.0.0')).toBe(pushed.multi?.digest);
    expect(proxy.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(sleeps).toEqual([188, 375]); // 250 then 500 ms caps, half fixed + half * random(0.5)

    proxy.setRule(() => ({ kind: 'respond', status: 502 }));
    const err = await repo.resolveDigest('1.0.0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect(err).toMatchObject({ code: 'registry-unavailable', registry: proxy.host, repository: 'edge/app', reference: '1.0.0', attempts: 4, lastStatus: 502 });
    expect((err as Error).message).toBe(`registry ${proxy.host}, repository edge/app, tag 1.0.0: HEAD http://${proxy.host}/v2/edge/app/manifests/1.0.0 answered HTTP 502 (after 4 attempts)`);

    await proxy.stop();
    const down = await repo.listTags().catch((e: unknown) => e);
    expect(down).toMatchObject({ name: 'RegistryUnavailableError', attempts: 4 });
    expect((down as Error).message).toContain('ECONNREFUSED');
  });

  test('429 waits as long as Retry-After says (seconds or HTTP date), capped', async () => {
    const proxy = await startFaultProxy(reg().url);
    started.push(proxy);
    const { clock, sleeps } = fakeClock();
    const date = new Date(clock.now() + 12_000).toUTCString();
    proxy.setRule((_req, n) =>
      n === 1
        ? { kind: 'respond', status: 429, headers: { 'retry-after': '7' } }
        : n === 2
          ? { kind: 'respond', status: 429, headers: { 'retry-after': date } }
          : n === 3
            ? { kind: 'respond', status: 429, headers: { 'retry-after': '3600' } }
            : undefined,
    );
    const repo = new RegistryClient({ clock, retry: { attempts: 5, maxRetryAfterMs: 30_000 } }).repository(`${proxy.host}/edge/app`, { insecure: true });
    expect(await repo.listTags()).toEqual(expect.arrayContaining(RELEASES));
    // The date named 12 s after the start; 7 s have passed (fake clock) when it is read.
    expect(sleeps).toEqual([7_000, 5_000, 30_000]);
    expect(proxy.requests.map((r) => r.status)).toEqual([429, 429, 429, 200]);
  });

  test.each([
    ['malformed JSON', 'malformed-json', 'tags'],
    ['wrong media type', 'media-type', 'manifest'],
    ['digest mismatch', 'digest-mismatch', 'manifest'],
    ['schema violation', 'schema', 'manifest'],
    ['endless pagination', 'pagination-loop', 'tags'],
  ] as const)('%s: a typed error naming registry, repository and tag', async (_title, problem, what) => {
    const proxy = await startFaultProxy(reg().url);
    started.push(proxy);
    proxy.setRule((req): ProxyAction | undefined => {
      const isManifest = req.method === 'GET' && req.path.startsWith('/v2/edge/app/manifests/');
      const isTags = req.path.startsWith('/v2/edge/app/tags/list');
      if (problem === 'malformed-json' && isTags) return { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: '{"name":"edge/app","tags":["1.0.0",' };
      if (problem === 'pagination-loop' && isTags) {
        return { kind: 'respond', status: 200, headers: { 'content-type': 'application/json', link: '</v2/edge/app/tags/list?last=1.0.0&n=1>; rel="next"' }, body: '{"name":"edge/app","tags":["1.0.0"]}' };
      }
      if (!isManifest) return undefined;
      if (problem === 'media-type') return { kind: 'rewrite', rewrite: (r) => ({ ...r, headers: { ...r.headers, 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' } }) };
      if (problem === 'digest-mismatch') return { kind: 'rewrite', rewrite: (r) => ({ ...r, body: Buffer.concat([r.body, Buffer.from('\n')]) }) };
      // A body whose digest matches (header dropped, fetched by tag) but which is not a manifest.
      return {
        kind: 'rewrite',
        rewrite: (r) => ({
          ...r,
          headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== 'docker-content-digest')),
          body: Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":"nope"}'),
        }),
      };
    });
    const repo = new RegistryClient().repository(`${proxy.host}/edge/app`, { insecure: true });
    const err = await (what === 'tags' ? repo.listTags() : problem === 'schema' ? repo.getManifest('1.0.0') : repo.platformsOf('1.0.0')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryInvalidResponseError);
    expect(err).toMatchObject({ code: 'registry-invalid-response', problem, registry: proxy.host, repository: 'edge/app' });
    const message = (err as Error).message;
    expect(message).toContain(`registry ${proxy.host}, repository edge/app`);
    if (what === 'manifest') {
      const ref = (err as RegistryInvalidResponseError).reference ?? '';
      expect(ref === '1.0.0' || ref === pushed.multi?.digest).toBe(true);
      expect(message).toMatch(/, (tag 1\.0\.0|digest sha256:[a-f0-9]{64}):/);
    }
    // Not retried: a wrong answer is not a fault that goes away.
    const gets = proxy.requests.filter((r) => r.method === 'GET' && r.path.includes(what === 'tags' ? 'tags/list' : '/manifests/'));
    expect(gets.length).toBe(problem === 'pagination-loop' ? 2 : 1);
  });
});

describe('registry client with authentication', () => {
  test('basic auth (htpasswd, bcrypt): credentials from config.json or a dockerconfigjson Secret work; wrong or missing ones are refused', async () => {
    const htpasswd = path.join(stateDir, 'htpasswd');
    await writeHtpasswd(htpasswd, [USER]);
    await reg().stop();
    const basic = await startRegistry({ stateDir, auth: { kind: 'htpasswd', path: htpasswd } });
    started.push(basic);
    try {
      const auth = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
      const fromConfig = parseDockerConfig({ auths: { [`http://${basic.host}/v2/`]: { auth } } }, 'config.json');
      const repo = new RegistryClient({ credentials: fromConfig }).repository(`${basic.host}/edge/app`, { insecure: true });
      expect(await repo.listTags()).toEqual(expect.arrayContaining(RELEASES));
      expect((await repo.platformsOf('1.0.0'))?.platforms).toEqual(['linux/amd64', 'linux/arm64']);

      const secret = {
        metadata: { name: 'regcred', namespace: 'flux-system' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [basic.host]: { username: USER.username, password: USER.password } } })).toString('base64') },
      };
      expect(await new RegistryClient({ credentials: credentialsFromDockerConfigSecret(secret) }).repository(`${basic.host}/edge/app`, { insecure: true }).listTags()).toEqual(expect.arrayContaining(RELEASES));

      const wrong = new RegistryClient({ credentials: staticCredentials({ [basic.host]: { kind: 'basic', username: WRONG.username, password: new Secret(WRONG.password) } }) });
      const refused = await wrong.repository(`${basic.host}/edge/app`, { insecure: true }).listTags().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RegistryAuthError);
      expect(refused).toMatchObject({ code: 'registry-auth-refused', status: 401, withCredentials: true, registry: basic.host, repository: 'edge/app' });
      expect(JSON.stringify({ ...(refused as object), message: (refused as Error).message })).not.toContain(WRONG.password);

      const anonymous = await new RegistryClient().repository(`${basic.host}/edge/app`, { insecure: true }).listTags().catch((e: unknown) => e);
      expect(anonymous).toMatchObject({ name: 'RegistryAuthError', withCredentials: false });
    } finally {
      await basic.stop();
    }
  });

  test('bearer tokens (distribution token auth, JWT from a token service): one token per scope, cached until it expires', async () => {
    let tokens: TokenServer | undefined;
    let bearer: LocalRegistry | undefined;
    try {
      tokens = await startTokenServer({ users: [USER], identityTokens: { 'refresh-abc': USER.username }, expiresInSeconds: 300 });
      started.push(tokens);
      bearer = await startRegistry({
        stateDir,
        auth: { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle },
      });
      started.push(bearer);
      const { clock, advance } = fakeClock(Date.now());
      const credentials = staticCredentials({ [bearer.host]: { kind: 'basic', username: USER.username, password: new Secret(USER.password) } });
      const client = new RegistryClient({ credentials, clock });
      const repo = client.repository(`${bearer.host}/edge/app`, { insecure: true });
      expect(await repo.listTags()).toEqual(expect.arrayContaining(RELEASES));
      expect((await repo.platformsOf('1.2.0'))?.platforms).toEqual(['linux/arm64']);
      expect((await repo.platformsOf('1.0.0'))?.platforms).toEqual(['linux/amd64', 'linux/arm64']);
      expect(tokens.requests).toEqual([{ method: 'GET', scope: 'repository:edge/app:pull', service: tokens.service, user: USER.username, grantType: undefined, status: 200 }]);

      // Another repository is another scope: a token of its own.
      await expect(client.repository(`${bearer.host}/edge/paged`, { insecure: true }).resolveDigest('seed')).resolves.toMatch(/^sha256:/);
      expect(tokens.requests.map((r) => r.scope)).toEqual(['repository:edge/app:pull', 'repository:edge/paged:pull']);

      // Past its lifetime (minus the renewal margin) the token is fetched again.
      advance(295_000);
      await repo.resolveDigest('1.0.0');
      expect(tokens.requests.length).toBe(3);

      // An identity token (OAuth2 refresh token) is exchanged with a POST.
      const viaIdentity = new RegistryClient({ credentials: staticCredentials({ [bearer.host]: { kind: 'identity-token', token: new Secret('refresh-abc') } }) });
      expect(await viaIdentity.repository(`${bearer.host}/edge/app`, { insecure: true }).listTags()).toEqual(expect.arrayContaining(RELEASES));
      expect(tokens.requests.at(-1)).toMatchObject({ method: 'POST', grantType: 'refresh_token', user: USER.username, status: 200 });

      const wrong = new RegistryClient({ credentials: staticCredentials({ [bearer.host]: { kind: 'basic', username: WRONG.username, password: new Secret(WRONG.password) } }) });
      const refused = await wrong.repository(`${bearer.host}/edge/app`, { insecure: true }).listTags().catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: 'RegistryAuthError', status: 401, withCredentials: true });
      expect((refused as Error).message).toContain('refused credentials of user "ci-bot"');
      expect((refused as Error).message).not.toContain(WRONG.password);

      const anonymous = await new RegistryClient().repository(`${bearer.host}/edge/app`, { insecure: true }).listTags().catch((e: unknown) => e);
      expect(anonymous).toMatchObject({ name: 'RegistryAuthError', withCredentials: false });

      // A token realm over plain HTTP is refused for a repository that expects TLS (credentials would leak).
      const proxy = await startFaultProxy(bearer.url);
      started.push(proxy);
      proxy.setRule(() => ({ kind: 'respond', status: 401, headers: { 'www-authenticate': `Bearer realm="${tokens?.realm}",service="x"` } }));
      const tls = new RegistryClient({ credentials, fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init) });
      await expect(tls.repository(`${proxy.host}/edge/app`).listTags()).rejects.toMatchObject({ problem: 'insecure-realm' });
    } finally {
      await bearer?.stop();
      await tokens?.stop();
    }
  });
});
