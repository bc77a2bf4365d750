import { z } from 'zod';
import { InvalidImageSpecError, NonLoopbackRegistryError, RegistryHttpError, RegistryResponseError } from './errors';
import { OCI_MEDIA_TYPES, sha256Digest, validateRepository, validateTag } from './oci-layout';
import {
  errorBodySchema,
  imageConfigSchema,
  imageIndexSchema,
  imageManifestSchema,
  tagListSchema,
  type OciImageIndex,
  type OciImageManifest,
} from '../../reconciler/images/registry/schemas';

/**
 * Plain-HTTP read access to the local test registry (distribution API v2), for tests and the demo.
 * Only loopback hosts are accepted; the reconciler has its own registry client in reconciler/images.
 * The document schemas are the product's (reconciler/images/registry/schemas.ts), so the fixtures
 * and the reconciler agree on what a valid manifest is.
 */

/** The dev tooling reads `rootfs` too, which the product schema leaves optional. */
const devImageConfigSchema = imageConfigSchema.extend({
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(z.string()) }),
});

export type { OciImageIndex, OciImageManifest };
/** A parsed OCI image config (only the fields the dev tooling reads). */
export type OciImageConfig = z.infer<typeof devImageConfigSchema>;

/** What {@link getManifest} returns: the parsed document, discriminated by what the registry served. */
export type RegistryManifest =
  | { readonly kind: 'index'; readonly digest: string; readonly mediaType: string; readonly raw: Buffer; readonly index: OciImageIndex }
  | { readonly kind: 'manifest'; readonly digest: string; readonly mediaType: string; readonly raw: Buffer; readonly manifest: OciImageManifest };

/** Accept header values for {@link getManifest}. */
export const MANIFEST_ACCEPT = {
  index: OCI_MEDIA_TYPES.index,
  manifest: OCI_MEDIA_TYPES.manifest,
  /** Either OCI type: the registry serves whatever the tag points at. */
  any: `${OCI_MEDIA_TYPES.index}, ${OCI_MEDIA_TYPES.manifest}`,
} as const;

/** Tags of `repo`, sorted. Throws {@link RegistryHttpError} (code `NAME_UNKNOWN`) for a repository that was never pushed. */
export async function listTags(host: string, repo: string): Promise<string[]> {
  const url = `${repoUrl(host, repo)}/tags/list`;
  const res = await request('GET', url, {});
  const parsed = parseJson(tagListSchema, res.body, url);
  return [...(parsed.tags ?? [])].sort();
}

/**
 * Fetches the manifest or index that `ref` (tag or digest) resolves to, negotiated with `accept`
 * (a media type, a list of them, or a {@link MANIFEST_ACCEPT} value). `digest` is the registry's
 * `Docker-Content-Digest`, checked against the body.
 */
export async function getManifest(host: string, repo: string, ref: string, accept: string | readonly string[] = MANIFEST_ACCEPT.any): Promise<RegistryManifest> {
  const url = `${repoUrl(host, repo)}/manifests/${checkRef(ref)}`;
  const res = await request('GET', url, { Accept: typeof accept === 'string' ? accept : accept.join(', ') });
  const computed = sha256Digest(res.body);
  const served = res.headers.get('docker-content-digest') ?? computed;
  if (served !== computed) throw new RegistryResponseError(url, `Docker-Content-Digest ${served} does not match body digest ${computed}`);
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const doc = parseJsonText(res.body, url);
  const mediaType = contentType || mediaTypeOf(doc);
  if (mediaType === OCI_MEDIA_TYPES.index) {
    return { kind: 'index', digest: served, mediaType, raw: res.body, index: parseJson(imageIndexSchema, res.body, url) };
  }
  if (mediaType === OCI_MEDIA_TYPES.manifest) {
    return { kind: 'manifest', digest: served, mediaType, raw: res.body, manifest: parseJson(imageManifestSchema, res.body, url) };
  }
  throw new RegistryResponseError(url, `unsupported manifest media type ${JSON.stringify(mediaType)}`);
}

/** Digest the registry serves for `ref`, from a HEAD request; `undefined` if the tag or digest does not exist. */
export async function headManifest(host: string, repo: string, ref: string, accept: string | readonly string[] = MANIFEST_ACCEPT.any): Promise<string | undefined> {
  const url = `${repoUrl(host, repo)}/manifests/${checkRef(ref)}`;
  const res = await request('HEAD', url, { Accept: typeof accept === 'string' ? accept : accept.join(', ') }, [404]);
  if (res.status === 404) return undefined;
  const digest = res.headers.get('docker-content-digest');
  if (!digest) throw new RegistryResponseError(url, 'no Docker-Content-Digest header');
  return digest;
}

