import { randomBytes } from 'node:crypto';
import {
  hmacSha256Hex,
  InvalidPayloadError,
  InvalidRequestError,
  PayloadTooLargeError,
  UnauthorizedRequestError,
  UnsupportedContentTypeError,
  WebhookConfigError,
} from '../../../../reconciler/http';
import { createGitPushReceiver, GIT_PROVIDERS, type GitProvider, type GitPushDecision } from '../../../../reconciler/source/webhook';
import { commitId, githubPing, PUSH_BUILDERS, ZERO_COMMIT, type Delivery } from '../../../support/webhook-deliveries';

const secret = randomBytes(16).toString('hex');

function receiverFor(provider: GitProvider, overrides: { repositoryUrl?: string; branch?: string; maxBodyBytes?: number } = {}) {
  const host = PUSH_BUILDERS[provider].host;
  return createGitPushReceiver({
    provider,
    secret,
    repositoryUrl: overrides.repositoryUrl ?? `git@${host}:acme/fleet-config.git`,
    branch: overrides.branch ?? 'main',
    ...(overrides.maxBodyBytes !== undefined ? { maxBodyBytes: overrides.maxBodyBytes } : {}),
  });
}

function decide(provider: GitProvider, delivery: Delivery, overrides?: Parameters<typeof receiverFor>[1]): GitPushDecision {
  return receiverFor(provider, overrides).receive({ headers: delivery.headers, body: delivery.body });
}

function rejection(d: GitPushDecision): Error {
  if (d.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(d)}`);
  return d.error;
}

describe.each(GIT_PROVIDERS)('%s push receiver', (provider) => {
  const { build, signatureHeader } = PUSH_BUILDERS[provider];
  const commit = commitId(`${provider}-1`);

  it('accepts a signed push to the watched repository and branch', () => {
    const d = decide(provider, build({ commit, secret }));
    expect(d).toMatchObject({ kind: 'accepted', provider, event: { provider, branch: 'main', commit } });
    if (d.kind !== 'accepted') return;
    expect(d.event.repositoryUrls.length).toBeGreaterThan(0);
    expect(d.deliveryId).toBeDefined();
    expect(d.event.deliveryId).toBe(d.deliveryId);
  });

  it('rejects a missing signature with 401 and names the header', () => {
    const e = rejection(decide(provider, build({ commit })));
    expect(e).toBeInstanceOf(UnauthorizedRequestError);
    expect(e).toMatchObject({ status: 401, field: signatureHeader, problem: 'missing' });
  });

  it('rejects a signature made with another secret with 401', () => {
    const e = rejection(decide(provider, build({ commit, secret: 'not-the-secret' })));
    expect(e).toMatchObject({ status: 401, field: signatureHeader, problem: 'mismatch' });
    expect(e.message).toContain(`${provider} push webhook`);
    expect(JSON.stringify(e)).not.toContain(secret);
  });

  it('rejects a body changed after signing with 401 (the signature covers the raw bytes)', () => {
    const good = build({ commit, secret });
    const tampered = Buffer.from(good.body.toString('utf8').replace(commit, commitId('evil')));
    const d = decide(provider, { headers: good.headers, body: tampered });
    if (provider === 'gitlab') {
      // GitLab sends a token, not a signature: a tampered body cannot be detected.
      expect(d.kind).toBe('accepted');
    } else {
      expect(rejection(d)).toMatchObject({ status: 401, problem: 'mismatch' });
    }
  });

  it('ignores another repository, naming both', () => {
    const d = decide(provider, build({ commit, secret, repo: 'acme/other' }));
    expect(d).toMatchObject({ kind: 'ignored', reason: 'other-repository' });
    if (d.kind === 'ignored') expect(d.detail).toContain('acme/other');
  });

  it('ignores another branch', () => {
    expect(decide(provider, build({ commit, secret, branch: 'feature/x' }))).toMatchObject({ kind: 'ignored', reason: 'other-branch' });
  });

  it('matches the repository whatever URL form is configured', () => {
    const host = PUSH_BUILDERS[provider].host;
    for (const repositoryUrl of [`https://${host}/acme/fleet-config.git`, `https://${host.toUpperCase()}/acme/fleet-config`, `ssh://git@${host}/acme/fleet-config.git`]) {
      expect(decide(provider, build({ commit, secret }), { repositoryUrl }).kind).toBe('accepted');
    }
  });

  it('answers 415 for another content type, before looking at credentials', () => {
    const good = build({ commit });
    const e = rejection(decide(provider, { headers: { ...good.headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: good.body }));
    expect(e).toBeInstanceOf(UnsupportedContentTypeError);
    expect(e).toMatchObject({ status: 415, field: 'Content-Type', contentType: 'application/x-www-form-urlencoded' });
  });

  it('accepts a charset parameter on the content type', () => {
    const good = build({ commit, secret });
    expect(decide(provider, { headers: { ...good.headers, 'Content-Type': 'application/json; charset=utf-8' }, body: good.body }).kind).toBe('accepted');
  });

  it('answers 413 for a body over the limit', () => {
    const good = build({ commit, secret });
    const e = rejection(decide(provider, good, { maxBodyBytes: good.body.length - 1 }));
    expect(e).toBeInstanceOf(PayloadTooLargeError);
    expect(e).toMatchObject({ status: 413, field: 'body', limitBytes: good.body.length - 1 });
  });

  it('answers 400 for a signed body that is not JSON (truncated)', () => {
    const good = build({ commit, secret });
    const truncated = good.body.subarray(0, Math.floor(good.body.length / 2));
    const resigned = PUSH_BUILDERS[provider].build({ commit, secret });
    // Re-sign the truncated bytes with the right secret: only the JSON is wrong.
    const headers = { ...resigned.headers, ...signedHeaders(provider, truncated) };
    const e = rejection(decide(provider, { headers, body: truncated }));
    expect(e).toBeInstanceOf(InvalidPayloadError);
    expect(e).toMatchObject({ status: 400, field: 'body' });
    expect(e.message).toMatch(/is not valid JSON/);
  });
});

