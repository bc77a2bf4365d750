import { createHash, createHmac } from 'node:crypto';

/**
 * Builders for realistic webhook deliveries (headers + raw body bytes), signed the way each
 * provider signs them. The payloads follow the providers' documented samples, trimmed to the
 * fields a receiver might read plus a few it must ignore.
 */

/** A delivery: what a sender puts on the wire. */
export interface Delivery {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Query string for the URL (Docker Hub's token), without `?`. */
  readonly query?: string;
}

/** A deterministic commit id (40 hex) for test number `n`. */
export function commitId(n: number | string): string {
  return createHash('sha1').update(`commit-${n}`).digest('hex');
}

/** The commit id hosts send as `after` when a branch is deleted. */
export const ZERO_COMMIT = '0'.repeat(40);

/** What to push. */
export interface PushSpec {
  /** @default 'github.com' (gitlab.com / gitea.example.com for those builders) */
  readonly host?: string;
  /** @default 'acme/fleet-config' */
  readonly repo?: string;
  /** @default 'main' */
  readonly branch?: string;
  /** Full ref; overrides `branch`. */
  readonly ref?: string;
  readonly commit: string;
  /** The provider's event header value. @default the push event */
  readonly event?: string;
  readonly deliveryId?: string;
  /** The signing secret; `undefined` sends no signature/token header. */
  readonly secret?: string;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function hmac(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** A GitHub `push` delivery (`X-Hub-Signature-256`). */
export function githubPush(spec: PushSpec): Delivery {
  const host = spec.host ?? 'github.com';
  const repo = spec.repo ?? 'acme/fleet-config';
  const ref = spec.ref ?? `refs/heads/${spec.branch ?? 'main'}`;
  const deleted = /^0+$/.test(spec.commit);
  const body = json({
    ref,
    before: commitId('before'),
    after: spec.commit,
    created: false,
    deleted,
    forced: false,
    base_ref: null,
    compare: `https://${host}/${repo}/compare/abc...def`,
    commits: deleted ? [] : [{ id: spec.commit, message: 'Update gateway to 1.4.2', timestamp: '2026-05-01T10:00:00Z', author: { name: 'Dev', email: 'dev@example.com' } }],
    head_commit: deleted ? null : { id: spec.commit, message: 'Update gateway to 1.4.2' },
    repository: {
      id: 123456,
      name: repo.split('/').pop(),
      full_name: repo,
      private: true,
      html_url: `https://${host}/${repo}`,
      url: `https://${host}/${repo}`,
      git_url: `git://${host}/${repo}.git`,
      ssh_url: `git@${host}:${repo}.git`,
      clone_url: `https://${host}/${repo}.git`,
      default_branch: 'main',
    },
    pusher: { name: 'dev', email: 'dev@example.com' },
    sender: { login: 'dev', id: 1 },
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/abc123',
    'X-GitHub-Event': spec.event ?? 'push',
    'X-GitHub-Delivery': spec.deliveryId ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'X-GitHub-Hook-ID': '292430182',
  };
  if (spec.secret !== undefined) headers['X-Hub-Signature-256'] = `sha256=${hmac(spec.secret, body)}`;
  return { headers, body };
}

/** A GitHub `ping` delivery (sent when a hook is created). */
export function githubPing(secret: string | undefined): Delivery {
  const body = json({ zen: 'Keep it logically awesome.', hook_id: 292430182, hook: { type: 'Repository', events: ['push'], config: { content_type: 'json' } } });
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-GitHub-Event': 'ping', 'X-GitHub-Delivery': 'ping-1' };
  if (secret !== undefined) headers['X-Hub-Signature-256'] = `sha256=${hmac(secret, body)}`;
  return { headers, body };
}

/** A GitLab `Push Hook` delivery (`X-Gitlab-Token`). */
export function gitlabPush(spec: PushSpec): Delivery {
  const host = spec.host ?? 'gitlab.com';
  const repo = spec.repo ?? 'acme/fleet-config';
  const ref = spec.ref ?? `refs/heads/${spec.branch ?? 'main'}`;
  const deleted = /^0+$/.test(spec.commit);
  const project = {
    id: 15,
    name: repo.split('/').pop(),
    web_url: `https://${host}/${repo}`,
    git_ssh_url: `git@${host}:${repo}.git`,
    git_http_url: `https://${host}/${repo}.git`,
    namespace: repo.split('/')[0],
    path_with_namespace: repo,
    default_branch: 'main',
  };
  const body = json({
    object_kind: 'push',
    event_name: 'push',
    before: commitId('before'),
    after: spec.commit,
    ref,
    ref_protected: true,
    checkout_sha: deleted ? null : spec.commit,
    user_id: 4,
    user_name: 'Dev',
    project_id: 15,
    project,
    repository: { name: project.name, url: project.git_ssh_url, homepage: project.web_url, git_http_url: project.git_http_url, git_ssh_url: project.git_ssh_url },
    commits: deleted ? [] : [{ id: spec.commit, message: 'Update gateway', title: 'Update gateway' }],
    total_commits_count: deleted ? 0 : 1,
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'GitLab/17.0.0',
    'X-Gitlab-Event': spec.event ?? 'Push Hook',
    'X-Gitlab-Event-UUID': spec.deliveryId ?? '13792a34-cac6-4fda-95a8-c58e00a3954e',
    'X-Gitlab-Instance': `https://${host}`,
  };
  if (spec.secret !== undefined) headers['X-Gitlab-Token'] = spec.secret;
  return { headers, body };
}

/** A Gitea `push` delivery (`X-Gitea-Signature`). */
export function giteaPush(spec: PushSpec): Delivery {
  const host = spec.host ?? 'gitea.example.com';
  const repo = spec.repo ?? 'acme/fleet-config';
  const ref = spec.ref ?? `refs/heads/${spec.branch ?? 'main'}`;
  const body = json({
    ref,
    before: commitId('before'),
    after: spec.commit,
    compare_url: `https://${host}/${repo}/compare/a...b`,
    commits: [{ id: spec.commit, message: 'Update gateway\n', url: `https://${host}/${repo}/commit/${spec.commit}` }],
    total_commits: 1,
    head_commit: { id: spec.commit, message: 'Update gateway\n' },
    repository: {
      id: 1,
      owner: { id: 1, login: repo.split('/')[0] },
      name: repo.split('/').pop(),
      full_name: repo,
      private: false,
      html_url: `https://${host}/${repo}`,
      ssh_url: `ssh://git@${host}:2222/${repo}.git`,
      clone_url: `https://${host}/${repo}.git`,
      default_branch: 'main',
    },
    pusher: { id: 1, login: 'dev' },
    sender: { id: 1, login: 'dev' },
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'Go-http-client/1.1',
    'X-Gitea-Event': spec.event ?? 'push',
    'X-Gitea-Event-Type': spec.event ?? 'push',
    'X-Gitea-Delivery': spec.deliveryId ?? 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
  };
  if (spec.secret !== undefined) headers['X-Gitea-Signature'] = hmac(spec.secret, body);
  return { headers, body };
}

/** A generic FluxOps push (`X-Signature-256`). `host`/`repo` make the URL `https://<host>/<repo>.git`; `ref` is not supported. */
export function genericPush(spec: PushSpec): Delivery {
  const body = json({ repository: `https://${spec.host ?? 'git.example.com'}/${spec.repo ?? 'acme/fleet-config'}.git`, branch: spec.branch ?? 'main', commit: spec.commit });
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Delivery-Id': spec.deliveryId ?? 'ci-run-42' };
  if (spec.secret !== undefined) headers['X-Signature-256'] = `sha256=${hmac(spec.secret, body)}`;
  return { headers, body };
}

/** Git providers and their delivery builders, for table-driven tests. */
export const PUSH_BUILDERS = {
  github: { build: githubPush, host: 'github.com', signatureHeader: 'X-Hub-Signature-256' },
  gitlab: { build: gitlabPush, host: 'gitlab.com', signatureHeader: 'X-Gitlab-Token' },
  gitea: { build: giteaPush, host: 'gitea.example.com', signatureHeader: 'X-Gitea-Signature' },
  generic: { build: genericPush, host: 'git.example.com', signatureHeader: 'X-Signature-256' },
} as const;

/** One event inside a distribution notification envelope. */
export interface DistributionEventSpec {
  readonly action?: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest: string;
  /** @default OCI index */
  readonly mediaType?: string;
  /** @default '127.0.0.1:5000' */
  readonly host?: string;
}

/** A distribution `notifications.endpoints` delivery (`Authorization: Bearer <secret>`). */
export function distributionNotification(events: readonly DistributionEventSpec[], secret: string | undefined): Delivery {
  const body = json({
    events: events.map((e, i) => ({
      id: `event-${i}`,
      timestamp: '2026-05-01T10:00:00.000000000Z',
      action: e.action ?? 'push',
      target: {
        mediaType: e.mediaType ?? 'application/vnd.oci.image.index.v1+json',
        size: 1234,
        digest: e.digest,
        length: 1234,
        repository: e.repository,
        url: `http://${e.host ?? '127.0.0.1:5000'}/v2/${e.repository}/${e.mediaType === 'application/octet-stream' ? 'blobs' : 'manifests'}/${e.digest}`,
        ...(e.tag !== undefined ? { tag: e.tag } : {}),
      },
      request: { id: `req-${i}`, addr: '127.0.0.1:40000', host: e.host ?? '127.0.0.1:5000', method: 'PUT', useragent: 'skopeo/1.18' },
      actor: {},
      source: { addr: 'registry:5000', instanceID: 'instance-1' },
    })),
  });
  const headers: Record<string, string> = { 'Content-Type': 'application/vnd.docker.distribution.events.v1+json' };
  if (secret !== undefined) headers.Authorization = `Bearer ${secret}`;
  return { headers, body };
}

/** A Docker Hub webhook delivery; the token travels in the query string. */
export function dockerhubPush(repoName: string, tag: string, secret: string | undefined): Delivery {
  const body = json({
    callback_url: `https://registry.hub.docker.com/u/${repoName}/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/`,
    push_data: { pushed_at: 1_777_000_000, pusher: 'ci-bot', tag },
    repository: {
      comment_count: 0,
      date_created: 1_700_000_000,
      is_private: true,
      name: repoName.split('/').pop(),
      namespace: repoName.split('/')[0],
      owner: repoName.split('/')[0],
      repo_name: repoName,
      repo_url: `https://registry.hub.docker.com/u/${repoName}/`,
      status: 'Active',
    },
  });
  return { headers: { 'Content-Type': 'application/json' }, body, ...(secret !== undefined ? { query: `token=${encodeURIComponent(secret)}` } : {}) };
}

/** A Harbor `PUSH_ARTIFACT` delivery (Default payload format, `Authorization: Bearer <secret>`). */
export function harborPush(
  repoFullName: string,
  resources: readonly { readonly tag?: string; readonly digest: string }[],
  secret: string | undefined,
  opts: { readonly type?: string; readonly host?: string } = {},
): Delivery {
  const host = opts.host ?? 'harbor.example.com';
  const body = json({
    type: opts.type ?? 'PUSH_ARTIFACT',
    occur_at: 1_777_000_000,
    operator: 'ci-bot',
    event_data: {
      resources: resources.map((r) => ({
        digest: r.digest,
        ...(r.tag !== undefined ? { tag: r.tag } : {}),
        resource_url: `${host}/${repoFullName}${r.tag !== undefined ? `:${r.tag}` : `@${r.digest}`}`,
      })),
      repository: {
        date_created: 1_700_000_000,
        name: repoFullName.split('/').pop(),
        namespace: repoFullName.split('/')[0],
        repo_full_name: repoFullName,
        repo_type: 'private',
      },
    },
  });
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (secret !== undefined) headers.Authorization = `Bearer ${secret}`;
  return { headers, body };
}

/** A `sha256:` digest for test number `n`. */
export function digestOf(n: number | string): string {
  return `sha256:${createHash('sha256').update(`manifest-${n}`).digest('hex')}`;
}
