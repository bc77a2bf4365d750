import { randomBytes } from 'node:crypto';
import { InvalidPayloadError, UnauthorizedRequestError, UnsupportedContentTypeError, WebhookConfigError } from '../../../../reconciler/http';
import {
  createRegistryPushReceiver,
  imagePushMatches,
  parseImageName,
  type RegistryProvider,
  type RegistryPushDecision,
} from '../../../../reconciler/images/notifications';
import { digestOf, distributionNotification, dockerhubPush, harborPush, type Delivery } from '../../../support/webhook-deliveries';

const secret = randomBytes(16).toString('hex');

function decide(provider: RegistryProvider, d: Delivery, opts: { authHeader?: string; authScheme?: string } = {}): RegistryPushDecision {
  const r = createRegistryPushReceiver({ provider, secret, ...opts });
  return r.receive({ headers: d.headers, body: d.body, ...(d.query ? { query: new URLSearchParams(d.query) } : {}) });
}

function rejection(d: RegistryPushDecision): Error {
  if (d.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(d)}`);
  return d.error;
}

describe('distribution notifications', () => {
  const index = digestOf('index');
  const child = digestOf('child');

  it('turns manifest pushes into events and skips blob pushes and pulls', () => {
    const d = decide(
      'distribution',
      distributionNotification(
        [
          { repository: 'edge/gateway', digest: digestOf('layer'), mediaType: 'application/octet-stream' },
          { repository: 'edge/gateway', digest: child, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
          { repository: 'edge/gateway', digest: index, tag: '1.4.2' },
          { repository: 'edge/gateway', digest: index, tag: '1.4.2', action: 'pull' },
          { repository: 'edge/gateway', digest: index, tag: '1.4.2' },
        ],
        secret,
      ),
    );
    expect(d).toEqual({
      kind: 'accepted',
      provider: 'distribution',
      event: [
        { registryHost: '127.0.0.1:5000', repository: 'edge/gateway', digest: child },
        { registryHost: '127.0.0.1:5000', repository: 'edge/gateway', tag: '1.4.2', digest: index },
      ],
    });
  });

  it('ignores a notification with only blob pushes and pulls', () => {
    const d = decide(
      'distribution',
      distributionNotification(
        [
          { repository: 'edge/gateway', digest: digestOf('layer'), mediaType: 'application/octet-stream' },
          { repository: 'edge/gateway', digest: index, tag: '1.0', action: 'pull' },
        ],
        secret,
      ),
    );
    expect(d).toMatchObject({ kind: 'ignored', reason: 'no-manifest-push' });
  });

  it('requires the configured header: missing, wrong, other scheme -> 401', () => {
    const good = distributionNotification([{ repository: 'edge/a', digest: index, tag: '1' }], secret);
    expect(rejection(decide('distribution', distributionNotification([{ repository: 'edge/a', digest: index }], undefined)))).toMatchObject({ status: 401, problem: 'missing' });
    expect(rejection(decide('distribution', { ...good, headers: { ...good.headers, Authorization: 'Bearer wrong' } }))).toMatchObject({ status: 401, problem: 'mismatch' });
    expect(rejection(decide('distribution', { ...good, headers: { ...good.headers, Authorization: `Token ${secret}` } }))).toBeInstanceOf(UnauthorizedRequestError);
    // A custom header without a scheme, as some registries are configured.
    const custom = { ...good, headers: { 'Content-Type': good.headers['Content-Type'] ?? '', 'X-Registry-Token': secret } };
    expect(decide('distribution', custom, { authHeader: 'X-Registry-Token' }).kind).toBe('accepted');
    expect(decide('distribution', custom).kind).toBe('rejected');
  });

  it('answers 415 for another content type and 400 naming the event field for a bad push event', () => {
    const good = distributionNotification([{ repository: 'edge/a', digest: index, tag: '1' }], secret);
    expect(rejection(decide('distribution', { ...good, headers: { ...good.headers, 'Content-Type': 'text/plain' } }))).toBeInstanceOf(UnsupportedContentTypeError);
    const bad = distributionNotification(
      [
        { repository: 'edge/a', digest: index, tag: '1' },
        { repository: 'Edge/UPPER', digest: index, tag: '1' },
      ],
      secret,
    );
    const e = rejection(decide('distribution', bad));
    expect(e).toBeInstanceOf(InvalidPayloadError);
    expect(e).toMatchObject({ status: 400, field: 'events[1].target.repository', value: 'Edge/UPPER' });
  });
});

describe('Docker Hub webhooks', () => {
  it('accepts the token in the query string or the X-FluxOps-Token header', () => {
    const d = dockerhubPush('acme/gateway', '1.4.2', secret);
    expect(decide('dockerhub', d)).toEqual({ kind: 'accepted', provider: 'dockerhub', event: [{ registryHost: 'docker.io', repository: 'acme/gateway', tag: '1.4.2' }] });
    const viaHeader = dockerhubPush('acme/gateway', '1.4.2', undefined);
    expect(decide('dockerhub', { ...viaHeader, headers: { ...viaHeader.headers, 'X-FluxOps-Token': secret } }).kind).toBe('accepted');
  });

  it('rejects a missing or wrong token with 401', () => {
    expect(rejection(decide('dockerhub', dockerhubPush('acme/gateway', '1', undefined)))).toMatchObject({ status: 401, problem: 'missing', field: 'query parameter token' });
    expect(rejection(decide('dockerhub', dockerhubPush('acme/gateway', '1', 'wrong')))).toMatchObject({ status: 401, problem: 'mismatch' });
  });

  it('names a missing repo_name', () => {
    const body = Buffer.from(JSON.stringify({ push_data: { tag: '1' }, repository: {} }));
    const e = rejection(decide('dockerhub', { headers: { 'Content-Type': 'application/json' }, body, query: `token=${secret}` }));
    expect(e).toMatchObject({ status: 400, field: 'repository.repo_name' });
    expect(e.message).toBe('dockerhub registry webhook: repository.repo_name: is required');
  });
});

describe('Harbor webhooks', () => {
  it('turns PUSH_ARTIFACT resources into events with the host from resource_url', () => {
    const d = decide('harbor', harborPush('library/gateway', [{ tag: '1.4.2', digest: digestOf(1) }, { digest: digestOf(2) }], secret));
    expect(d).toEqual({
      kind: 'accepted',
      provider: 'harbor',
      event: [
        { registryHost: 'harbor.example.com', repository: 'library/gateway', tag: '1.4.2', digest: digestOf(1) },
        { registryHost: 'harbor.example.com', repository: 'library/gateway', digest: digestOf(2) },
      ],
    });
  });

  it('treats a digest reported as tag as no tag', () => {
    const d = decide('harbor', harborPush('library/gateway', [{ tag: digestOf(3), digest: digestOf(3) }], secret));
    expect(d).toMatchObject({ kind: 'accepted', event: [{ repository: 'library/gateway', digest: digestOf(3) }] });
    if (d.kind === 'accepted') expect(d.event[0]?.tag).toBeUndefined();
  });

  it('ignores other event types, after authentication', () => {
    expect(decide('harbor', harborPush('library/gateway', [{ digest: digestOf(1) }], secret, { type: 'PULL_ARTIFACT' }))).toMatchObject({
      kind: 'ignored',
      reason: 'event-not-push',
    });
    expect(rejection(decide('harbor', harborPush('library/gateway', [{ digest: digestOf(1) }], undefined, { type: 'PULL_ARTIFACT' })))).toMatchObject({ status: 401 });
  });

  it('names an empty resources list', () => {
    const e = rejection(decide('harbor', harborPush('library/gateway', [], secret)));
    expect(e).toMatchObject({ status: 400, field: 'event_data.resources' });
  });
});

describe('createRegistryPushReceiver configuration', () => {
  it('refuses an empty secret and bad header options', () => {
    expect(() => createRegistryPushReceiver({ provider: 'harbor', secret: '' })).toThrow(WebhookConfigError);
    expect(() => createRegistryPushReceiver({ provider: 'harbor', secret, authHeader: 'Bad Header' })).toThrow(expect.objectContaining({ field: 'authHeader' }));
    expect(() => createRegistryPushReceiver({ provider: 'harbor', secret, authScheme: 'Two words' })).toThrow(expect.objectContaining({ field: 'authScheme' }));
    expect(() => createRegistryPushReceiver({ provider: 'quay' as RegistryProvider, secret })).toThrow(expect.objectContaining({ field: 'provider' }));
  });
});

describe('imagePushMatches', () => {
  it.each([
    ['registry.local:5000/edge/gateway', { host: 'registry.local:5000', repository: 'edge/gateway' }],
    ['registry.local:5000/edge/gateway:1.2', { host: 'registry.local:5000', repository: 'edge/gateway' }],
    ['ghcr.io/acme/app@sha256:abc', { host: 'ghcr.io', repository: 'acme/app' }],
    ['nginx', { host: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.27', { host: 'docker.io', repository: 'library/nginx' }],
    ['acme/app', { host: 'docker.io', repository: 'acme/app' }],
    ['index.docker.io/acme/app', { host: 'docker.io', repository: 'acme/app' }],
    ['localhost/app', { host: 'localhost', repository: 'app' }],
  ])('parseImageName(%s)', (image, expected) => {
    expect(parseImageName(image)).toEqual(expected);
  });

  it('matches repository and, when known, host', () => {
    const event = { registryHost: '127.0.0.1:5000', repository: 'edge/gateway', tag: '1.0' };
    expect(imagePushMatches(event, '127.0.0.1:5000/edge/gateway')).toBe(true);
    expect(imagePushMatches(event, '127.0.0.1:5000/edge/other')).toBe(false);
    expect(imagePushMatches(event, 'registry.local:5000/edge/gateway')).toBe(false);
    expect(imagePushMatches(event, 'registry.local:5000/edge/gateway', { compareHost: false })).toBe(true);
    expect(imagePushMatches({ repository: 'edge/gateway' }, 'registry.local:5000/edge/gateway')).toBe(true);
    expect(imagePushMatches({ registryHost: 'docker.io', repository: 'acme/app' }, 'acme/app:1.0')).toBe(true);
    expect(imagePushMatches({ registryHost: 'registry-1.docker.io', repository: 'nginx' }, 'nginx')).toBe(true);
  });
});
