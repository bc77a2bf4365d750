import { FluxOpsError } from '../errors';

/** Errors of the image builder; branch on them with `instanceof` (or on `code` across processes). */

/**
 * Something the build needs is not in the cache and the build runs offline (tests, `--offline`).
 * `input` names it; `fix` is the command that fetches or builds it.
 */
export class ImageInputMissingError extends FluxOpsError {
  override readonly name = 'ImageInputMissingError';
  constructor(
    readonly input: string,
    readonly path: string,
    readonly fix: string,
  ) {
    super('image-input-missing', `image input missing: ${input} (expected at ${path}); run \`${fix}\``);
  }
}

/** A downloaded or cached input does not have the pinned checksum (tampered, truncated or a wrong pin). */
export class ImageInputIntegrityError extends FluxOpsError {
  override readonly name = 'ImageInputIntegrityError';
  constructor(
    readonly input: string,
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('image-input-integrity', `${input}: ${file} has checksum ${actual}, pinned ${expected}`);
  }
}

/** An external tool the build runs (npm, apt-get, dpkg-deb, tar, git, skopeo) failed. */
export class ImageToolError extends FluxOpsError {
  override readonly name = 'ImageToolError';
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('image-tool-failed', `${tool} ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().split('\n').slice(-5).join(' | ') || '(no output)'}`);
  }
}

/** A pins file (`image/versions.env`, the Debian lock) is malformed; names the file and the field. */
export class ImagePinsError extends FluxOpsError {
  override readonly name = 'ImagePinsError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super('image-pins', `${file}: ${field}: ${reason}`);
  }
}

/** The image would contain something that cannot run on its platform (wrong architecture, native module, missing library). */
export class ImageContentError extends FluxOpsError {
  override readonly name = 'ImageContentError';
  constructor(
    readonly platform: string,
    readonly subject: string,
    readonly reason: string,
  ) {
    super('image-content', `${platform}: ${subject}: ${reason}`);
  }
}