function signedHeaders(provider: GitProvider, body: Buffer): Record<string, string> {
  switch (provider) {
    case 'github':
      return { 'X-Hub-Signature-256': `sha256=${hmacSha256Hex(secret, body)}` };
    case 'gitea':
      return { 'X-Gitea-Signature': hmacSha256Hex(secret, body) };
    case 'generic':
      return { 'X-Signature-256': `sha256=${hmacSha256Hex(secret, body)}` };
    case 'gitlab':
      return { 'X-Gitlab-Token': secret };
  }
}

describe('provider specifics', () => {
  it('GitHub: ping is ignored only when signed', () => {
    expect(decide('github', githubPing(secret))).toMatchObject({ kind: 'ignored', reason: 'ping' });
    expect(rejection(decide('github', githubPing(undefined)))).toMatchObject({ status: 401 });
  });

  it.each([
    ['github', 'pull_request'],
    ['gitlab', 'Merge Request Hook'],
    ['gitlab', 'Tag Push Hook'],
    ['gitea', 'pull_request'],
  ] as const)('%s: event %s is ignored', (provider, event) => {
    expect(decide(provider, PUSH_BUILDERS[provider].build({ commit: commitId(1), secret, event }))).toMatchObject({ kind: 'ignored', reason: 'event-not-push' });
  });

  it.each(['github', 'gitlab', 'gitea'] as const)('%s: a missing event header is a 400 naming the header', (provider) => {
    const d = PUSH_BUILDERS[provider].build({ commit: commitId(1), secret });
    const header = Object.keys(d.headers).find((h) => /-event$/i.test(h)) ?? '';
    const headers = Object.fromEntries(Object.entries(d.headers).filter(([k]) => !/-event(-type)?$/i.test(k)));
    const e = rejection(decide(provider, { headers, body: d.body }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toMatchObject({ status: 400, field: header });
  });

  it.each(['github', 'gitlab', 'gitea'] as const)('%s: a deleted branch is ignored', (provider) => {
    expect(decide(provider, PUSH_BUILDERS[provider].build({ commit: ZERO_COMMIT, secret }))).toMatchObject({ kind: 'ignored', reason: 'branch-deleted' });
  });

  it.each(['github', 'gitlab', 'gitea'] as const)('%s: a tag push is not a branch', (provider) => {
    const event = provider === 'gitlab' ? 'Push Hook' : 'push';
    expect(decide(provider, PUSH_BUILDERS[provider].build({ commit: commitId(1), secret, ref: 'refs/tags/v1.0.0', event }))).toMatchObject({
      kind: 'ignored',
      reason: 'not-a-branch',
    });
  });

  it('GitLab: commit comes from checkout_sha; URLs from project', () => {
    const d = decide('gitlab', PUSH_BUILDERS.gitlab.build({ commit: commitId(7), secret }));
    expect(d).toMatchObject({
      kind: 'accepted',
      event: { commit: commitId(7), repositoryUrls: ['https://gitlab.com/acme/fleet-config.git', 'git@gitlab.com:acme/fleet-config.git', 'https://gitlab.com/acme/fleet-config'] },
    });
  });

  it('a schema error names the field and the value', () => {
    const body = Buffer.from(JSON.stringify({ repository: 'https://git.example.com/acme/fleet-config.git', branch: 'main', commit: 'not-a-sha' }));
    const e = rejection(receiverFor('generic').receive({ headers: { 'content-type': 'application/json', ...signedHeaders('generic', body) }, body }));
    expect(e).toMatchObject({ status: 400, field: 'commit', value: 'not-a-sha' });
    expect(e.message).toBe('generic push webhook: commit: must be a commit id of 40 or 64 lowercase hex digits');
  });

  it('GitHub: a payload without repository URLs names repository', () => {
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: commitId(1), repository: { full_name: 'acme/x' } }));
    const e = rejection(
      receiverFor('github').receive({ headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...signedHeaders('github', body) }, body, input: 'POST /hooks/git/github' }),
    );
    expect(e).toMatchObject({ status: 400, field: 'repository', input: 'POST /hooks/git/github' });
    expect(e.message).toContain('needs at least one of clone_url, ssh_url, html_url');
  });

  it('accepts either secret during a rotation', () => {
    const r = createGitPushReceiver({ provider: 'github', secret: ['old-secret', 'new-secret'], repositoryUrl: 'https://github.com/acme/fleet-config', branch: 'main' });
    for (const s of ['old-secret', 'new-secret']) {
      const d = PUSH_BUILDERS.github.build({ commit: commitId(1), secret: s });
      expect(r.receive({ headers: d.headers, body: d.body }).kind).toBe('accepted');
    }
  });

  it('refuses bad configuration at construction', () => {
    const base = { provider: 'github' as const, secret, repositoryUrl: 'https://github.com/acme/fleet-config', branch: 'main' };
    expect(() => createGitPushReceiver({ ...base, secret: '' })).toThrow(WebhookConfigError);
    expect(() => createGitPushReceiver({ ...base, repositoryUrl: 'nope' })).toThrow(expect.objectContaining({ field: 'repositoryUrl', value: 'nope' }));
    expect(() => createGitPushReceiver({ ...base, branch: 'refs/heads/main' })).toThrow(expect.objectContaining({ field: 'branch' }));
    expect(() => createGitPushReceiver({ ...base, maxBodyBytes: 0 })).toThrow(expect.objectContaining({ field: 'maxBodyBytes' }));
    expect(() => createGitPushReceiver({ ...base, provider: 'bitbucket' as GitProvider })).toThrow(expect.objectContaining({ field: 'provider' }));
  });

  it('drops delivery ids that are not plain tokens (they arrive before authentication)', () => {
    const d = PUSH_BUILDERS.github.build({ commit: commitId(1), secret, deliveryId: 'abc\n{"forged":"log line"}' });
    expect(decide('github', d)).toMatchObject({ kind: 'accepted' });
    expect(decide('github', d).deliveryId).toBeUndefined();
  });
});
