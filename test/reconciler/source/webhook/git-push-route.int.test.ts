import { randomBytes } from 'node:crypto';
import { hmacSha256Hex } from '../../../../reconciler/http';
import { createGitPushReceiver, GIT_PROVIDERS, gitPushRoute, type GitProvider, type PushEvent } from '../../../../reconciler/source/webhook';
import { metricsRoute, ReconcilerMetrics, startHttpServer, type RunningHttpServer } from '../../../../reconciler/status';
import { parsePrometheusText, sampleValue } from '../../../support/prometheus-text';
import { commitId, githubPing, PUSH_BUILDERS, type Delivery } from '../../../support/webhook-deliveries';

const secret = randomBytes(24).toString('base64url');
const MAX_BODY = 16 * 1024;

describe('git push webhooks over real HTTP', () => {
  let server: RunningHttpServer | undefined;
  const pushes: PushEvent[] = [];
  const metrics = new ReconcilerMetrics({ processMetrics: false });
  const url = (path: string): string => {
    if (!server) throw new Error('server not started');
    return `${server.url}${path}`;
  };

  beforeAll(async () => {
    server = await startHttpServer({
      routes: [
        ...GIT_PROVIDERS.map((provider) =>
          gitPushRoute(
            createGitPushReceiver({ provider, secret, repositoryUrl: `https://${PUSH_BUILDERS[provider].host}/acme/fleet-config.git`, branch: 'main', maxBodyBytes: MAX_BODY }),
            { onPush: (e) => pushes.push(e), onDecision: (d) => metrics.recordWebhook('factory-a', 'git', d) },
          ),
        ),
        metricsRoute(metrics),
      ],
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  beforeEach(() => {
    pushes.length = 0;
  });

  const post = (provider: GitProvider, d: Delivery): Promise<Response> =>
    fetch(url(`/hooks/git/${provider}`), { method: 'POST', headers: d.headers, body: d.body });

  /** Re-signs `body` the way `provider` signs (to build well-signed bad payloads). */
  const signed = (provider: GitProvider, d: Delivery, body: Buffer): Delivery => {
    const headers = { ...d.headers };
    if (provider === 'github') headers['X-Hub-Signature-256'] = `sha256=${hmacSha256Hex(secret, body)}`;
    if (provider === 'gitea') headers['X-Gitea-Signature'] = hmacSha256Hex(secret, body);
    if (provider === 'generic') headers['X-Signature-256'] = `sha256=${hmacSha256Hex(secret, body)}`;
    return { headers, body };
  };

  describe.each(GIT_PROVIDERS)('%s', (provider) => {
    const { build, signatureHeader } = PUSH_BUILDERS[provider];

    it('202 and one trigger for a signed push to the watched branch', async () => {
      const commit = commitId(`${provider}-good`);
      const res = await post(provider, build({ commit, secret }));
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ result: 'accepted', provider, branch: 'main', commit });
      expect(pushes).toEqual([expect.objectContaining({ provider, branch: 'main', commit })]);
    });

    it('401 and nothing triggered without a signature', async () => {
      const res = await post(provider, build({ commit: commitId(1) }));
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 'request-unauthorized', field: signatureHeader, problem: 'missing', input: `POST /hooks/git/${provider}` });
      expect(pushes).toHaveLength(0);
    });

    it('401 and nothing triggered with a bad signature, which is not echoed', async () => {
      const bad = build({ commit: commitId(2), secret: 'guessed-secret' });
      const res = await post(provider, bad);
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'request-unauthorized', problem: 'mismatch' } });
      expect(text).not.toContain(bad.headers[signatureHeader]?.replace(/^sha256=/, '') ?? 'x');
      expect(text).not.toContain(secret);
      expect(pushes).toHaveLength(0);
    });

    it('200 ignored for another repository and for another branch', async () => {
      const otherRepo = await post(provider, build({ commit: commitId(3), secret, repo: 'acme/other' }));
      expect(otherRepo.status).toBe(200);
      expect(await otherRepo.json()).toMatchObject({ result: 'ignored', reason: 'other-repository' });
      const otherBranch = await post(provider, build({ commit: commitId(4), secret, branch: 'develop' }));
      expect(otherBranch.status).toBe(200);
      expect(await otherBranch.json()).toMatchObject({ result: 'ignored', reason: 'other-branch' });
      expect(pushes).toHaveLength(0);
    });

    it('413 for a (validly signed) body over the limit', async () => {
      const d = build({ commit: commitId(5), secret });
      const padded = Buffer.from(d.body.toString().replace(/}$/, `,"padding":"${'x'.repeat(MAX_BODY)}"}`));
      const res = await post(provider, signed(provider, d, padded));
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: 'payload-too-large', field: 'body', limitBytes: MAX_BODY } });
      expect(pushes).toHaveLength(0);
    });

    it('400 naming the body for a signed, truncated JSON payload', async () => {
      const d = build({ commit: commitId(6), secret });
      const res = await post(provider, signed(provider, d, d.body.subarray(0, 80)));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; field: string; message: string } };
      expect(body.error).toMatchObject({ code: 'invalid-payload', field: 'body' });
      expect(body.error.message).toMatch(new RegExp(`^POST /hooks/git/${provider}: body: is not valid JSON`));
      expect(pushes).toHaveLength(0);
    });

    it('415 for a form-encoded delivery', async () => {
      const d = build({ commit: commitId(7), secret });
      const res = await post(provider, { headers: { ...d.headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`payload=${encodeURIComponent(d.body.toString())}`) });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ error: { code: 'unsupported-content-type', contentType: 'application/x-www-form-urlencoded' } });
      expect(pushes).toHaveLength(0);
    });
  });

  it('GitHub ping: 200 ignored', async () => {
    const res = await post('github', githubPing(secret));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ result: 'ignored', reason: 'ping', deliveryId: 'ping-1' });
  });

  it('counts every decision in the webhook metric', async () => {
    const res = await fetch(url('/metrics'));
    const scrape = parsePrometheusText(await res.text());
    for (const provider of GIT_PROVIDERS) {
      const labels = { site: 'factory-a', source: 'git', provider };
      expect(sampleValue(scrape, 'fluxops_webhook_deliveries_total', { ...labels, result: 'accepted' })).toBe(1);
      expect(sampleValue(scrape, 'fluxops_webhook_deliveries_total', { ...labels, result: 'ignored' })).toBe(provider === 'github' ? 3 : 2);
      expect(sampleValue(scrape, 'fluxops_webhook_deliveries_total', { ...labels, result: 'rejected' })).toBe(5);
    }
  });
});
