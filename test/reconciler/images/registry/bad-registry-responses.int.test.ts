import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { FluxOpsError } from '../../../../errors';
import { RegistryClient, RegistryInvalidReferenceError, RegistryInvalidResponseError } from '../../../../reconciler/images/registry';
import { loadBadFixtures, type BadFixture } from '../../../support/bad-fixtures';

/**
 * Table-driven over test/fixtures/bad/registry: each fixture describes what a broken or hostile
 * registry answers; a real HTTP server on 127.0.0.1 serves exactly that and the real registry
 * client must refuse it with a {@link RegistryInvalidResponseError} naming the registry, the
 * repository, the problem and the part of the response (`field`), after a bounded number of
 * requests (endless pagination stops at the page limit).
 */

const MAX_PAGES = 25;

const route = z.strictObject({
  path: z.string().startsWith('/v2/'),
  method: z.enum(['GET', 'HEAD']).optional(),
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});
const fixtureSchema = z.strictObject({
  description: z.string().min(1),
  call: z.enum(['listTags', 'getManifest', 'platformsOf']),
  reference: z.string().optional(),
  /** Named JSON documents; `{{sha256:name}}` / `{{text:name}}` in paths, headers and bodies refer to them. */
  bodies: z.record(z.string(), z.unknown()).optional(),
  routes: z.array(route),
  /** Generated tag list pages instead of fixed routes. */
  paging: z.strictObject({ mode: z.enum(['self-loop', 'endless', 'empty-pages']) }).optional(),
  expect: z.strictObject({ error: z.literal('RegistryInvalidResponseError'), code: z.literal('registry-invalid-response'), problem: z.string(), field: z.string() }),
});
type Fixture = BadFixture<z.infer<typeof fixtureSchema>>;

const fixtures = loadBadFixtures('registry', fixtureSchema);

/** Expands `{{sha256:name}}` and `{{text:name}}`; bodies are rendered in order, so later ones may refer to earlier ones. */
function expander(f: Fixture): (s: string) => string {
  const texts = new Map<string, string>();
  const expand = (s: string): string =>
    s.replace(/\{\{(sha256|text):([a-z]+)\}\}/g, (_m, kind: string, name: string) => {
      const text = texts.get(name);
      if (text === undefined) throw new Error(`${f.name}: unknown body ${name}`);
      return kind === 'text' ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
    });
  for (const [name, doc] of Object.entries(f.bodies ?? {})) texts.set(name, expand(JSON.stringify(doc)));
  return expand;
}

let server: http.Server | undefined;
let port = 0;
let current: Fixture | undefined;
let requests: string[] = [];

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const f = current;
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  requests.push(`${req.method} ${url.pathname}${url.search}`);
  if (!f) return void res.writeHead(500).end();
  if (f.paging && url.pathname === '/v2/edge/app/tags/list') {
    const page = requests.length;
    const tags = f.paging.mode === 'empty-pages' ? [] : f.paging.mode === 'endless' ? [`1.0.${page}`] : ['1.0.0'];
    const last = f.paging.mode === 'endless' ? `1.0.${page}` : '1.0.0';
    res.writeHead(200, { 'Content-Type': 'application/json', Link: `</v2/edge/app/tags/list?n=1000&last=${last}>; rel="next"` });
    return void res.end(JSON.stringify({ name: 'edge/app', tags }));
  }
  const expand = expander(f);
  const hit = f.routes.find((r) => expand(r.path) === url.pathname && (r.method ?? 'GET') === (req.method === 'HEAD' ? 'HEAD' : 'GET'));
  if (!hit) {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    return void res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not in fixture' }] }));
  }
  const body = Buffer.from(expand(hit.body));
  const headers: Record<string, string> = { 'Content-Length': String(body.length) };
  for (const [k, v] of Object.entries(hit.headers)) headers[k] = expand(v);
  res.writeHead(hit.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

beforeAll(async () => {
  server = http.createServer(serve);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('malformed registry responses (test/fixtures/bad/registry)', () => {
  it('has a fixture for every problem the client names', () => {
    expect(new Set(fixtures.map((f) => f.expect.problem))).toEqual(new Set(['malformed-json', 'schema', 'pagination-loop', 'bad-link', 'unexpected-status', 'media-type', 'digest-mismatch', 'too-large']));
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, f) => {
    current = f;
    requests = [];
    const client = new RegistryClient({ maxPages: MAX_PAGES, maxManifestBytes: 8192, retry: { attempts: 1 }, timeoutMs: 5_000 });
    const repo = client.repository(`127.0.0.1:${port}/edge/app`, { insecure: true });
    let error: unknown;
    let value: unknown;
    try {
      value = f.call === 'listTags' ? await repo.listTags() : f.call === 'getManifest' ? await repo.getManifest(f.reference ?? '') : await repo.platformsOf(f.reference ?? '');
    } catch (e) {
      error = e;
    }
    expect({ value, error: error instanceof Error ? error.name : error }).toEqual({ value: undefined, error: 'RegistryInvalidResponseError' });
    expect(error).toBeInstanceOf(RegistryInvalidResponseError);
    expect(error).toBeInstanceOf(FluxOpsError);
    const e = error as RegistryInvalidResponseError;
    expect({ code: e.code, problem: e.problem, field: e.field, registry: e.registry, repository: e.repository }).toEqual({
      code: f.expect.code,
      problem: f.expect.problem,
      field: f.expect.field,
      registry: `127.0.0.1:${port}`,
      repository: 'edge/app',
    });
    expect(e.message).toContain(`registry 127.0.0.1:${port}, repository edge/app`);
    // Refused, not retried in a loop: the endless listing stops at the page limit.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.length).toBeLessThanOrEqual(MAX_PAGES);
  });
});

describe('bad tags are never requested (test/fixtures/bad/tags)', () => {
  const tags = loadBadFixtures('tags', z.strictObject({ description: z.string(), tag: z.string() }));

  it.each(tags.map((t) => [t.name, t.tag] as const))('%s', async (_name, tag) => {
    current = undefined;
    requests = [];
    const repo = new RegistryClient({ retry: { attempts: 1 } }).repository(`127.0.0.1:${port}/edge/app`, { insecure: true });
    for (const call of [() => repo.resolveDigest(tag), () => repo.getManifest(tag), () => repo.platformsOf(tag)]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RegistryInvalidReferenceError);
      expect({ code: (error as RegistryInvalidReferenceError).code, reference: (error as RegistryInvalidReferenceError).reference }).toEqual({ code: 'invalid-registry-reference', reference: tag });
    }
    expect(requests).toEqual([]);
  });
});
