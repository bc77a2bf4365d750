import type { RegistryCredential, RegistryCredentials } from './credentials';
import { RegistryAuthError, RegistryInvalidResponseError, type RegistryErrorContext } from './errors';
import { parseWwwAuthenticate } from './http-headers';
import type { RegistryClock, RegistryTransport } from './registry-transport';
import { tokenResponseSchema } from './schemas';

/** Token answers are small; anything bigger is not a token response. */
const MAX_TOKEN_BYTES = 1024 * 1024;
/** Tokens are renewed this long before they expire (at most a tenth of their lifetime). */
const EXPIRY_MARGIN_MS = 10_000;

/** The repository a request is for and the scope it needs (`repository:<name>:pull`). */
export interface AuthTarget extends RegistryErrorContext {
  readonly scope: string;
  /** Plain HTTP registry: credentials may then go over plain HTTP too. */
  readonly insecure: boolean;
}

interface CachedToken {
  readonly header: string;
  readonly renewAt: number;
}

/**
 * Answers registry authentication challenges: HTTP basic, and the bearer-token flow of Docker Hub,
 * GHCR, Harbor and distribution (`WWW-Authenticate: Bearer realm=...,service=...,scope=...`: a token
 * is requested from the realm, with basic credentials or an identity token when configured, and
 * cached per registry and scope until shortly before it expires). Never puts a secret in an error.
 */
export class RegistryAuth {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly basicRegistries = new Set<string>();

  constructor(
    private readonly credentials: RegistryCredentials,
    private readonly transport: RegistryTransport,
    private readonly clock: RegistryClock,
    private readonly userAgent: string,
  ) {}

  /** The Authorization header to send up front, from what earlier challenges taught, if any. */
  headerFor(target: AuthTarget): string | undefined {
    const cached = this.tokens.get(tokenKey(target));
    if (cached && cached.renewAt > this.clock.now()) return cached.header;
    if (this.basicRegistries.has(target.registry)) {
      const cred = this.credentials.lookup(target.registry);
      if (cred?.kind === 'basic') return basicHeader(cred);
    }
    const cred = this.credentials.lookup(target.registry);
    if (cred?.kind === 'registry-token') return `Bearer ${cred.token.reveal()}`;
    return undefined;
  }

  /**
   * The Authorization header that answers a 401's `WWW-Authenticate`. Throws
   * {@link RegistryAuthError} when there is no way to authenticate or the token service refuses.
   */
  async answer(challengeHeader: string | null, target: AuthTarget): Promise<string> {
    const cred = this.credentials.lookup(target.registry);
    const challenges = parseWwwAuthenticate(challengeHeader ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return this.bearerToken(bearer.params, target, cred);
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (cred?.kind !== 'basic') {
        throw new RegistryAuthError(target, 'the registry asks for a username and password, and none are configured for it', { status: 401, withCredentials: false });
      }
      this.basicRegistries.add(target.registry);
      return basicHeader(cred);
    }
    if (challengeHeader === null) {
      throw new RegistryAuthError(target, 'the registry refused the request (HTTP 401) without an authentication challenge', { status: 401, withCredentials: cred !== undefined });
    }
    throw new RegistryInvalidResponseError(target, 'bad-challenge', `unsupported WWW-Authenticate challenge (${challenges.map((c) => c.scheme).join(', ') || 'unreadable'})`, { status: 401 });
  }

  /** Forgets a cached token that the registry no longer accepts. */
  invalidate(target: AuthTarget): void {
    this.tokens.delete(tokenKey(target));
  }

  private async bearerToken(params: Readonly<Record<string, string>>, target: AuthTarget, cred: RegistryCredential | undefined): Promise<string> {
    const realm = params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryInvalidResponseError(target, 'bad-challenge', `Bearer challenge without a valid realm URL`, { status: 401 });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && target.insecure)) {
      throw new RegistryInvalidResponseError(target, 'insecure-realm', `token realm ${url.protocol}//${url.host} is not HTTPS (only allowed for insecure repositories)`, { status: 401 });
    }
    const service = params.service;
    if (service) url.searchParams.set('service', service);
    const headers: Record<string, string> = { 'User-Agent': this.userAgent, Accept: 'application/json' };
    let req: { method: 'GET' | 'POST'; body?: string };
    if (cred?.kind === 'identity-token') {
      // Docker's OAuth2 flow: exchange the refresh token for an access token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.token.reveal(), client_id: 'fluxops', scope: target.scope });
      if (service) form.set('service', service);
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      req = { method: 'POST', body: form.toString() };
    } else {
      url.searchParams.set('scope', target.scope);
      if (cred?.kind === 'basic') headers.Authorization = basicHeader(cred);
      req = { method: 'GET' };
    }
    const withCredentials = cred !== undefined && cred.kind !== 'registry-token';
    const res = await this.transport.send({ ...req, url: url.toString(), headers, maxBytes: MAX_TOKEN_BYTES }, target);
    if (res.status === 401 || res.status === 403) {
      const who = cred?.kind === 'basic' ? `credentials of user ${JSON.stringify(cred.username)}` : cred ? 'the identity token' : 'anonymous access';
      throw new RegistryAuthError(target, `token service ${url.host} refused ${who} for scope ${target.scope} (HTTP ${res.status})`, {
        status: res.status,
        withCredentials,
      });
    }
    if (res.status < 200 || res.status > 299) {
      throw new RegistryInvalidResponseError(target, 'unexpected-status', `token service ${url.host} answered HTTP ${res.status}`, { status: res.status });
    }
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      throw new RegistryInvalidResponseError(target, 'malformed-json', `token service ${url.host} sent a body that is not JSON`, { status: res.status, cause: err });
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new RegistryInvalidResponseError(target, 'schema', `token service ${url.host} sent no usable token (${parsed.error.issues[0]?.message ?? 'invalid'})`, { status: res.status });
    }
    const token = parsed.data.token ?? parsed.data.access_token ?? '';
    const lifetimeMs = (parsed.data.expires_in ?? 60) * 1000;
    const issued = parsed.data.issued_at ? Date.parse(parsed.data.issued_at) : NaN;
    const start = Number.isNaN(issued) ? this.clock.now() : Math.min(issued, this.clock.now());
    const header = `Bearer ${token}`;
    this.tokens.set(tokenKey(target), { header, renewAt: start + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10) });
    return header;
  }
}

function tokenKey(target: AuthTarget): string {
  return `${target.registry}\n${target.scope}`;
}

function basicHeader(cred: { username: string; password: { reveal(): string } }): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password.reveal()}`).toString('base64')}`;
}
