import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, timingSafeEqual, createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { RegistryUser } from './htpasswd';

const execFileAsync = promisify(execFile);

/** Options of {@link startTokenServer}. */
export interface TokenServerOptions {
  /** Users whose basic credentials earn a token. */
  readonly users: readonly RegistryUser[];
  /** OAuth2 refresh tokens (Docker `identitytoken`) accepted, by the user they stand for. */
  readonly identityTokens?: Readonly<Record<string, string>>;
  /** Give anonymous clients tokens too (with pull access). @default false */
  readonly allowAnonymous?: boolean;
  /** Token lifetime announced in `expires_in`. @default 300 */
  readonly expiresInSeconds?: number;
  /** @default 'fluxops-dev-registry' */
  readonly service?: string;
  /** @default 'fluxops-dev-token-server' */
  readonly issuer?: string;
}

/** What one token request looked like (no secrets). */
export interface TokenRequestRecord {
  readonly method: string;
  readonly scope: string | undefined;
  readonly service: string | undefined;
  /** The user the credentials belonged to; `undefined` for anonymous requests. */
  readonly user: string | undefined;
  readonly grantType: string | undefined;
  /** HTTP status the server answered. */
  readonly status: number;
}

/** A running token service for a registry configured with `auth: { kind: 'token', ... }`. */
export interface TokenServer {
  /** `http://127.0.0.1:<port>/token` */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the signing certificate, for the registry's `rootcertbundle`. */
  readonly rootCertBundle: string;
  /** Every request so far. */
  readonly requests: readonly TokenRequestRecord[];
  stop(): Promise<void>;
}

/**
 * Starts the Docker token authentication service a distribution registry delegates to: it checks
 * basic credentials (or a refresh token), and answers with a JWT signed by an RSA key whose
 * self-signed certificate (made with openssl) travels in the `x5c` header; the registry trusts it
 * through `rootcertbundle`. Listens on 127.0.0.1 and a free port; keys live in a 0700 temp dir
 * removed by `stop()`.
 */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-token-server-'));
  await fs.chmod(dir, 0o700);
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  try {
    await execFileAsync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=fluxops-dev-token-server'], {
      timeout: 60_000,
    });
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  const key = createPrivateKey(await fs.readFile(keyFile));
  const certPem = await fs.readFile(certFile, 'utf8');
  const certDer = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const service = opts.service ?? 'fluxops-dev-registry';
  const issuer = opts.issuer ?? 'fluxops-dev-token-server';
  const expiresIn = opts.expiresInSeconds ?? 300;
  const requests: TokenRequestRecord[] = [];

  const authenticate = (req: http.IncomingMessage, form: URLSearchParams): { user?: string; ok: boolean } => {
    if (form.get('grant_type') === 'refresh_token') {
      const offered = form.get('refresh_token') ?? '';
      for (const [token, user] of Object.entries(opts.identityTokens ?? {})) if (safeEqual(token, offered)) return { user, ok: true };
      return { ok: false };
    }
    const header = req.headers.authorization;
    if (!header) return { ok: opts.allowAnonymous ?? false };
    const m = /^Basic\s+(.+)$/i.exec(header);
    if (!m) return { ok: false };
    const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    const username = text.slice(0, colon);
    const password = text.slice(colon + 1);
    const user = opts.users.find((u) => u.username === username);
    return user && safeEqual(user.password, password) ? { user: username, ok: true } : { user: username, ok: false };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const form = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
      const scope = form.get('scope') ?? url.searchParams.get('scope') ?? undefined;
      const svc = form.get('service') ?? url.searchParams.get('service') ?? undefined;
      const who = authenticate(req, form);
      const record = (status: number): void => {
        requests.push({ method: req.method ?? '', scope, service: svc, user: who.user, grantType: form.get('grant_type') ?? undefined, status });
      };
      if (url.pathname !== '/token') {
        record(404);
        res.writeHead(404).end();
        return;
      }
      if (!who.ok) {
        record(401);
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const access = (scope ?? '')
        .split(' ')
        .filter(Boolean)
        .map((s) => {
          const [type, name, actions] = s.split(':');
          return { type, name, actions: (actions ?? '').split(',').filter((a) => a === 'pull') };
        });
      const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
      const claims = { iss: issuer, sub: who.user ?? '', aud: svc ?? service, exp: now + expiresIn, nbf: now - 5, iat: now, jti: randomBytes(8).toString('hex'), access };
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const signature = sign('RSA-SHA256', Buffer.from(signingInput), key);
      const token = `${signingInput}.${b64url(signature)}`;
      record(200);
      const body = form.get('grant_type') === 'refresh_token' ? { access_token: token, expires_in: expiresIn } : { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let stopping: Promise<void> | undefined;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certFile,
    requests,
    stop() {
      stopping ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await fs.rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** Compares secrets in constant time (hashes first, so lengths do not leak either). */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
