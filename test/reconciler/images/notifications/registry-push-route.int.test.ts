import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from '../../../../dev/net';
import { pushImage, startRegistry, type LocalRegistry } from '../../../../dev/registry';
import {
  createRegistryPushReceiver,
  imagePushMatches,
  REGISTRY_PROVIDERS,
  registryPushRoute,
  type ImagePushEvent,
  type RegistryProvider,
  type RegistryPushDecision,
} from '../../../../reconciler/images/notifications';
import { startHttpServer, type RunningHttpServer } from '../../../../reconciler/status';
import { digestOf, dockerhubPush, harborPush, type Delivery } from '../../../support/webhook-deliveries';

const secret = randomBytes(24).toString('hex');

describe('registry push webhooks over real HTTP', () => {
  let server: RunningHttpServer | undefined;
  let registry: LocalRegistry | undefined;
  const pushes: { provider: RegistryProvider; events: readonly ImagePushEvent[] }[] = [];
  const decisions: RegistryPushDecision[] = [];
  const url = (p: string): string => {
    if (!server) throw new Error('server not started');
    return `${server.url}${p}`;
  };

  beforeAll(async () => {
    server = await startHttpServer({
      routes: REGISTRY_PROVIDERS.map((provider) =>
        registryPushRoute(createRegistryPushReceiver({ provider, secret }), {
          onPush: (events) => pushes.push({ provider, events }),
          onDecision: (d) => decisions.push(d),
        }),
      ),
    });
    registry = await startRegistry({
      notifications: [
        { name: 'fluxops', url: url('/hooks/registry/distribution'), headers: { Authorization: `Bearer ${secret}` } },
        // Same receiver, wrong secret: every delivery must be refused and trigger nothing.
        { name: 'impostor', url: url('/hooks/registry/distribution'), headers: { Authorization: 'Bearer not-the-secret' }, backoffMs: 1_000 },
      ],
    });
  });

  afterAll(async () => {
    try {
      await registry?.stop();
    } finally {
      await server?.close({ graceMs: 1_000 });
    }
  });

  describe('distribution (the real docker-registry)', () => {
    it('notifies the receiver of a pushed multi-arch image: the index by tag, the children by digest', async () => {
      const reg = registry;
      if (!reg) throw new Error('registry not started');
      const pushed = await pushImage(reg.host, 'edge/sensor-gateway', '1.4.2', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });

      const events = await waitFor(
        () => {
          const all = pushes.filter((p) => p.provider === 'distribution').flatMap((p) => p.events);
          return all.some((e) => e.tag === '1.4.2') && all.length >= 3 ? all : undefined;
        },
        { what: 'the registry to notify the tagged push', timeoutMs: 20_000 },
      );
      expect(events).toContainEqual({ registryHost: reg.host, repository: 'edge/sensor-gateway', tag: '1.4.2', digest: pushed.digest });
      for (const child of Object.values(pushed.manifestDigests)) {
        expect(events).toContainEqual({ registryHost: reg.host, repository: 'edge/sensor-gateway', digest: child });
      }
      // Blob pushes (layers, configs) never become events.
      const known = new Set([pushed.digest, ...Object.values(pushed.manifestDigests)]);
      expect(events.every((e) => e.digest !== undefined && known.has(e.digest))).toBe(true);
      expect(events.every((e) => imagePushMatches(e, `${reg.host}/edge/sensor-gateway`))).toBe(true);
    });

    it('refuses the endpoint with the wrong secret (401) without triggering anything', async () => {
      const rejected = await waitFor(
        () => {
          const r = decisions.filter((d) => d.provider === 'distribution' && d.kind === 'rejected');
          return r.length > 0 ? r : undefined;
        },
        { what: 'a delivery from the impostor endpoint', timeoutMs: 20_000 },
      );
      for (const d of rejected) {
        expect(d).toMatchObject({ kind: 'rejected', error: { status: 401, problem: 'mismatch', field: 'Authorization' } });
      }
      const accepted = decisions.filter((d) => d.provider === 'distribution' && d.kind === 'accepted').length;
      expect(pushes.filter((p) => p.provider === 'distribution')).toHaveLength(accepted);
    });

    it('keeps the secret out of the registry\'s config file and log', () => {
      const reg = registry;
      if (!reg) throw new Error('registry not started');
      expect(fs.readFileSync(path.join(reg.stateDir, 'config.yml'), 'utf8')).not.toContain(secret);
      expect(fs.readFileSync(reg.logFile, 'utf8')).not.toContain(secret);
    });
  });

  const post = (provider: RegistryProvider, d: Delivery): Promise<Response> =>
    fetch(url(`/hooks/registry/${provider}${d.query ? `?${d.query}` : ''}`), { method: 'POST', headers: d.headers, body: d.body });

  describe('Docker Hub', () => {
    it('202 with the token in the query string; 401 without or with a wrong one', async () => {
      const before = pushes.length;
      const ok = await post('dockerhub', dockerhubPush('acme/sensor-gateway', '1.4.2', secret));
      expect(ok.status).toBe(202);
      expect(await ok.json()).toEqual({ result: 'accepted', provider: 'dockerhub', events: [{ repository: 'acme/sensor-gateway', tag: '1.4.2' }] });
      expect(pushes.slice(before)).toEqual([{ provider: 'dockerhub', events: [{ registryHost: 'docker.io', repository: 'acme/sensor-gateway', tag: '1.4.2' }] }]);

      const missing = await post('dockerhub', dockerhubPush('acme/sensor-gateway', '1.4.3', undefined));
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ error: { code: 'request-unauthorized', problem: 'missing', field: 'query parameter token' } });
      const wrong = await post('dockerhub', dockerhubPush('acme/sensor-gateway', '1.4.4', 'guess'));
      expect(wrong.status).toBe(401);
      expect(pushes.slice(before)).toHaveLength(1);
    });
  });

  describe('Harbor', () => {
    it('202 for PUSH_ARTIFACT with the Authorization header; 200 ignored for other events; 401 and 415', async () => {
      const before = pushes.length;
      const ok = await post('harbor', harborPush('library/sensor-gateway', [{ tag: '1.4.2', digest: digestOf('h1') }], secret));
      expect(ok.status).toBe(202);
      expect(pushes.slice(before)).toEqual([
        { provider: 'harbor', events: [{ registryHost: 'harbor.example.com', repository: 'library/sensor-gateway', tag: '1.4.2', digest: digestOf('h1') }] },
      ]);

      const pull = await post('harbor', harborPush('library/sensor-gateway', [{ digest: digestOf('h1') }], secret, { type: 'PULL_ARTIFACT' }));
      expect(pull.status).toBe(200);
      expect(await pull.json()).toMatchObject({ result: 'ignored', reason: 'event-not-push' });

      const unsigned = await post('harbor', harborPush('library/sensor-gateway', [{ tag: '1.4.3', digest: digestOf('h2') }], undefined));
      expect(unsigned.status).toBe(401);
      const d = harborPush('library/sensor-gateway', [{ tag: '1.4.3', digest: digestOf('h2') }], secret);
      const wrongType = await post('harbor', { ...d, headers: { ...d.headers, 'Content-Type': 'application/cloudevents+json' } });
      expect(wrongType.status).toBe(415);
      expect(await wrongType.json()).toMatchObject({ error: { code: 'unsupported-content-type', message: expect.stringContaining('CloudEvents is not supported') } });
      expect(pushes.slice(before)).toHaveLength(1);
    });
  });
});