/** Downloads a blob and checks it against its digest. */
export async function getBlob(host: string, repo: string, digest: string): Promise<Buffer> {
  const url = `${repoUrl(host, repo)}/blobs/${checkDigest(digest)}`;
  const res = await request('GET', url, {});
  const actual = sha256Digest(res.body);
  if (actual !== digest) throw new RegistryResponseError(url, `blob content has digest ${actual}`);
  return res.body;
}

/** Downloads and parses an image config blob. */
export async function getImageConfig(host: string, repo: string, digest: string): Promise<OciImageConfig> {
  const body = await getBlob(host, repo, digest);
  return parseJson(devImageConfigSchema, body, `${repoUrl(host, repo)}/blobs/${checkDigest(digest)}`);
}

/** Deletes a manifest by digest (the registry is started with deletion enabled). */
export async function deleteManifest(host: string, repo: string, digest: string): Promise<void> {
  await request('DELETE', `${repoUrl(host, repo)}/manifests/${checkDigest(digest)}`, {});
}

/** Throws {@link NonLoopbackRegistryError} unless `host` is a loopback `host:port`; returns the `http://` base URL. */
export function baseUrl(host: string): string {
  if (!/^(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/.test(host)) throw new NonLoopbackRegistryError(host);
  return `http://${host}`;
}

function repoUrl(host: string, repo: string): string {
  const base = baseUrl(host);
  validateRepository(repo); // also keeps `..` and query characters out of the URL path
  return `${base}/v2/${repo}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw new InvalidImageSpecError('digest', digest, 'must be sha256:<64 hex digits>');
  return digest;
}

function checkRef(ref: string): string {
  if (ref.startsWith('sha256:')) return checkDigest(ref);
  validateTag(ref);
  return ref;
}

interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

async function request(method: string, url: string, headers: Record<string, string>, allowStatus: readonly number[] = [], payload?: Buffer): Promise<HttpResult> {
  const res = await fetch(url, { method, headers, redirect: 'follow', body: payload });
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok && !allowStatus.includes(res.status)) {
    const text = body.toString('utf8');
    let code: string | undefined;
    try {
      code = errorBodySchema.parse(JSON.parse(text)).errors[0]?.code;
    } catch {
      code = undefined; // HEAD responses and proxies may not carry an OCI error body
    }
    throw new RegistryHttpError(method, url, res.status, code, text);
  }
  return { status: res.status, headers: res.headers, body };
}

function parseJsonText(body: Buffer, url: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new RegistryResponseError(url, 'body is not JSON', { cause: err });
  }
}

function parseJson<T>(schema: z.ZodType<T>, body: Buffer, url: string): T {
  const result = schema.safeParse(parseJsonText(body, url));
  if (!result.success) throw new RegistryResponseError(url, z.prettifyError(result.error), { cause: result.error });
  return result.data;
}

function mediaTypeOf(doc: unknown): string {
  return typeof doc === 'object' && doc !== null && 'mediaType' in doc && typeof doc.mediaType === 'string' ? doc.mediaType : '';
}

/**
 * Points more tags at an existing manifest or index by `PUT`ting its bytes under each tag (the
 * registry API's way to tag; no blobs move). `concurrency` requests run at once. Returns the digest.
 */
export async function addTags(host: string, repo: string, sourceRef: string, tags: readonly string[], concurrency = 16): Promise<string> {
  const source = await getManifest(host, repo, sourceRef, `${MANIFEST_ACCEPT.any}, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json`);
  tags.forEach(validateTag);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tags.length) {
      const tag = tags[next++] as string;
      await request('PUT', `${repoUrl(host, repo)}/manifests/${tag}`, { 'Content-Type': source.mediaType }, [], source.raw);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tags.length) }, worker));
  return source.digest;
}

/**
 * Stores a hand-written manifest or index under `tag` (for documents skopeo does not produce:
 * Docker manifest lists, attestation entries). The registry checks that everything it references
 * exists in the repository. Returns the digest the registry assigned.
 */
export async function putManifest(host: string, repo: string, tag: string, mediaType: string, document: unknown): Promise<string> {
  validateTag(tag);
  const body = Buffer.from(JSON.stringify(document));
  const res = await request('PUT', `${repoUrl(host, repo)}/manifests/${tag}`, { 'Content-Type': mediaType }, [], body);
  const digest = res.headers.get('docker-content-digest') ?? sha256Digest(body);
  if (digest !== sha256Digest(body)) throw new RegistryResponseError(`${repoUrl(host, repo)}/manifests/${tag}`, `registry stored ${digest}, body is ${sha256Digest(body)}`);
  return digest;
}
