import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { hmacSha256Hex } from '../../../reconciler/http';
import { createRegistryPushReceiver, REGISTRY_PROVIDERS, registryPushRoute } from '../../../reconciler/images/notifications';
import { createGitPushReceiver, GIT_PROVIDERS, gitPushRoute } from '../../../reconciler/source/webhook';
import { startHttpServer, type RunningHttpServer } from '../../../reconciler/status';
import { PUSH_BUILDERS } from '../../support/webhook-deliveries';
import { rawRequest } from '../../support/raw-http';

/**
 * Table-driven: every malformed delivery under test/fixtures/bad/webhooks is sent over real HTTP
 * to a server with all receivers mounted (body limit 4 KiB). Each must be refused with the
 * expected status and a JSON error naming the request and the field, trigger nothing, and never
 * echo the secret.
 */

const FIXTURES = path.join(__dirname, '../../fixtures/bad/webhooks');
const LIMIT = 4096;
const secret = randomBytes(24).toString('hex');

const fixtureSchema = z.strictObject({
  description: z.string().min(1),
  route: z.string().regex(/^\/hooks\/(git|registry)\/[a-z]+$/),
  headers: z.record(z.string(), z.string()),
  /** `valid`: the test signs with its secret; `none`: no credentials; otherwise this exact header. */
  credentials: z.union([z.literal('valid'), z.literal('none'), z.strictObject({ header: z.string(), value: z.string() })]),
  /** Declared Content-Length when the body sent is shorter (sent over a raw socket). */
  contentLength: z.number().int().positive().optional(),
  body: z.string(),
  expect: z.strictObject({ status: z.number().int(), code: z.string(), field: z.string(), reason: z.string().optional() }),
});
type Fixture = z.infer<typeof fixtureSchema> & { readonly name: string; readonly bytes: Buffer };

function loadFixtures(): Fixture[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const meta = fixtureSchema.parse(JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')));
      return { ...meta, name: file.replace(/\.json$/, ''), bytes: fs.readFileSync(path.join(FIXTURES, meta.body)) };
    });
}

/** The credentials a correctly configured sender would attach, for `valid` fixtures. */
function validCredentials(route: string, body: Buffer): { headers: Record<string, string>; query: string } {
  const provider = route.split('/').pop();
  switch (provider) {
    case 'github':
      return { headers: { 'X-Hub-Signature-256': `sha256=${hmacSha256Hex(secret, body)}` }, query: '' };
    case 'generic':
      return { headers: { 'X-Signature-256': `sha256=${hmacSha256Hex(secret, body)}` }, query: '' };
    case 'gitea':
      return { headers: { 'X-Gitea-Signature': hmacSha256Hex(secret, body) }, query: '' };
    case 'gitlab':
      return { headers: { 'X-Gitlab-Token': secret }, query: '' };
    case 'distribution':
    case 'harbor':
      return { headers: { Authorization: `Bearer ${secret}` }, query: '' };
    case 'dockerhub':
      return { headers: {}, query: `?token=${secret}` };
    default:
      throw new Error(`fixture route ${route}: unknown provider`);
  }
}

const fixtures = loadFixtures();

describe('malformed webhook deliveries (test/fixtures/bad/webhooks)', () => {
  let server: RunningHttpServer | undefined;
  const triggered: string[] = [];

  beforeAll(async () => {
    server = await startHttpServer({
      routes: [
        ...GIT_PROVIDERS.map((provider) =>
          gitPushRoute(
            createGitPushReceiver({ provider, secret, repositoryUrl: `https://${PUSH_BUILDERS[provider].host}/acme/fleet-config.git`, branch: 'main', maxBodyBytes: LIMIT }),
            { onPush: (e) => triggered.push(`${provider} ${e.commit}`) },
          ),
        ),
        ...REGISTRY_PROVIDERS.map((provider) =>
          registryPushRoute(createRegistryPushReceiver({ provider, secret, maxBodyBytes: LIMIT }), { onPush: (e) => triggered.push(`${provider} ${e.length}`) }),
        ),
      ],
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('has a fixture for every kind of refusal', () => {
    expect(new Set(fixtures.map((f) => f.expect.status))).toEqual(new Set([400, 401, 413, 415]));
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, f) => {
    if (!server) throw new Error('server not started');
    const creds =
      f.credentials === 'valid' ? validCredentials(f.route, f.bytes) : f.credentials === 'none' ? { headers: {}, query: '' } : { headers: { [f.credentials.header]: f.credentials.value }, query: '' };
    const headers = { ...f.headers, ...creds.headers };
    let status: number;
    let text: string;
    if (f.contentLength !== undefined) {
      const head = [`POST ${f.route}${creds.query} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${f.contentLength}`].join('\r\n');
      const res = await rawRequest({ port: server.port, head, body: f.bytes, endAfterBody: true });
      status = res.status;
      text = res.body;
    } else {
      const res = await fetch(`${server.url}${f.route}${creds.query}`, { method: 'POST', headers, body: f.bytes });
      status = res.status;
      text = await res.text();
    }

    const input = `POST ${f.route}`;
    expect({ status, body: JSON.parse(text) as unknown }).toMatchObject({
      status: f.expect.status,
      body: { error: { code: f.expect.code, field: f.expect.field, input } },
    });
    const message = (JSON.parse(text) as { error: { message: string } }).error.message;
    expect(message.startsWith(`${input}: ${f.expect.field}: `)).toBe(true);
    if (f.expect.reason) expect(message).toContain(f.expect.reason);
    expect(text).not.toContain(secret);
    expect(triggered).toEqual([]);
  });
});
