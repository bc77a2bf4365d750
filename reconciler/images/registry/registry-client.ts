import { createHash } from 'node:crypto';
import { z } from 'zod';
import { imageTagProblem } from '../../../constructs/validation';
import { ANONYMOUS, type RegistryCredentials } from './credentials';
import {
  RegistryAuthError,
  RegistryInvalidReferenceError,
  RegistryInvalidResponseError,
  RegistryNotFoundError,
  type RegistryErrorContext,
} from './errors';
import { nextLink } from './http-headers';
import { configPlatform, indexPlatforms } from './image-platforms';
import { parseImageName, type ImageName } from './image-name';
import { LruCache } from './lru-cache';
import { CONFIG_MEDIA_TYPES, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, mediaTypeOfContentType } from './media-types';
import { RegistryAuth, type AuthTarget } from './registry-auth';
import { DEFAULT_RETRY, RegistryTransport, SYSTEM_CLOCK, redactUrl, type RegistryClock, type RetryOptions, type TransportResponse } from './registry-transport';
import {
  DIGEST_PATTERN,
  errorBodySchema,
  imageConfigSchema,
  imageIndexSchema,
  imageManifestSchema,
  tagListSchema,
  type OciImageConfig,
  type OciImageIndex,
  type OciImageManifest,
} from './schemas';

/** Options of {@link RegistryClient}; every one has a default. */
export interface RegistryClientOptions {
  /** Credentials by registry host. @default anonymous */
  readonly credentials?: RegistryCredentials;
  /** Timeout of one HTTP attempt, body included. @default 15000 */
  readonly timeoutMs?: number;
  /** Retries of faults. @default {@link DEFAULT_RETRY} */
  readonly retry?: Partial<RetryOptions>;
  /** Clock, sleep and randomness (tests inject them). @default the system's */
  readonly clock?: Partial<RegistryClock>;
  /** The `fetch` to use. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Manifests, configs and platform lists kept by digest. @default 2000 */
  readonly cacheEntries?: number;
  /** Page size asked for when listing tags (`n`); registries cap it (often at 100 or 1000). @default 1000 */
  readonly pageSize?: number;
  /** Pages followed at most before listing is declared an endless loop. @default 1000 */
  readonly maxPages?: number;
  /** Largest manifest or index accepted. @default 4 MiB (the OCI recommendation) */
  readonly maxManifestBytes?: number;
  /** Largest image config or tag list page accepted. @default 16 MiB */
  readonly maxBlobBytes?: number;
  /** @default 'fluxops' */
  readonly userAgent?: string;
}

/** A manifest or index as fetched, verified against its digest. */
export type FetchedManifest =
  | { readonly kind: 'index'; readonly digest: string; readonly mediaType: string; readonly index: OciImageIndex }
  | { readonly kind: 'manifest'; readonly digest: string; readonly mediaType: string; readonly manifest: OciImageManifest };

/** What a tag or digest points at, with the platforms it provides. */
export interface ImagePlatforms {
  readonly digest: string;
  readonly mediaType: string;
  /** Normalized `os/arch[/variant]`; attestation manifests are not platforms. */
  readonly platforms: readonly string[];
}

/** Options of {@link RegistryClient.repository}. */
export interface RepositoryOptions {
  /** Plain HTTP instead of HTTPS (the ImageRepository `insecure` prop). @default false */
  readonly insecure?: boolean;
}

const DIGEST_REF = /^(sha256|sha512):/;

/**
 * Read-only client of the OCI distribution API v2 over `fetch` ("where versions come from"). One
 * instance holds the auth state (tokens) and the by-digest cache for all repositories it serves.
 */
export class RegistryClient {
  private readonly transport: RegistryTransport;
  private readonly auth: RegistryAuth;
  private readonly cache: LruCache<string, FetchedManifest | ImagePlatforms | OciImageConfig>;
  readonly config: Required<Omit<RegistryClientOptions, 'credentials' | 'clock' | 'fetch' | 'retry'>> & { readonly retry: RetryOptions };

