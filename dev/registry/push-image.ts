import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { baseUrl, headManifest } from './client';
import { DigestMismatchError, ImagePushError } from './errors';
import { buildImageLayout, writeImageLayout, type ImageKind, type ImagePlatform } from './oci-layout';

const execFileAsync = promisify(execFile);

/** Options for {@link pushImage}. */
export interface PushImageOptions {
  /** Platforms to build, e.g. `['linux/amd64', 'linux/arm64']`. `kind: 'manifest'` needs exactly one. */
  readonly platforms: readonly ImagePlatform[];
  /** `index`: an OCI image index (multi-arch, also for one platform); `manifest`: a plain single-platform manifest. */
  readonly kind: ImageKind;
  /** Image config labels. @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra layer content, to give a re-pushed tag a new digest. @default '' */
  readonly content?: string;
  /** Kill skopeo after this long. @default 120000 */
  readonly timeoutMs?: number;
  /** Path of the `skopeo` binary. @default '/usr/bin/skopeo' */
  readonly skopeo?: string;
}

/** What {@link pushImage} pushed. */
export interface PushedImage {
  /** `<host>/<repo>:<tag>` */
  readonly reference: string;
  /** The digest the registry serves for the tag (index digest, or manifest digest for `kind: 'manifest'`). */
  readonly digest: string;
  /** Media type of what the tag points at. */
  readonly mediaType: string;
  readonly platforms: readonly ImagePlatform[];
  /** Digest of each platform's image manifest. */
  readonly manifestDigests: Readonly<Partial<Record<ImagePlatform, string>>>;
  /** Digest of each platform's image config blob. */
  readonly configDigests: Readonly<Partial<Record<ImagePlatform, string>>>;
}

/**
 * Builds a small real OCI image (one gzip layer with `/app/version.txt` per platform) and pushes it
 * to the local registry with `skopeo copy --all --preserve-digests`, without Docker and without
 * reading any credentials or container config of the user. Throws
 * `InvalidImageSpecError` (nothing pushed), {@link ImagePushError} or {@link DigestMismatchError}.
 */
export async function pushImage(registryHost: string, repo: string, tag: string, opts: PushImageOptions): Promise<PushedImage> {
  baseUrl(registryHost); // refuses anything but a loopback registry before any work is done
  const layout = buildImageLayout({ repo, tag, platforms: opts.platforms, kind: opts.kind, labels: opts.labels, content: opts.content });
  const reference = `${registryHost}/${repo}:${tag}`;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-push-'));
  try {
    const layoutDir = path.join(work, 'layout');
    await writeImageLayout(layoutDir, layout);
    const env = await isolatedSkopeoEnv(work);
    const digestFile = path.join(work, 'digest');
    const args = [
      '--policy', env.policy,
      '--registries.d', env.registriesD,
      '--tmpdir', env.tmp,
      'copy', '--all', '--preserve-digests', '--quiet', '--retry-times', '0',
      '--dest-tls-verify=false', '--dest-no-creds', '--dest-authfile', env.authFile,
      '--digestfile', digestFile,
      `oci:${layoutDir}:${layout.ref}`,
      `docker://${reference}`,
    ];
    try {
      await execFileAsync(opts.skopeo ?? '/usr/bin/skopeo', args, { env: env.vars, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new ImagePushError(reference, stderr, { cause: err });
    }
    const reported = (await fs.readFile(digestFile, 'utf8')).trim();
    if (reported !== layout.top.digest) throw new DigestMismatchError(reference, layout.top.digest, reported);
    const served = await headManifest(registryHost, repo, tag, layout.top.mediaType);
    if (served !== layout.top.digest) throw new DigestMismatchError(reference, layout.top.digest, served ?? '(tag not found)');
    return {
      reference,
      digest: served,
      mediaType: layout.top.mediaType,
      platforms: [...opts.platforms],
      manifestDigests: Object.fromEntries(layout.images.map((i) => [i.platform, i.manifest.digest])),
      configDigests: Object.fromEntries(layout.images.map((i) => [i.platform, i.config.digest])),
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

interface SkopeoEnv {
  readonly vars: NodeJS.ProcessEnv;
  readonly policy: string;
  readonly registriesD: string;
  readonly authFile: string;
  readonly tmp: string;
}

/**
 * A private HOME, auth file, trust policy, registries.conf and registries.d, so skopeo neither reads
 * the user's credentials or mirrors nor depends on /etc/containers being present.
 */
async function isolatedSkopeoEnv(work: string): Promise<SkopeoEnv> {
  const home = path.join(work, 'home');
  const tmp = path.join(work, 'tmp');
  const registriesD = path.join(work, 'registries.d');
  for (const d of [home, tmp, registriesD]) await fs.mkdir(d, { recursive: true });
  const policy = path.join(work, 'policy.json');
  // The test images are unsigned and local: accept anything for this one copy.
  await fs.writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const authFile = path.join(work, 'auth.json');
  await fs.writeFile(authFile, JSON.stringify({ auths: {} }));
  const registriesConf = path.join(work, 'registries.conf');
  await fs.writeFile(registriesConf, 'unqualified-search-registries = []\n');
  return {
    vars: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      TMPDIR: tmp,
      XDG_RUNTIME_DIR: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      REGISTRY_AUTH_FILE: authFile,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      CONTAINERS_CONF: path.join(work, 'containers.conf'),
      DOCKER_CONFIG: path.join(home, '.docker'),
    },
    policy,
    registriesD,
    authFile,
    tmp,
  };
}
