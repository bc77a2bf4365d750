import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const VERSIONS_FILE = path.join(__dirname, '..', 'toolchain', 'versions.env');

/** The pinned versions of the real components (from `toolchain/versions.env`). */
export type ToolchainVersions = Readonly<Record<string, string>>;

/** Binaries that `npm run toolchain` builds. */
export const TOOLCHAIN_BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kine',
  'kwok',
  'pulumi',
  'pulumi-language-nodejs',
  'pulumi-resource-kubernetes',
] as const;

/** One of {@link TOOLCHAIN_BINARIES}. */
export type ToolchainBinary = (typeof TOOLCHAIN_BINARIES)[number];

/** What the local edge cluster needs. */
export const CLUSTER_BINARIES: readonly ToolchainBinary[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kine', 'kwok'];

/** The toolchain is missing or incomplete on this machine. */
export class ToolchainMissingError extends Error {
  override readonly name = 'ToolchainMissingError';
  constructor(readonly missing: readonly string[], readonly binDir: string) {
    super(`toolchain incomplete in ${binDir}: missing ${missing.join(', ')}. Run \`npm run toolchain\` (builds from Go modules, cached per machine).`);
  }
}

/** Where the toolchain lives on this machine and what it contains. */
export interface Toolchain {
  readonly versions: ToolchainVersions;
  /** Cache directory for this exact set of versions. */
  readonly root: string;
  readonly binDir: string;
  /** Absolute path of a built binary. */
  bin(name: ToolchainBinary): string;
  /** kwok stage definitions (node heartbeat with lease, pod lifecycle) taken from kwok's module. */
  readonly kwokStages: string;
}

/** Reads `toolchain/versions.env`. */
export function readVersions(file = VERSIONS_FILE): ToolchainVersions {
  const out: Record<string, string> = {};
  for (const line of significantLines(file)) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

function significantLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(#|$)/.test(l));
}

/**
 * Locates the toolchain built by `toolchain/build.sh` (same cache key: a hash of the pinned
 * versions). `FLUXOPS_TOOLCHAIN_BIN` overrides the location. Throws
 * {@link ToolchainMissingError} if one of the `need`ed binaries (default: all) is missing,
 * unless `check` is false.
 */
export function locateToolchain(opts: { check?: boolean; need?: readonly ToolchainBinary[] } = {}): Toolchain {
  const versions = readVersions();
  const key = createHash('sha256')
    .update(significantLines(VERSIONS_FILE).join('\n') + '\n')
    .digest('hex')
    .slice(0, 12);
  const cacheRoot = process.env.FLUXOPS_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'fluxops');
  const root = path.join(cacheRoot, 'toolchain', key);
  const binDir = process.env.FLUXOPS_TOOLCHAIN_BIN ?? path.join(root, 'bin');
  const kwokStages = path.join(root, 'kwok', 'stages.yaml');
  if (opts.check ?? true) {
    const missing: string[] = (opts.need ?? TOOLCHAIN_BINARIES).filter((b) => !fs.existsSync(path.join(binDir, b)));
    if (!fs.existsSync(kwokStages)) missing.push('kwok/stages.yaml');
    if (missing.length > 0) throw new ToolchainMissingError(missing, binDir);
  }
  return { versions, root, binDir, kwokStages, bin: (name) => path.join(binDir, name) };
}