  constructor(options: RegistryClientOptions = {}) {
    const clock: RegistryClock = { ...SYSTEM_CLOCK, ...options.clock };
    const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
    this.config = {
      timeoutMs: options.timeoutMs ?? 15_000,
      retry,
      cacheEntries: options.cacheEntries ?? 2000,
      pageSize: options.pageSize ?? 1000,
      maxPages: options.maxPages ?? 1000,
      maxManifestBytes: options.maxManifestBytes ?? 4 * 1024 * 1024,
      maxBlobBytes: options.maxBlobBytes ?? 16 * 1024 * 1024,
      userAgent: options.userAgent ?? 'fluxops',
    };
    this.transport = new RegistryTransport({ fetch: options.fetch ?? globalThis.fetch, clock, retry, timeoutMs: this.config.timeoutMs });
    this.auth = new RegistryAuth(options.credentials ?? ANONYMOUS, this.transport, clock, this.config.userAgent);
    this.cache = new LruCache(this.config.cacheEntries);
  }

  /** A client for one repository (`registry.local:5000/edge/app`, `nginx`, `ghcr.io/org/app`). */
  repository(image: string, options: RepositoryOptions = {}): RepositoryClient {
    return new RepositoryClient(this, parseImageName(image), options.insecure ?? false);
  }

  /** @internal Sends a request with authentication (answering one challenge) and returns the response. */
  async request(
    target: AuthTarget & { readonly apiHost: string },
    req: { method: 'GET' | 'HEAD'; url: string; accept?: string; maxBytes: number },
  ): Promise<TransportResponse> {
    const headers: Record<string, string> = { 'User-Agent': this.config.userAgent };
    if (req.accept) headers.Accept = req.accept;
    const pre = this.auth.headerFor(target);
    if (pre) headers.Authorization = pre;
    let res = await this.transport.send({ method: req.method, url: req.url, headers, maxBytes: req.maxBytes }, target);
    if (res.status === 401) {
      if (pre) this.auth.invalidate(target);
      headers.Authorization = await this.auth.answer(res.headers.get('www-authenticate'), target);
      res = await this.transport.send({ method: req.method, url: req.url, headers, maxBytes: req.maxBytes }, target);
      if (res.status === 401 || res.status === 403) {
        this.auth.invalidate(target);
        throw new RegistryAuthError(target, `the registry refused the credentials for ${target.scope} (HTTP ${res.status}${registryCode(res)})`, {
          status: res.status,
          withCredentials: true,
        });
      }
    } else if (res.status === 403) {
      throw new RegistryAuthError(target, `access denied for ${target.scope} (HTTP 403${registryCode(res)})`, { status: 403, withCredentials: pre !== undefined });
    }
    return res;
  }

  /** @internal */
  cached<T extends FetchedManifest | ImagePlatforms | OciImageConfig>(key: string): T | undefined {
    return this.cache.get(key) as T | undefined;
  }

  /** @internal */
  remember(key: string, value: FetchedManifest | ImagePlatforms | OciImageConfig): void {
    this.cache.set(key, value);
  }
}

/**
 * One repository of a registry: tags, manifests, digests and platforms. Implements the policy
 * tree's `TagPlatformLookup` (`platformsOf`), so it plugs straight into `selectImage`.
 */
