import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ImageInputIntegrityError, ImageInputMissingError } from './errors';
import { imageCacheRoot, readImagePins, type ImagePins } from './pins';
import type { ImagePlatform } from './platforms';
import { runTool } from './run-tool';

/**
 * The Node runtime of the image: the official Node build for each platform, fetched with
 * `npm pack node-linux-<arch>@<version>` (the npm registry is how this machine gets Node without
 * Docker or download sites) into the cache, checked against the pinned integrity, unpacked once.
 */

/** A Node runtime unpacked in the cache. */
export interface NodeRuntime {
  readonly platform: ImagePlatform['name'];
  readonly version: string;
  /** The `node` executable. */
  readonly binary: string;
  /** Node's LICENSE file (shipped next to the binary in the image). */
  readonly license: string;
  /** The npm package tarball it came from. */
  readonly tarball: string;
}

/** Options of {@link ensureNodeRuntime}. */
export interface NodeRuntimeOptions {
  /** Never run npm: a runtime missing from the cache is an {@link ImageInputMissingError}. @default false */
  readonly offline?: boolean;
  /** @default readImagePins() */
  readonly pins?: ImagePins;
  /** @default `<cache>/image` */
  readonly cacheRoot?: string;
  /** Progress lines (a fetch happens once per machine and version). @default none */
  readonly log?: (line: string) => void;
}

/** The command that fills the image cache (what an offline build tells the user to run). */
export const IMAGE_FETCH_COMMAND = 'npm run fluxops -- image fetch';

/** Returns the Node runtime for `platform`, fetching and unpacking it unless it is cached (or offline). */
export async function ensureNodeRuntime(platform: ImagePlatform, opts: NodeRuntimeOptions = {}): Promise<NodeRuntime> {
  const pins = opts.pins ?? readImagePins();
  const pkg = platform.nodePackage;
  const integrity = pins.nodeIntegrity[pkg];
  const dir = path.join(opts.cacheRoot ?? imageCacheRoot(), 'node');
  const tarball = path.join(dir, `${pkg}-${pins.nodeVersion}.tgz`);
  const unpacked = path.join(dir, `${pkg}-${pins.nodeVersion}`);
  const runtime: NodeRuntime = {
    platform: platform.name,
    version: pins.nodeVersion,
    binary: path.join(unpacked, 'bin', 'node'),
    license: path.join(unpacked, 'LICENSE'),
    tarball,
  };
  // The marker holds the integrity it was unpacked from, so a new pin never reuses an old unpack.
  const marker = path.join(unpacked, '.fluxops-integrity');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === integrity && fs.existsSync(runtime.binary)) return runtime;

  if (!fs.existsSync(tarball)) {
    if (opts.offline) throw new ImageInputMissingError(`Node ${pins.nodeVersion} for ${platform.name} (npm ${pkg})`, tarball, IMAGE_FETCH_COMMAND);
    opts.log?.(`Node ${pins.nodeVersion} ${platform.name}: npm pack ${pkg}@${pins.nodeVersion}`);
    fs.mkdirSync(dir, { recursive: true });
    const work = fs.mkdtempSync(path.join(dir, '.pack-'));
    try {
      // npm checks the registry's integrity itself; the pinned one is checked below as well.
      await runTool('npm', ['pack', `${pkg}@${pins.nodeVersion}`, '--pack-destination', work, '--silent', '--no-fund', '--no-audit'], { cwd: work });
      const packed = path.join(work, `${pkg}-${pins.nodeVersion}.tgz`);
      checkIntegrity(`npm ${pkg}@${pins.nodeVersion}`, packed, integrity);
      fs.renameSync(packed, tarball);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  checkIntegrity(`npm ${pkg}@${pins.nodeVersion}`, tarball, integrity);

  const tmp = `${unpacked}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await runTool('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
    fs.writeFileSync(path.join(tmp, '.fluxops-integrity'), integrity);
    fs.rmSync(unpacked, { recursive: true, force: true });
    fs.renameSync(tmp, unpacked);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return runtime;
}

/** npm's integrity string of a file (`sha512-<base64>`). */
export function npmIntegrity(file: string): string {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

function checkIntegrity(input: string, file: string, expected: string): void {
  const actual = npmIntegrity(file);
  if (actual !== expected) throw new ImageInputIntegrityError(input, file, expected, actual);
}
