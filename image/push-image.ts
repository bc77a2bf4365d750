import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { FluxOpsError } from '../errors';
import { runTool } from './run-tool';

/**
 * Pushes a built layout to a registry with `skopeo copy --all`, which copies the index and every
 * platform's manifest and blobs as they are (no re-compression), so the pushed digest is the
 * layout's digest. Registries that already hold a layer (the base, Node and Pulumi layers rarely
 * change) are not sent it again.
 */

/** A destination that is not `[docker://]host[:port]/repository:tag`. */
export class InvalidPushDestinationError extends FluxOpsError {
  override readonly name = 'InvalidPushDestinationError';
  constructor(readonly destination: string) {
    super('invalid-push-destination', `invalid push destination ${JSON.stringify(destination)}: expected [docker://]<registry>/<repository>:<tag>`);
  }
}

/** Options of {@link pushImage}. */
export interface PushImageOptions {
  /** The OCI layout directory. */
  readonly layoutDir: string;
  /** Reference name inside the layout (the tag it was built with). */
  readonly ref: string;
  /** `[docker://]registry/repository:tag`. */
  readonly destination: string;
  /** Verify the registry's TLS certificate (off for a plain-HTTP registry on loopback). @default true */
  readonly tlsVerify?: boolean;
  /** A containers-auth.json / docker config.json with the registry's credentials. @default skopeo's default lookup */
  readonly authFile?: string;
  /** Attempts skopeo makes for each transfer before failing. @default 3 */
  readonly retryTimes?: number;
}

/** What was pushed. */
export interface PushedImage {
  /** `docker://registry/repository:tag` */
  readonly destination: string;
  /** Digest of the pushed index, as skopeo reports it. */
  readonly digest: string;
}

const DESTINATION = /^(?:docker:\/\/)?([^/\s]+)\/([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/;

/** Copies every platform of the layout's `ref` to `destination`; throws ImageToolError with skopeo's message on failure. */
export async function pushImage(opts: PushImageOptions): Promise<PushedImage> {
  const m = DESTINATION.exec(opts.destination);
  if (!m) throw new InvalidPushDestinationError(opts.destination);
  const destination = `docker://${m[1]}/${m[2]}:${m[3]}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-push-'));
  const digestFile = path.join(tmp, 'digest');
  try {
    await runTool('skopeo', [
      'copy',
      '--all',
      // Fail rather than let a destination format conversion change the digest we tested.
      '--preserve-digests',
      '--retry-times',
      String(opts.retryTimes ?? 3),
      '--digestfile',
      digestFile,
      `--dest-tls-verify=${opts.tlsVerify ?? true}`,
      ...(opts.authFile ? ['--dest-authfile', opts.authFile] : []),
      `oci:${path.resolve(opts.layoutDir)}:${opts.ref}`,
      destination,
    ]);
    return { destination, digest: fs.readFileSync(digestFile, 'utf8').trim() };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