export class RepositoryClient {
  /** Canonical registry host (credentials key). */
  readonly registry: string;
  /** Repository path. */
  readonly repository: string;
  /** Whether plain HTTP is used. */
  readonly insecure: boolean;
  private readonly base: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly name: ImageName,
    insecure: boolean,
  ) {
    this.registry = name.registry;
    this.repository = name.repository;
    this.insecure = insecure;
    this.base = `${insecure ? 'http' : 'https'}://${name.apiHost}`;
  }

  /**
   * Every tag, following `Link: <...>; rel="next"` pages. Throws
   * {@link RegistryInvalidResponseError} (`pagination-loop`) when a page link repeats, a page
   * brings nothing new, or the page limit is reached; {@link RegistryNotFoundError} for an unknown
   * repository.
   */
  async listTags(): Promise<string[]> {
    const ctx = this.ctx();
    const tags: string[] = [];
    const seenUrls = new Set<string>();
    const seenLast = new Set<string>();
    let url = `${this.base}/v2/${this.repository}/tags/list?n=${this.client.config.pageSize}`;
    for (let page = 1; ; page++) {
      if (page > this.client.config.maxPages) {
        throw new RegistryInvalidResponseError(ctx, 'pagination-loop', `tag list has more than ${this.client.config.maxPages} pages`);
      }
      const res = await this.client.request(this.target(ctx), { method: 'GET', url, accept: 'application/json', maxBytes: this.client.config.maxBlobBytes });
      if (res.status === 404) throw new RegistryNotFoundError(ctx, 'repository', registryCodeOf(res));
      this.expectOk(res, ctx);
      const body = parseJson(res, ctx, tagListSchema);
      const pageTags = body.tags ?? [];
      tags.push(...pageTags);
      const link = nextLink(res.headers.get('link'));
      if (link === undefined) break;
      let next: URL;
      try {
        next = new URL(link, url);
      } catch (err) {
        throw new RegistryInvalidResponseError(ctx, 'bad-link', `Link header ${JSON.stringify(link)} is not a URL`, { cause: err });
      }
      if (next.origin !== new URL(this.base).origin) {
        // Following it would send our Authorization header to another host.
        throw new RegistryInvalidResponseError(ctx, 'bad-link', `next page link points to another host (${next.origin})`);
      }
      const last = next.searchParams.get('last');
      if (seenUrls.has(next.href) || (last !== null && seenLast.has(last)) || pageTags.length === 0) {
        const why = pageTags.length === 0 ? 'a page with no tags links to another page' : `page link repeats (last=${JSON.stringify(last)})`;
        throw new RegistryInvalidResponseError(ctx, 'pagination-loop', `${why} after ${page} page${page === 1 ? '' : 's'}`);
      }
      seenUrls.add(next.href);
      if (last !== null) seenLast.add(last);
      url = next.href;
    }
    return [...new Set(tags)];
  }

  /**
   * The manifest or index a tag or digest points at, verified: its media type is one of the four
   * asked for, its sha256/sha512 matches the digest asked for and `Docker-Content-Digest`. Content
   * fetched by digest is cached. Throws {@link RegistryNotFoundError} when there is none.
   */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const ctx = this.ctx(reference);
    const byDigest = this.checkReference(reference, ctx);
    if (byDigest) {
      const hit = this.client.cached<FetchedManifest>(this.key('manifest', reference));
      if (hit) return hit;
    }
    const res = await this.client.request(this.target(ctx), {
      method: 'GET',
      url: `${this.base}/v2/${this.repository}/manifests/${reference}`,
      accept: MANIFEST_MEDIA_TYPES.join(', '),
      maxBytes: this.client.config.maxManifestBytes,
    });
    if (res.status === 404) throw new RegistryNotFoundError(ctx, 'manifest', registryCodeOf(res));
    this.expectOk(res, ctx);
    const mediaType = mediaTypeOfContentType(res.headers.get('content-type'));
    if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
      throw new RegistryInvalidResponseError(ctx, 'media-type', `served ${JSON.stringify(mediaType || '(no Content-Type)')}, asked for ${MANIFEST_MEDIA_TYPES.join(', ')}`, { status: res.status });
    }
    const headerDigest = res.headers.get('docker-content-digest') || undefined;
    const digest = verifyDigest(res.body, byDigest ? reference : undefined, headerDigest, ctx);
    const json = parseJsonValue(res, ctx);
    const declared = typeof json === 'object' && json !== null && 'mediaType' in json ? (json as { mediaType?: unknown }).mediaType : undefined;
    if (declared !== undefined && declared !== mediaType) {
      throw new RegistryInvalidResponseError(ctx, 'media-type', `Content-Type is ${mediaType} but the document says ${JSON.stringify(declared)}`, { status: res.status, field: 'mediaType' });
    }
    const manifest: FetchedManifest = INDEX_MEDIA_TYPES.includes(mediaType)
      ? { kind: 'index', digest, mediaType, index: validate(imageIndexSchema, json, ctx, res.status) }
      : { kind: 'manifest', digest, mediaType, manifest: validate(imageManifestSchema, json, ctx, res.status) };
    this.client.remember(this.key('manifest', digest), manifest);
    return manifest;
  }

  /**
   * The digest a tag points at now: `HEAD` first, `GET` when the registry sends no
   * `Docker-Content-Digest`. `undefined` when the tag does not exist. Never cached (tags move).
   */
  async resolveDigest(tag: string): Promise<string | undefined> {
    const ctx = this.ctx(tag);
    this.checkReference(tag, ctx);
    const res = await this.client.request(this.target(ctx), {
      method: 'HEAD',
      url: `${this.base}/v2/${this.repository}/manifests/${tag}`,
      accept: MANIFEST_MEDIA_TYPES.join(', '),
      maxBytes: 0,
    });
    if (res.status === 404) return undefined;
    this.expectOk(res, ctx);
    const digest = res.headers.get('docker-content-digest');
    if (digest && DIGEST_PATTERN.test(digest)) return digest;
    try {
      return (await this.getManifest(tag)).digest;
    } catch (err) {
      if (err instanceof RegistryNotFoundError) return undefined;
      throw err;
    }
  }

  /** The image config blob of a single-platform manifest, verified against its digest (cached). */
  async getImageConfig(digest: string): Promise<OciImageConfig> {
    const ctx = this.ctx(digest);
    this.checkReference(digest, ctx);
    const hit = this.client.cached<OciImageConfig>(this.key('config', digest));
    if (hit) return hit;
    const res = await this.client.request(this.target(ctx), {
      method: 'GET',
      url: `${this.base}/v2/${this.repository}/blobs/${digest}`,
      maxBytes: this.client.config.maxBlobBytes,
    });
    if (res.status === 404) throw new RegistryNotFoundError(ctx, 'blob', registryCodeOf(res));
    this.expectOk(res, ctx);
    verifyDigest(res.body, digest, undefined, ctx);
    const config = validate(imageConfigSchema, parseJsonValue(res, ctx), ctx, res.status);
    this.client.remember(this.key('config', digest), config);
    return config;
  }

  /**
   * The platforms of what a tag or digest points at: for an index, its entries (attestations
   * skipped); for a single manifest, the os/architecture/variant of its config blob. Cached by digest.
   */
  async platformsOfReference(reference: string): Promise<ImagePlatforms> {
    const byDigest = DIGEST_REF.test(reference);
    if (byDigest) {
      const hit = this.client.cached<ImagePlatforms>(this.key('platforms', reference));
      if (hit) return hit;
    }
    const m = await this.getManifest(reference);
    const hit = this.client.cached<ImagePlatforms>(this.key('platforms', m.digest));
    if (hit) return hit;
    let platforms: string[];
    if (m.kind === 'index') platforms = indexPlatforms(m.index);
    else if (!CONFIG_MEDIA_TYPES.includes(m.manifest.config.mediaType)) platforms = []; // an artifact, not a runnable image
    else platforms = [configPlatform(await this.getImageConfig(m.manifest.config.digest))];
    const result: ImagePlatforms = { digest: m.digest, mediaType: m.mediaType, platforms };
    this.client.remember(this.key('platforms', m.digest), result);
    return result;
  }

  /**
   * What a tag points at now, with its platforms; `undefined` when the tag (or the manifest it
   * named a moment ago) does not exist. The digest is resolved every time (tags move); the
   * platforms of a digest are fetched once.
   */
  async platformsOf(tag: string): Promise<ImagePlatforms | undefined> {
    const digest = await this.resolveDigest(tag);
    if (digest === undefined) return undefined;
    try {
      return await this.platformsOfReference(digest);
    } catch (err) {
      if (err instanceof RegistryNotFoundError) return undefined; // deleted between HEAD and GET
      throw err;
    }
  }

  private ctx(reference?: string): RegistryErrorContext {
    return { registry: this.registry, repository: this.repository, ...(reference !== undefined ? { reference } : {}) };
  }

  private target(ctx: RegistryErrorContext): AuthTarget & { apiHost: string } {
    return { ...ctx, scope: `repository:${this.repository}:pull`, insecure: this.insecure, apiHost: this.name.apiHost };
  }

  private key(kind: string, digest: string): string {
    return `${kind} ${this.registry}/${this.repository}@${digest}`;
  }

  /** Whether `reference` is a digest; throws for something that is neither a digest nor a tag. */
  private checkReference(reference: string, ctx: RegistryErrorContext): boolean {
    if (DIGEST_REF.test(reference)) {
      if (!DIGEST_PATTERN.test(reference)) throw new RegistryInvalidReferenceError(ctx, 'is not a valid digest');
      return true;
    }
    const p = imageTagProblem(reference);
    if (p) throw new RegistryInvalidReferenceError(ctx, p);
    return false;
  }

  private expectOk(res: TransportResponse, ctx: RegistryErrorContext): void {
    if (res.status >= 200 && res.status <= 299) return;
    throw new RegistryInvalidResponseError(ctx, 'unexpected-status', `${redactUrl(res.url)} answered HTTP ${res.status}${registryCode(res)}`, { status: res.status });
  }
}

