import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

import { ImagePinsError } from '../errors';

/**
 * The Debian lock: the exact package versions (and their sha256) the image's base file system is
 * assembled from, per platform. Like package-lock.json it makes the base reproducible: the build
 * downloads exactly these files (and keeps them in the cache, since Debian's mirrors drop
 * superseded versions). `fluxops image lock-debian` rewrites it from the mirror's current versions.
 */

/** Path of the lock in the repository. */
export const DEBIAN_LOCK_FILE = path.join(__dirname, '..', 'debian-packages.lock.json');

/** One locked package. */
export interface LockedDebianPackage {
  readonly name: string;
  readonly version: string;
  /** Architecture of the .deb (`arm64`, `amd64` or `all`). */
  readonly architecture: string;
  /** sha256 of the .deb file, hex. */
  readonly sha256: string;
  readonly size: number;
}

/** The whole lock. */
export interface DebianLock {
  readonly suite: string;
  /** Packages per Debian architecture of the image platform (both `arm64` and `amd64`), sorted by name. */
  readonly platforms: Readonly<Record<string, readonly LockedDebianPackage[]>>;
}

const PackageSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'must be a Debian package name'),
  version: z.string().regex(/^[A-Za-z0-9.+~:-]+$/, 'must be a Debian version'),
  architecture: z.enum(['arm64', 'amd64', 'all']),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex'),
  size: z.number().int().positive(),
});
const LockSchema = z.object({
  suite: z.string().regex(/^[a-z]+$/, 'must be a Debian suite name'),
  platforms: z.record(z.enum(['arm64', 'amd64']), z.array(PackageSchema)),
});

/** Reads and checks the lock; throws {@link ImagePinsError} naming the file and the field. */
export function readDebianLock(file = DEBIAN_LOCK_FILE): DebianLock {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ImagePinsError(file, '(file)', 'does not exist; run `npm run fluxops -- image lock-debian`');
    throw new ImagePinsError(file, '(file)', `is not JSON: ${(err as Error).message}`);
  }
  const parsed = LockSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ImagePinsError(file, issue ? issue.path.map(String).join('.') || '(root)' : '(root)', issue?.message ?? 'invalid');
  }
  for (const [arch, pkgs] of Object.entries(parsed.data.platforms)) {
    const seen = new Set<string>();
    for (const p of pkgs) {
      if (seen.has(p.name)) throw new ImagePinsError(file, `platforms.${arch}`, `lists ${p.name} twice`);
      seen.add(p.name);
      if (p.architecture !== 'all' && p.architecture !== arch) {
        throw new ImagePinsError(file, `platforms.${arch}.${p.name}.architecture`, `${p.architecture} does not match the platform ${arch}`);
      }
    }
  }
  return parsed.data as DebianLock;
}

/** The lock as written to disk: sorted, two-space JSON with a final newline (stable diffs). */
export function serializeDebianLock(lock: DebianLock): string {
  const platforms: Record<string, LockedDebianPackage[]> = {};
  for (const arch of Object.keys(lock.platforms).sort()) {
    platforms[arch] = [...(lock.platforms[arch] ?? [])]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((p) => ({ name: p.name, version: p.version, architecture: p.architecture, sha256: p.sha256, size: p.size }));
  }
  return `${JSON.stringify({ suite: lock.suite, platforms }, null, 2)}\n`;
}
