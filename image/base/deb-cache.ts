import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ImageInputIntegrityError, ImageInputMissingError } from '../errors';
import { IMAGE_FETCH_COMMAND } from '../node-runtime';
import { runTool } from '../run-tool';
import { PrivateApt } from './apt';
import type { LockedDebianPackage } from './debian-lock';

/**
 * The cache of Debian packages: each locked .deb is downloaded once (by exact version), kept
 * under the name of its sha256 (mirrors drop superseded versions; the cache keeps the build
 * reproducible), checked, and unpacked once with `dpkg-deb`.
 */

/** A locked package unpacked in the cache. */
export interface UnpackedDebianPackage {
  readonly locked: LockedDebianPackage;
  /** The .deb file. */
  readonly deb: string;
  /** Directory holding the package's files as `dpkg-deb -x` wrote them. */
  readonly root: string;
  /** The package's control data (`dpkg-deb -f`), as written to `/var/lib/dpkg/status.d/<name>` in the image. */
  readonly control: string;
}

/** Options of {@link ensureDebianPackages}. */
export interface DebianCacheOptions {
  /** `<cache>/image` */
  readonly cacheRoot: string;
  readonly suite: string;
  /** Debian architecture of the platform (selects the private apt configuration). */
  readonly arch: string;
  /** Never download: a package missing from the cache is an {@link ImageInputMissingError}. @default false */
  readonly offline?: boolean;
  readonly log?: (line: string) => void;
}

/** Directory of the private apt state for `arch`. */
export function aptStateDir(cacheRoot: string, suite: string, arch: string): string {
  return path.join(cacheRoot, 'debian', 'apt', `${suite}-${arch}`);
}

/** Downloads (unless cached) and unpacks every package in `packages`, in order. */
export async function ensureDebianPackages(packages: readonly LockedDebianPackage[], opts: DebianCacheOptions): Promise<UnpackedDebianPackage[]> {
  const debDir = path.join(opts.cacheRoot, 'debian', 'debs');
  fs.mkdirSync(debDir, { recursive: true });
  let apt: PrivateApt | undefined;
  const out: UnpackedDebianPackage[] = [];
  for (const locked of packages) {
    const deb = path.join(debDir, `${locked.sha256}.deb`);
    if (!fs.existsSync(deb)) {
      const label = `Debian ${locked.name}=${locked.version} (${opts.arch})`;
      if (opts.offline) throw new ImageInputMissingError(label, deb, IMAGE_FETCH_COMMAND);
      if (!apt) {
        apt = new PrivateApt({ arch: opts.arch, suite: opts.suite, dir: aptStateDir(opts.cacheRoot, opts.suite, opts.arch) });
        opts.log?.(`Debian ${opts.suite} ${opts.arch}: apt-get update (private lists, host configuration untouched)`);
        await apt.update();
      }
      opts.log?.(`${label}: apt-get download`);
      const work = fs.mkdtempSync(path.join(debDir, '.download-'));
      try {
        const downloaded = await apt.download(locked.name, locked.version, work);
        checkSha256(label, downloaded, locked.sha256);
        fs.renameSync(downloaded, deb);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    }
    out.push(await unpack(locked, deb, opts.cacheRoot));
  }
  return out;
}

async function unpack(locked: LockedDebianPackage, deb: string, cacheRoot: string): Promise<UnpackedDebianPackage> {
  const root = path.join(cacheRoot, 'debian', 'unpacked', locked.sha256);
  const controlFile = path.join(root, '.fluxops-control');
  if (!fs.existsSync(controlFile)) {
    // Checked again here: the cached .deb may have been damaged since it was downloaded.
    checkSha256(`Debian ${locked.name}=${locked.version}`, deb, locked.sha256);
    const tmp = `${root}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    try {
      await runTool('dpkg-deb', ['-x', deb, tmp]);
      const { stdout } = await runTool('dpkg-deb', ['-f', deb]);
      fs.writeFileSync(path.join(tmp, '.fluxops-control'), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
      fs.rmSync(root, { recursive: true, force: true });
      fs.renameSync(tmp, root);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { locked, deb, root, control: fs.readFileSync(controlFile, 'utf8') };
}

/** sha256 of a file, hex. */
export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function checkSha256(input: string, file: string, expected: string): void {
  const actual = sha256File(file);
  if (actual !== expected) throw new ImageInputIntegrityError(input, file, expected, actual);
}
