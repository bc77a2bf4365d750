import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { FluxOpsError } from '../errors';

const VERSIONS_FILE = path.join(__dirname, 'versions.env');
const FLUX_VERSIONS_FILE = path.join(__dirname, 'flux-versions.env');
const LINT_VERSIONS_FILE = path.join(__dirname, 'lint-versions.env');

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

/**
 * Binaries the toolchain builds that nothing in FluxOps itself runs: linters the tests apply to
 * generated files. Never in the default `need` list; ask with {@link LocateToolchainOptions.actionlint}.
 */
export const OPTIONAL_TOOLCHAIN_BINARIES = ['actionlint'] as const;

/** One of {@link OPTIONAL_TOOLCHAIN_BINARIES}. */
export type OptionalToolchainBinary = (typeof OPTIONAL_TOOLCHAIN_BINARIES)[number];

/** What the local edge cluster needs. */
export const CLUSTER_BINARIES: readonly ToolchainBinary[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kine', 'kwok'];

/** The toolchain is missing or incomplete on this machine. */
export class ToolchainMissingError extends FluxOpsError {
  override readonly name = 'ToolchainMissingError';
  constructor(readonly missing: readonly string[], readonly binDir: string) {
    super('toolchain-missing', `toolchain incomplete in ${binDir}: missing ${missing.join(', ')}. Run \`npm run toolchain\` (builds from Go modules, cached per machine).`);
  }
}

/** Where the toolchain lives on this machine and what it contains. */
export interface Toolchain {
  readonly versions: ToolchainVersions;
  /** Cache directory for this exact set of versions. */
  readonly root: string;
  readonly binDir: string;
  /** Absolute path of a built binary. */
  bin(name: ToolchainBinary | OptionalToolchainBinary): string;
  /** kwok stage definitions (node heartbeat with lease, pod lifecycle) taken from kwok's module. */
  readonly kwokStages: string;
  /** The Flux versions the CRDs come from (from `toolchain/flux-versions.env`). */
  readonly fluxVersions: ToolchainVersions;
  /**
   * Directory of the Flux CRDs (`*.yaml`) the flux flavor is validated against: test data built
   * by the `flux_crds` step. Not needed by the cluster; see {@link Toolchain.hasFluxCrds}.
   */
  readonly fluxCrdsDir: string;
  /** Whether `fluxCrdsDir` is complete for the pins in `toolchain/flux-versions.env`. */
  hasFluxCrds(): boolean;
  /** The linter versions (from `toolchain/lint-versions.env`). */
  readonly lintVersions: ToolchainVersions;
  /** Whether `bin('actionlint')` is built at the version pinned in `toolchain/lint-versions.env`. */
  hasActionlint(): boolean;
}

/** Reads `toolchain/versions.env` (or another file of `NAME=value` lines). */
export function readVersions(file = VERSIONS_FILE): ToolchainVersions {
  const out: Record<string, string> = {};
  for (const line of significantLines(file)) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Reads `toolchain/flux-versions.env`. */
export function readFluxVersions(file = FLUX_VERSIONS_FILE): ToolchainVersions {
  return readVersions(file);
}

/** Reads `toolchain/lint-versions.env`. */
export function readLintVersions(file = LINT_VERSIONS_FILE): ToolchainVersions {
  return readVersions(file);
}

function significantLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(#|$)/.test(l));
}

/**
 * The per-machine cache FluxOps builds and downloads into (toolchain, image inputs):
 * `$FLUXOPS_CACHE_DIR`, else `$XDG_CACHE_HOME/fluxops`, else `~/.cache/fluxops`. Same rule as
 * toolchain/build.sh.
 */
export function fluxopsCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLUXOPS_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'fluxops');
}

/** The toolchain cache directory for the current pins (`<cache>/toolchain/<key>`), whether built or not. */
export function toolchainRoot(): string {
  return path.join(fluxopsCacheRoot(), 'toolchain', fileKey(VERSIONS_FILE));
}

/** Options of {@link locateToolchain}. */
export interface LocateToolchainOptions {
  /** Throw {@link ToolchainMissingError} when something needed is missing. @default true */
  readonly check?: boolean;
  /** Binaries that must exist. @default TOOLCHAIN_BINARIES */
  readonly need?: readonly ToolchainBinary[];
  /** The Flux CRDs must exist too (tests of the flux flavor). @default false */
  readonly fluxCrds?: boolean;
  /** actionlint must exist too, at the pinned version (tests of generated workflows). @default false */
  readonly actionlint?: boolean;
}

/**
 * Locates the toolchain built by `toolchain/build.sh` (same cache key: a hash of the pinned
 * versions). `FLUXOPS_TOOLCHAIN_BIN` overrides the location. Throws
 * {@link ToolchainMissingError} if one of the `need`ed binaries (default: all) is missing,
 * or the Flux CRDs when `fluxCrds` is set, unless `check` is false.
 */
export function locateToolchain(opts: LocateToolchainOptions = {}): Toolchain {
  const versions = readVersions();
  const fluxVersions = readFluxVersions();
  const lintVersions = readLintVersions();
  const key = fileKey(VERSIONS_FILE);
  const root = path.join(fluxopsCacheRoot(), 'toolchain', key);
  const binDir = process.env.FLUXOPS_TOOLCHAIN_BIN ?? path.join(root, 'bin');
  const kwokStages = path.join(root, 'kwok', 'stages.yaml');
  const fluxCrdsDir = path.join(root, 'flux-crds');
  // build.sh marks the step done only after the directory is complete, per hash of the Flux pins.
  const hasFluxCrds = (): boolean => fs.existsSync(path.join(root, `.done-flux_crds-${fileKey(FLUX_VERSIONS_FILE)}`)) && fs.existsSync(fluxCrdsDir);
  // Same for actionlint, per pinned version: a binary of an older pin does not count.
  const hasActionlint = (): boolean =>
    fs.existsSync(path.join(root, `.done-actionlint-${lintVersions.ACTIONLINT_VERSION}`)) && fs.existsSync(path.join(binDir, 'actionlint'));
  if (opts.check ?? true) {
    const need = opts.need ?? TOOLCHAIN_BINARIES;
    const missing: string[] = need.filter((b) => !fs.existsSync(path.join(binDir, b)));
    // The stages belong to kwok: a caller that needs no kwok (e.g. only actionlint) needs no stages.
    if (need.includes('kwok') && !fs.existsSync(kwokStages)) missing.push('kwok/stages.yaml');
    if (opts.fluxCrds && !hasFluxCrds()) missing.push('flux-crds (`npm run toolchain -- flux_crds`)');
    if (opts.actionlint && !hasActionlint()) missing.push(`actionlint ${lintVersions.ACTIONLINT_VERSION} (\`npm run toolchain -- actionlint\`)`);
    if (missing.length > 0) throw new ToolchainMissingError(missing, binDir);
  }
  return { versions, root, binDir, kwokStages, fluxVersions, fluxCrdsDir, hasFluxCrds, lintVersions, hasActionlint, bin: (name) => path.join(binDir, name) };
}

/** The cache key build.sh derives from a pins file: sha256 of its significant lines, 12 hex digits. */
export function fileKey(file: string): string {
  return createHash('sha256')
    .update(significantLines(file).join('\n') + '\n')
    .digest('hex')
    .slice(0, 12);
}
