import { FluxOpsError } from '../../../errors';

/** Where a registry error happened: registry host, repository and the tag or digest, if any. */
export interface RegistryErrorContext {
  /** Canonical registry host (`docker.io`, `ghcr.io`, `registry.local:5000`). */
  readonly registry: string;
  /** Repository path inside the registry (`library/nginx`). */
  readonly repository: string;
  /** Tag or digest the request was about, if any. */
  readonly reference?: string;
}

function where(ctx: RegistryErrorContext): string {
  const ref = ctx.reference === undefined ? '' : ctx.reference.includes(':') ? `, digest ${ctx.reference}` : `, tag ${ctx.reference}`;
  return `registry ${ctx.registry}, repository ${ctx.repository}${ref}`;
}

/**
 * Base of the registry client's errors. Every message names the registry, the repository and the
 * tag or digest; none ever contains a password, token or Authorization header.
 */
export class RegistryError extends FluxOpsError {
  override readonly name: string = 'RegistryError';
  readonly registry: string;
  readonly repository: string;
  readonly reference?: string;

  constructor(code: string, ctx: RegistryErrorContext, detail: string, options?: { cause?: unknown }) {
    super(code, `${where(ctx)}: ${detail}`, options);
    this.registry = ctx.registry;
    this.repository = ctx.repository;
    if (ctx.reference !== undefined) this.reference = ctx.reference;
  }
}

/** The registry could not be reached or kept failing (network errors, timeouts, 5xx, 429) after all retries. */
export class RegistryUnavailableError extends RegistryError {
  override readonly name = 'RegistryUnavailableError';
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** HTTP status of the last attempt, if it got one. */
  readonly lastStatus?: number;

  constructor(ctx: RegistryErrorContext, detail: string, init: { attempts: number; lastStatus?: number; cause?: unknown }) {
    super('registry-unavailable', ctx, `${detail} (after ${init.attempts} attempt${init.attempts === 1 ? '' : 's'})`, { cause: init.cause });
    this.attempts = init.attempts;
    if (init.lastStatus !== undefined) this.lastStatus = init.lastStatus;
  }
}

/** The registry or its token service refused the credentials (or anonymous access). */
export class RegistryAuthError extends RegistryError {
  override readonly name = 'RegistryAuthError';
  /** HTTP status (401 or 403). */
  readonly status: number;
  /** Whether credentials were sent (false: anonymous access was refused). */
  readonly withCredentials: boolean;

  constructor(ctx: RegistryErrorContext, detail: string, init: { status: number; withCredentials: boolean }) {
    super('registry-auth-refused', ctx, detail);
    this.status = init.status;
    this.withCredentials = init.withCredentials;
  }
}

/** The repository, tag, manifest or blob does not exist (HTTP 404). */
export class RegistryNotFoundError extends RegistryError {
  override readonly name = 'RegistryNotFoundError';
  /** What was not found. */
  readonly what: 'repository' | 'manifest' | 'blob';
  /** The registry's error code (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, ...), if it sent one. */
  readonly registryCode?: string;

  constructor(ctx: RegistryErrorContext, what: 'repository' | 'manifest' | 'blob', registryCode?: string) {
    super('registry-not-found', ctx, `${what} not found${registryCode ? ` (${registryCode})` : ''}`);
    this.what = what;
    if (registryCode !== undefined) this.registryCode = registryCode;
  }
}

/** How a registry response was wrong. */
export type InvalidResponseProblem =
  | 'malformed-json'
  | 'schema'
  | 'media-type'
  | 'digest-mismatch'
  | 'pagination-loop'
  | 'bad-link'
  | 'too-large'
  | 'bad-challenge'
  | 'insecure-realm'
  | 'unexpected-status';

/**
 * The registry answered, but with something FluxOps must not trust: malformed JSON, a document
 * that fails its schema, a media type that was not asked for, content whose digest does not match,
 * pagination that never ends. Not retried; nothing is selected from it.
 */
export class RegistryInvalidResponseError extends RegistryError {
  override readonly name = 'RegistryInvalidResponseError';
  readonly problem: InvalidResponseProblem;
  /**
   * The part of the response at fault: a header (`Content-Type`, `Docker-Content-Digest`, `Link`,
   * `WWW-Authenticate`), `status`, `body`, or the dotted path of a JSON field (`manifests.0.digest`).
   */
  readonly field: string;
  /** HTTP status of the response. */
  readonly status?: number;

  constructor(ctx: RegistryErrorContext, problem: InvalidResponseProblem, detail: string, init: { status?: number; cause?: unknown; field?: string } = {}) {
    super('registry-invalid-response', ctx, `invalid response (${problem}): ${detail}`, { cause: init.cause });
    this.problem = problem;
    this.field = init.field ?? DEFAULT_FIELD[problem];
    if (init.status !== undefined) this.status = init.status;
  }
}

/** Where each kind of problem lives in a response, unless the thrower names a more precise field. */
const DEFAULT_FIELD: Readonly<Record<InvalidResponseProblem, string>> = {
  'malformed-json': 'body',
  schema: 'body',
  'media-type': 'Content-Type',
  'digest-mismatch': 'body',
  'pagination-loop': 'Link',
  'bad-link': 'Link',
  'too-large': 'body',
  'bad-challenge': 'WWW-Authenticate',
  'insecure-realm': 'WWW-Authenticate',
  'unexpected-status': 'status',
};

/** A tag or digest that cannot be requested (`bad tag!`, `sha256:xyz`). Nothing was sent. */
export class RegistryInvalidReferenceError extends RegistryError {
  override readonly name = 'RegistryInvalidReferenceError';
  constructor(ctx: RegistryErrorContext, reason: string) {
    super('invalid-registry-reference', ctx, `cannot request this reference: it ${reason}`);
  }
}

/** An image name the client cannot address (`Invalid/Name`, a name with a tag). Nothing was requested. */
export class InvalidImageNameError extends FluxOpsError {
  override readonly name = 'InvalidImageNameError';
  constructor(
    /** The name as given. */
    readonly image: string,
    /** Why it is invalid. */
    readonly reason: string,
  ) {
    super('invalid-image-name', `invalid image name ${JSON.stringify(image)}: ${reason}`);
  }
}

/** A Docker `config.json` (or `kubernetes.io/dockerconfigjson` Secret) that cannot be read. */
export class DockerConfigError extends FluxOpsError {
  override readonly name = 'DockerConfigError';
  constructor(
    /** Where the config came from (a file path, `secret edge-apps/regcred`). */
    readonly source: string,
    /** The field at fault (`auths["ghcr.io"].auth`); never the secret value itself. */
    readonly field: string,
    readonly reason: string,
  ) {
    super('invalid-docker-config', `${source}: invalid ${field}: ${reason}`);
  }
}
