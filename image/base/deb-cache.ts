import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ImageInputIntegrityError, ImageInputMissingError, ImageToolError } from '../errors';
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
  const debPath = (p: LockedDebianPackage) => path.join(debDir, `${p.sha256}.deb`);
  const missing = packages.filter((p) => !fs.existsSync(debPath(p)));
  if (missing.length > 0) {
    const first = missing[0] as LockedDebianPackage;
    if (opts.offline) throw new ImageInputMissingError(`Debian ${first.name}=${first.version} (${opts.arch})`, debPath(first), IMAGE_FETCH_COMMAND);
    await download(missing, debDir, opts);
  }
  const out: UnpackedDebianPackage[] = [];
  for (const locked of packages) out.push(await unpack(locked, debPath(locked), opts.cacheRoot));
  return out;
}

/** Fetches `missing` with one `apt-get download` (one read of the package lists), refreshing the lists once if they lack a version. */
async function download(missing: readonly LockedDebianPackage[], debDir: string, opts: DebianCacheOptions): Promise<void> {
  const apt = new PrivateApt({ arch: opts.arch, suite: opts.suite, dir: aptStateDir(opts.cacheRoot, opts.suite, opts.arch) });
  const update = async () => {
    opts.log?.(`Debian ${opts.suite} ${opts.arch}: apt-get update (private lists; the host's apt configuration is untouched)`);
    await apt.update();
  };
  if (!apt.hasLists()) await update();
  opts.log?.(`Debian ${opts.suite} ${opts.arch}: apt-get download ${missing.length} packages`);
  const work = fs.mkdtempSync(path.join(debDir, '.download-'));
  try {
    const specs = missing.map((p) => ({ name: p.name, version: p.version }));
    try {
      await apt.downloadAll(specs, work);
    } catch (err) {
      if (!(err instanceof ImageToolError)) throw err;
      // Lists older than the lock do not know its versions yet.
      await update();
      await apt.downloadAll(specs, work);
    }
    const bySha = new Map<string, string>();
    for (const f of fs.readdirSync(work).filter((f) => f.endsWith('.deb'))) bySha.set(sha256File(path.join(work, f)), path.join(work, f));
    for (const p of missing) {
      const file = bySha.get(p.sha256);
      if (!file) {
        const got = fs.readdirSync(work).find((f) => f.startsWith(`${p.name}_`));
        throw new ImageInputIntegrityError(`Debian ${p.name}=${p.version} (${opts.arch})`, got ? path.join(work, got) : work, p.sha256, got ? sha256File(path.join(work, got)) : 'not downloaded');
      }
      fs.renameSync(file, path.join(debDir, `${p.sha256}.deb`));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
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
