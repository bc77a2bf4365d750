/**
 * OCI image reference grammar (distribution/reference), reduced to what FluxOps writes:
 * `[host[:port]/]path[:tag][@digest]`.
 */

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?)`;
const PATH_COMPONENT = '(?:[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)';
const NAME = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** An image reference split into its parts. */
export interface ImageReference {
  /** Repository name including registry host, e.g. `registry.local:5000/edge/gateway`. */
  readonly name: string;
  /** Tag, if any. */
  readonly tag?: string;
  /** Content digest (`sha256:...`), if any. */
  readonly digest?: string;
}

/** Validates a repository name without tag or digest. */
export function imageNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty image name';
  if (name.includes('@')) return 'must not contain a digest; digests come from the lock file';
  const lastSlash = name.lastIndexOf('/');
  if (name.slice(lastSlash + 1).includes(':')) return 'must not contain a tag; tags come from the image policy and lock file';
  if (name.length > 255) return 'must be at most 255 characters';
  if (!NAME.test(name)) return 'is not a valid image name (lower-case path components, optional "host[:port]/" prefix)';
  return undefined;
}

/** Validates an image tag. */
export function imageTagProblem(tag: string): string | undefined {
  if (typeof tag !== 'string' || !TAG.test(tag)) return 'is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})';
  return undefined;
}

/** Validates a content digest (`sha256:<64 hex>` or `sha512:<128 hex>`). */
export function digestProblem(digest: string): string | undefined {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) return 'is not a valid digest (expected sha256:<64 lower-case hex>)';
  return undefined;
}

/** Parses `name[:tag][@digest]`; returns a reason string if it is not a valid reference. */
export function parseImageReference(ref: string): ImageReference | string {
  if (typeof ref !== 'string' || ref === '') return 'must be a non-empty image reference';
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const d = digestProblem(digest);
    if (d) return `digest ${d}`;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    const t = imageTagProblem(tag);
    if (t) return `tag ${t}`;
  }
  const n = imageNameProblem(rest);
  if (n) return `name ${n}`;
  return { name: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Renders `name:tag[@digest]`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
