import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { FluxOpsError } from '../../../errors';
import {
  hmacSha256Hex,
  HttpRequestError,
  InvalidPayloadError,
  InvalidRequestError,
  PayloadTooLargeError,
  UnauthorizedRequestError,
  UnsupportedContentTypeError,
  type WebhookRequest,
} from '../../../reconciler/http';
import { createRegistryPushReceiver, type RegistryProvider } from '../../../reconciler/images/notifications';
import { createGitPushReceiver, type GitProvider } from '../../../reconciler/source/webhook';
import { PUSH_BUILDERS } from '../../support/webhook-deliveries';
import { badFixtureBytes, loadBadFixtures } from '../../support/bad-fixtures';

/**
 * The same corpus as bad-webhook-fixtures.int.test.ts (test/fixtures/bad/webhooks, sent there over
 * real HTTP), handed straight to the real receivers: each delivery is rejected with the
 * {@link HttpRequestError} subclass its status stands for (`instanceof`), carrying the input and
 * the field, and nothing is accepted. Fixtures whose defect only exists on the wire (a body shorter
 * than its Content-Length) are left to the HTTP test.
 */

const secret = randomBytes(24).toString('hex');
const LIMIT = 4096;

const fixtureSchema = z.object({
  route: z.string(),
  headers: z.record(z.string(), z.string()),
  credentials: z.union([z.literal('valid'), z.literal('none'), z.strictObject({ header: z.string(), value: z.string() })]),
  contentLength: z.number().optional(),
  body: z.string(),
  expect: z.strictObject({ status: z.number().int(), code: z.string(), field: z.string(), reason: z.string().optional() }),
});

const CLASS_BY_STATUS: Record<number, ReadonlyArray<abstract new (...args: never[]) => HttpRequestError>> = {
  400: [InvalidPayloadError, InvalidRequestError],
  401: [UnauthorizedRequestError],
  413: [PayloadTooLargeError],
  415: [UnsupportedContentTypeError],
};

function credentials(provider: string, body: Buffer): { headers: Record<string, string>; query?: URLSearchParams } {
  switch (provider) {
    case 'github':
      return { headers: { 'X-Hub-Signature-256': `sha256=${hmacSha256Hex(secret, body)}` } };
    case 'generic':
      return { headers: { 'X-Signature-256': `sha256=${hmacSha256Hex(secret, body)}` } };
    case 'gitea':
      return { headers: { 'X-Gitea-Signature': hmacSha256Hex(secret, body) } };
    case 'gitlab':
      return { headers: { 'X-Gitlab-Token': secret } };
    case 'distribution':
    case 'harbor':
      return { headers: { Authorization: `Bearer ${secret}` } };
    case 'dockerhub':
      return { headers: {}, query: new URLSearchParams({ token: secret }) };
    default:
      throw new Error(`unknown provider ${provider}`);
  }
}

const fixtures = loadBadFixtures('webhooks', fixtureSchema).filter((f) => f.contentLength === undefined);

describe('malformed webhook deliveries at the receivers (test/fixtures/bad/webhooks)', () => {
  it('covers every refusal status', () => {
    expect(new Set(fixtures.map((f) => f.expect.status))).toEqual(new Set([400, 401, 413, 415]));
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const [, , kind, provider] = f.route.split('/') as [string, string, 'git' | 'registry', string];
    const body = badFixtureBytes('webhooks', f.body);
    const creds =
      f.credentials === 'valid' ? credentials(provider, body) : f.credentials === 'none' ? { headers: {} } : { headers: { [f.credentials.header]: f.credentials.value } };
    const req: WebhookRequest = { headers: { ...f.headers, ...creds.headers }, body, input: `POST ${f.route}`, ...(creds.query ? { query: creds.query } : {}) };
    const decision =
      kind === 'git'
        ? createGitPushReceiver({
            provider: provider as GitProvider,
            secret,
            repositoryUrl: `https://${PUSH_BUILDERS[provider as keyof typeof PUSH_BUILDERS].host}/acme/fleet-config.git`,
            branch: 'main',
            maxBodyBytes: LIMIT,
          }).receive(req)
        : createRegistryPushReceiver({ provider: provider as RegistryProvider, secret, maxBodyBytes: LIMIT }).receive(req);
    expect(decision.kind).toBe('rejected');
    if (decision.kind !== 'rejected') return;
    const e = decision.error;
    expect(e).toBeInstanceOf(FluxOpsError);
    expect(CLASS_BY_STATUS[f.expect.status]?.some((cls) => e instanceof cls)).toBe(true);
    expect({ status: e.status, code: e.code, field: e.field, input: e.input }).toEqual({ status: f.expect.status, code: f.expect.code, field: f.expect.field, input: `POST ${f.route}` });
    if (f.expect.reason) expect(e.reason).toContain(f.expect.reason);
    expect(e.message).not.toContain(secret);
  });
});
