import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

import { ImageContentError, ImageInputMissingError, ImagePinsError } from './errors';
import type { TarEntry } from './oci/tar';
import { runTool } from './run-tool';

/**
 * FluxOps itself as image content: the repository's product files (tracked by git, as they are
 * in the working tree) and the production dependencies from node_modules, exactly the packages
 * package-lock.json marks as non-dev. Neither contains architecture-specific code, so both layers
 * are the same blob on every platform.
 */

/** Where FluxOps lives in the image. */
export const IMAGE_APP_DIR = 'fluxops';

/**
 * The repository paths the image carries: what `bin/fluxops` loads at run time. Not dev/ (the
 * embedded test cluster), test/, bench/, examples/ or image/ (the builder itself).
 */
export const APP_PATHS: readonly string[] = [
  'bin',
  'cli',
  'constructs',
  'errors',
  'reconciler',
  'stacks',
  'toolchain/locate.ts',
  'toolchain/versions.env',
  'toolchain/flux-versions.env',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
];

/**
 * Files of dependencies that Node never loads: type declarations, source maps and prose (the
 * image runs TypeScript through ts-node's transpile-only mode, which reads no .d.ts). About half
 * of the production node_modules. Licence texts are kept.
 */
const PRUNED = [/\.d\.[cm]?ts$/, /\.map$/, /^(?!(licen[cs]e|notice|copying|authors)).*\.(md|markdown)$/i];

/** What git says about the packaged sources. */
export interface SourceRevision {
  /** `git rev-parse HEAD`, with `-dirty` when packaged files differ from it. */
  readonly revision: string;
  readonly commit: string;
  readonly dirty: boolean;
  /** Committer date of HEAD (RFC 3339, UTC). */
  readonly commitTime: string;
  /** `remote.origin.url`, when there is one. */
  readonly originUrl?: string;
}

/** The app layer's entries and where they came from. */
export interface AppFiles {
  readonly entries: TarEntry[];
  readonly files: number;
}

/** The dependency layer's entries. */
export interface DependencyFiles {
  readonly entries: TarEntry[];
  /** Production packages included. */
  readonly packages: number;
  readonly files: number;
  /** Files left out by the pruning rules. */
  readonly prunedFiles: number;
  readonly prunedBytes: number;
}

