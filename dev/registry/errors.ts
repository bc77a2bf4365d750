/** Errors of the local test registry and the Docker-free image pusher; branch on them with `instanceof`. */

/** An image spec (repository, tag, platforms, kind, labels) that cannot be built; nothing was written or pushed. */
export class InvalidImageSpecError extends Error {
  override readonly name = 'InvalidImageSpecError';
  constructor(readonly field: string, readonly value: unknown, reason: string) {
    super(`invalid image spec: ${field} = ${JSON.stringify(value)}: ${reason}`);
  }
}

/**
 * A registry host that is not `127.0.0.1:<port>` / `localhost:<port>`. The dev helpers only ever
 * talk to servers on this machine, so anything else is refused before a request is made.
 */
export class NonLoopbackRegistryError extends Error {
  override readonly name = 'NonLoopbackRegistryError';
  constructor(readonly host: string) {
    super(`registry host ${JSON.stringify(host)} is not a loopback host:port (expected 127.0.0.1:<port> or localhost:<port>)`);
  }
}

/** The registry answered a request with a non-success status. `code` is the first OCI error code, if any. */
export class RegistryHttpError extends Error {
  override readonly name = 'RegistryHttpError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly body: string,
  ) {
    super(`${method} ${url} -> HTTP ${status}${code ? ` ${code}` : ''}: ${body.slice(0, 300)}`);
  }
}

/** The registry answered with a body that does not match the expected OCI/distribution schema. */
export class RegistryResponseError extends Error {
  override readonly name = 'RegistryResponseError';
  constructor(readonly url: string, reason: string, options?: { cause?: unknown }) {
    super(`unexpected response from ${url}: ${reason}`, options);
  }
}

/** `skopeo copy` failed; `stderr` holds its output. */
export class ImagePushError extends Error {
  override readonly name = 'ImagePushError';
  constructor(readonly reference: string, readonly stderr: string, options?: { cause?: unknown }) {
    super(`pushing ${reference} with skopeo failed: ${stderr.trim() || String((options?.cause as Error | undefined)?.message)}`, options);
  }
}

/** The registry serves a different digest for the tag than the one computed for the pushed layout. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
  constructor(readonly reference: string, readonly expected: string, readonly actual: string) {
    super(`${reference}: registry serves ${actual}, but the pushed image is ${expected}`);
  }
}