function verifyDigest(body: Buffer, requested: string | undefined, header: string | undefined, ctx: RegistryErrorContext): string {
  const compute = (algorithm: string): string => `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
  if (header !== undefined && !DIGEST_PATTERN.test(header)) {
    throw new RegistryInvalidResponseError(ctx, 'digest-mismatch', `Docker-Content-Digest ${JSON.stringify(header.slice(0, 80))} is not a sha256/sha512 digest`, { field: 'Docker-Content-Digest' });
  }
  if (requested !== undefined) {
    const actual = compute(requested.split(':')[0] as string);
    if (actual !== requested) throw new RegistryInvalidResponseError(ctx, 'digest-mismatch', `content has digest ${actual}, not the ${requested} asked for`);
  }
  if (header !== undefined) {
    const actual = compute(header.split(':')[0] as string);
    if (actual !== header) throw new RegistryInvalidResponseError(ctx, 'digest-mismatch', `content has digest ${actual}, but Docker-Content-Digest says ${header}`, { field: 'Docker-Content-Digest' });
  }
  return requested ?? header ?? compute('sha256');
}

function parseJsonValue(res: TransportResponse, ctx: RegistryErrorContext): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch (err) {
    throw new RegistryInvalidResponseError(ctx, 'malformed-json', `body is not JSON (${(err as Error).message})`, { status: res.status, cause: err });
  }
}

function parseJson<T>(res: TransportResponse, ctx: RegistryErrorContext, schema: z.ZodType<T>): T {
  return validate(schema, parseJsonValue(res, ctx), ctx, res.status);
}

function validate<T>(schema: z.ZodType<T>, json: unknown, ctx: RegistryErrorContext, status: number): T {
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue?.path.length ? issue.path.join('.') : '(document)';
    throw new RegistryInvalidResponseError(ctx, 'schema', `${at}: ${issue?.message ?? 'does not match the expected schema'}`, {
      status,
      cause: r.error,
      field: issue?.path.length ? issue.path.join('.') : 'body',
    });
  }
  return r.data;
}

function registryCodeOf(res: TransportResponse): string | undefined {
  try {
    return errorBodySchema.parse(JSON.parse(res.body.toString('utf8'))).errors[0]?.code;
  } catch {
    return undefined; // HEAD responses and proxies carry no OCI error body; the status says enough
  }
}

function registryCode(res: TransportResponse): string {
  const code = registryCodeOf(res);
  return code ? ` ${code}` : '';
}