/** Reads HEAD, dirtiness of the packaged paths, commit time and origin of the repository at `repo`. */
export async function sourceRevision(repo: string): Promise<SourceRevision> {
  const git = async (...args: string[]) => (await runTool('git', ['-C', repo, ...args])).stdout.trim();
  const commit = await git('rev-parse', 'HEAD');
  const dirty = (await git('status', '--porcelain', '--untracked-files=no', '--', ...APP_PATHS)) !== '';
  const commitTime = new Date(Number(await git('log', '-1', '--format=%ct', 'HEAD')) * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const remotes = (await git('remote')).split('\n');
  const originUrl = remotes.includes('origin') ? await git('remote', 'get-url', 'origin') : undefined;
  return { revision: dirty ? `${commit}-dirty` : commit, commit, dirty, commitTime, ...(originUrl ? { originUrl } : {}) };
}

/** The product files of the repository at `repo` (git-tracked, working-tree content), under `/fluxops`. */
export async function appFiles(repo: string): Promise<AppFiles> {
  const { stdout } = await runTool('git', ['-C', repo, 'ls-files', '-z', '--cached', '--', ...APP_PATHS]);
  const entries: TarEntry[] = [];
  for (const rel of stdout.split('\0').filter((f) => f !== '')) {
    const host = path.join(repo, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(host);
    } catch (err) {
      // Deleted in the working tree but not yet in the index: the image is what the tree holds.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    entries.push(fileEntry(`${IMAGE_APP_DIR}/${rel}`, host, st));
  }
  return { entries, files: entries.length };
}

const LockPackage = z.object({
  version: z.string().optional(),
  dev: z.boolean().optional(),
  link: z.boolean().optional(),
  os: z.array(z.string()).optional(),
  cpu: z.array(z.string()).optional(),
});
const Lockfile = z.object({ lockfileVersion: z.number().int().min(2), packages: z.record(z.string(), LockPackage) });

/**
 * The production dependencies of the repository at `repo`: every non-dev package of its
 * package-lock.json, from its installed node_modules (which must match the lock), pruned of
 * files Node never loads, under `/fluxops/node_modules`.
 * Throws {@link ImageContentError} for a native or platform-specific production package.
 */
export function dependencyFiles(repo: string): DependencyFiles {
  const lockPath = path.join(repo, 'package-lock.json');
  const parsed = Lockfile.safeParse(JSON.parse(fs.readFileSync(lockPath, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ImagePinsError(lockPath, issue ? issue.path.map(String).join('.') : '(root)', issue?.message ?? 'invalid');
  }
  const entries: TarEntry[] = [];
  let packages = 0;
  let prunedFiles = 0;
  let prunedBytes = 0;
  for (const [key, pkg] of Object.entries(parsed.data.packages)) {
    if (key === '' || pkg.dev) continue;
    if (!key.startsWith('node_modules/') || pkg.link) {
      throw new ImageContentError('all', key, 'is a linked or workspace package; the image only carries registry packages from node_modules');
    }
    if (pkg.os || pkg.cpu) {
      throw new ImageContentError('all', key, `is platform-specific (os ${pkg.os?.join('/') ?? 'any'}, cpu ${pkg.cpu?.join('/') ?? 'any'}); the image shares one node_modules between platforms`);
    }
    const dir = path.join(repo, key);
    const manifest = path.join(dir, 'package.json');
    if (!fs.existsSync(manifest)) throw new ImageInputMissingError(`dependency ${key}`, dir, 'npm ci');
    const installed = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string }).version;
    if (pkg.version !== undefined && installed !== pkg.version) {
      throw new ImageContentError('all', key, `node_modules has ${installed}, package-lock.json says ${pkg.version}; run \`npm ci\``);
    }
    packages++;
    walk(dir, key, (rel, host, st) => {
      if (st.isFile() && rel.endsWith('.node')) {
        throw new ImageContentError('all', rel, 'is a native Node module; the image would need a build for each platform');
      }
      if (st.isFile() && PRUNED.some((r) => r.test(path.basename(rel)))) {
        prunedFiles++;
        prunedBytes += st.size;
        return;
      }
      entries.push(fileEntry(`${IMAGE_APP_DIR}/${rel}`, host, st));
    });
  }
  return { entries, packages, files: entries.filter((e) => e.type === 'file').length, prunedFiles, prunedBytes };
}

/** Walks a package directory, skipping its own `node_modules` (nested packages have their own lock entries). */
function walk(dir: string, rel: string, visit: (rel: string, host: string, st: fs.Stats) => void): void {
  for (const d of fs.readdirSync(dir)) {
    if (d === 'node_modules') continue;
    const host = path.join(dir, d);
    const r = `${rel}/${d}`;
    const st = fs.lstatSync(host);
    if (st.isDirectory()) {
      visit(r, host, st);
      walk(host, r, visit);
    } else visit(r, host, st);
  }
}

/** A tar entry for a host file, with normalized permissions (0755 if executable, else 0644) so umasks do not leak into digests. */
function fileEntry(imagePath: string, host: string, st: fs.Stats): TarEntry {
  if (st.isSymbolicLink()) return { type: 'symlink', path: imagePath, target: fs.readlinkSync(host) };
  if (st.isDirectory()) return { type: 'dir', path: imagePath };
  const mode = st.mode & 0o111 ? 0o755 : 0o644;
  return { type: 'file', path: imagePath, mode, content: { kind: 'host-file', path: host, size: st.size } };
}
