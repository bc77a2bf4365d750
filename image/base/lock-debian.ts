import * as fs from 'node:fs';

import { ImageContentError } from '../errors';
import { ensureNodeRuntime } from '../node-runtime';
import { readImagePins, type ImagePins } from '../pins';
import { IMAGE_PLATFORM_NAMES, imagePlatform, type ImagePlatform } from '../platforms';
import { PrivateApt, type AptPackageRecord } from './apt';
import { assembleBase } from './assemble-base';
import { BASE_EXCLUDED_PACKAGES, BASE_PACKAGES } from './base-spec';
import { aptStateDir, ensureDebianPackages } from './deb-cache';
import { DEBIAN_LOCK_FILE, serializeDebianLock, type DebianLock, type LockedDebianPackage } from './debian-lock';

/**
 * `fluxops image lock-debian`: re-resolves the base packages against the Debian mirror (the
 * suite's current versions, security updates included) and rewrites the lock with exactly the
 * packages that put files into the image. Run it to take Debian updates; commit the result.
 */

/** Options of {@link lockDebianPackages}. */
export interface LockDebianOptions {
  readonly cacheRoot: string;
  /** @default DEBIAN_LOCK_FILE */
  readonly file?: string;
  /** @default readImagePins() */
  readonly pins?: ImagePins;
  readonly log?: (line: string) => void;
}

/** The result: the new lock, and what changed against the old one. */
export interface LockDebianResult {
  readonly lock: DebianLock;
  readonly file: string;
  /** `name (arch): old -> new` lines, empty when nothing changed. */
  readonly changes: readonly string[];
}

/** Resolves, downloads and assembles each platform's base, then writes the lock. */
export async function lockDebianPackages(opts: LockDebianOptions): Promise<LockDebianResult> {
  const file = opts.file ?? DEBIAN_LOCK_FILE;
  const pins = opts.pins ?? readImagePins();
  const log = opts.log ?? (() => undefined);
  const platforms: Record<string, LockedDebianPackage[]> = {};
  for (const platform of IMAGE_PLATFORM_NAMES.map(imagePlatform)) {
    platforms[platform.debianArch] = await lockPlatform(platform, pins, opts.cacheRoot, log);
  }
  const lock: DebianLock = { suite: pins.debianSuite, platforms };
  let old: DebianLock | undefined;
  try {
    old = JSON.parse(fs.readFileSync(file, 'utf8')) as DebianLock;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const changes = diffLocks(old, lock);
  fs.writeFileSync(file, serializeDebianLock(lock));
  return { lock, file, changes };
}

async function lockPlatform(platform: ImagePlatform, pins: ImagePins, cacheRoot: string, log: (line: string) => void): Promise<LockedDebianPackage[]> {
  const apt = new PrivateApt({ arch: platform.debianArch, suite: pins.debianSuite, dir: aptStateDir(cacheRoot, pins.debianSuite, platform.debianArch) });
  log(`${platform.name}: apt-get update (Debian ${pins.debianSuite} ${platform.debianArch})`);
  await apt.update();
  // Walk Depends/Pre-Depends from the selected packages, never entering the excluded ones.
  const excluded = new Set(BASE_EXCLUDED_PACKAGES);
  const records = new Map<string, AptPackageRecord>();
  const virtual = new Set<string>();
  const roots = BASE_PACKAGES.map((s) => s.package);
  let frontier = roots;
  while (frontier.length > 0) {
    const shown = await apt.show(frontier);
    for (const r of shown) records.set(r.name, r);
    const missing = frontier.filter((n) => !records.has(n));
    const missingRoots = missing.filter((n) => roots.includes(n));
    if (missingRoots.length > 0) throw new ImageContentError(platform.name, missingRoots.join(', '), `not found in Debian ${pins.debianSuite} ${platform.debianArch}`);
    // Virtual packages (awk, ...) have no files of their own. A library that only a virtual
    // package would provide shows up later as an unresolved DT_NEEDED, with its name.
    for (const n of missing) virtual.add(n);
    frontier = [...new Set(shown.flatMap((r) => r.depends))].filter((n) => !records.has(n) && !excluded.has(n) && !virtual.has(n));
  }
  const candidates: LockedDebianPackage[] = [...records.values()].map((r) => ({
    name: r.name,
    version: r.version,
    architecture: r.architecture,
    sha256: r.sha256,
    size: r.size,
  }));
  log(`${platform.name}: ${candidates.length} candidate packages; downloading to find which ones the image uses`);
  const debs = await ensureDebianPackages(candidates, { cacheRoot, suite: pins.debianSuite, arch: platform.debianArch, log });
  const node = await ensureNodeRuntime(platform, { pins, cacheRoot, log });
  const base = assembleBase({
    platform,
    packages: debs,
    // The Pulumi binaries are static (cgo off): Node is the only program of another layer that needs libraries.
    extraPrograms: [{ imagePath: '/usr/local/bin/node', hostPath: node.binary }],
  });
  const used = new Set([...base.packages.map((p) => p.name), ...BASE_PACKAGES.map((s) => s.package)]);
  return candidates.filter((c) => used.has(c.name));
}

function diffLocks(old: DebianLock | undefined, now: DebianLock): string[] {
  const out: string[] = [];
  for (const [arch, pkgs] of Object.entries(now.platforms)) {
    const before = new Map((old?.platforms?.[arch] ?? []).map((p) => [p.name, p.version]));
    for (const p of pkgs) {
      const was = before.get(p.name);
      if (was !== p.version) out.push(`${p.name} (${arch}): ${was ?? 'new'} -> ${p.version}`);
      before.delete(p.name);
    }
    for (const [name, version] of before) out.push(`${name} (${arch}): ${version} -> removed`);
  }
  return out;
}
