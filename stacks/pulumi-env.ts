import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { PulumiCommand } from '@pulumi/pulumi/automation';

import { locateToolchain, ToolchainMissingError } from '../toolchain/locate';
import { PassphraseMissingError } from './errors';

/**
 * The one place that decides how FluxOps runs Pulumi: which CLI, which PULUMI_HOME, which state
 * backend, how stack secrets are encrypted, and the update-check and plugin-download switches.
 * The CLI (`fluxops up/preview/destroy`), the reconciler, the demo, the tests and the benchmarks
 * all go through {@link resolvePulumiSettings}, so they never disagree about where state lives.
 */

/** The FluxOps state directory: `$FLUXOPS_STATE_DIR`, else `$XDG_STATE_HOME/fluxops`, else `~/.local/state/fluxops`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLUXOPS_STATE_DIR) return path.resolve(env.FLUXOPS_STATE_DIR);
  const xdg = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(os.homedir(), '.local', 'state');
  return path.join(xdg, 'fluxops');
}

/** How stack secrets are encrypted (the passphrase secrets provider). */
export type PassphraseSource =
  | { readonly kind: 'value'; readonly passphrase: string }
  | { readonly kind: 'file'; readonly file: string };

/** Options of {@link resolvePulumiSettings}; each defaults from the environment, then from FluxOps' defaults. */
export interface PulumiSettingsOptions {
  /** @default {@link defaultStateDir} */
  readonly stateDir?: string;
  /** @default `$PULUMI_BACKEND_URL`, else `file://<stateDir>/pulumi/backend` */
  readonly backendUrl?: string;
  /** @default `$PULUMI_HOME`, else `<stateDir>/pulumi/home` */
  readonly pulumiHome?: string;
  /** @default `$PULUMI_CONFIG_PASSPHRASE_FILE`, else `$PULUMI_CONFIG_PASSPHRASE` */
  readonly passphrase?: PassphraseSource;
  /**
   * Which Pulumi CLI: `toolchain` (built from Go modules by `npm run toolchain`, offline, plugins
   * next to it), `path` (the `pulumi` on PATH, as a laptop has it) or `auto` (the toolchain when
   * it is built, else PATH).
   * @default 'auto'
   */
  readonly cli?: 'auto' | 'toolchain' | 'path';
  /** Environment the defaults are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** A Pulumi installation root (`<root>/bin/pulumi`) to use instead of the toolchain's or PATH's. */
  readonly cliRoot?: string;
  /** Engine and provider tuning knobs (`PULUMI_K8S_CLIENT_QPS`, ...), set last. Not for credentials. */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

/** Everything needed to run Pulumi the FluxOps way; see {@link resolvePulumiSettings}. */
export interface PulumiSettings {
  readonly stateDir: string;
  readonly backendUrl: string;
  readonly pulumiHome: string;
  /** Undefined when no passphrase is configured (fine for a backend whose stacks use another secrets provider). */
  readonly passphrase?: PassphraseSource;
  /** Directory holding `bin/pulumi` (Automation API `PulumiCommand.get({ root })`); undefined = PATH. */
  readonly cliRoot?: string;
  /** Directory with `pulumi`, its language host and the Kubernetes provider, put first on PATH. */
  readonly binDir?: string;
  /** True when plugins come only from `binDir` (no downloads: the toolchain is offline). */
  readonly offlinePlugins: boolean;
  /** Tuning knobs set last (see {@link PulumiSettingsOptions.extraEnv}). */
  readonly extraEnv: Readonly<Record<string, string>>;
}

/** Resolves the Pulumi settings from options, the environment and FluxOps' defaults (no side effects). */
export function resolvePulumiSettings(opts: PulumiSettingsOptions = {}): PulumiSettings {
  const env = opts.env ?? process.env;
  const stateDir = path.resolve(opts.stateDir ?? defaultStateDir(env));
  const backendUrl = opts.backendUrl ?? env.PULUMI_BACKEND_URL ?? `file://${path.join(stateDir, 'pulumi', 'backend')}`;
  const pulumiHome = path.resolve(opts.pulumiHome ?? env.PULUMI_HOME ?? path.join(stateDir, 'pulumi', 'home'));
  const passphrase: PassphraseSource | undefined =
    opts.passphrase ??
    (env.PULUMI_CONFIG_PASSPHRASE_FILE
      ? { kind: 'file', file: path.resolve(env.PULUMI_CONFIG_PASSPHRASE_FILE) }
      : env.PULUMI_CONFIG_PASSPHRASE !== undefined
        ? { kind: 'value', passphrase: env.PULUMI_CONFIG_PASSPHRASE }
        : undefined);
  const cli = opts.cli ?? 'auto';
  let cliRoot: string | undefined;
  let binDir: string | undefined;
  if (cli !== 'path') {
    try {
      const toolchain = locateToolchain({ need: ['pulumi', 'pulumi-language-nodejs', 'pulumi-resource-kubernetes'] });
      cliRoot = toolchain.root;
      binDir = toolchain.binDir;
    } catch (err) {
      if (!(err instanceof ToolchainMissingError) || cli === 'toolchain') throw err;
    }
  }
  if (opts.cliRoot) cliRoot = path.resolve(opts.cliRoot);
  return { stateDir, backendUrl, pulumiHome, passphrase, cliRoot, binDir, offlinePlugins: binDir !== undefined, extraEnv: { ...opts.extraEnv } };
}

/**
 * The environment variables FluxOps sets for every Pulumi process (on top of the caller's
 * environment): state backend, PULUMI_HOME, secrets passphrase, PATH for the plugins, and no
 * update checks, prompts or (with the offline toolchain) plugin downloads. Creates the file
 * backend directory and PULUMI_HOME.
 *
 * The passphrase is passed by file when it came from a file, so it is never copied into an
 * environment variable that could show up in a process listing of another user.
 */
export function pulumiEnvironment(settings: PulumiSettings, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (settings.backendUrl.startsWith('file://')) fs.mkdirSync(settings.backendUrl.slice('file://'.length), { recursive: true, mode: 0o700 });
  fs.mkdirSync(settings.pulumiHome, { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {
    PULUMI_HOME: settings.pulumiHome,
    PULUMI_BACKEND_URL: settings.backendUrl,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_SKIP_CONFIRMATIONS: 'true',
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: 'true',
    PULUMI_COPILOT: 'false',
  };
  if (settings.offlinePlugins) env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = 'true';
  if (settings.binDir) env.PATH = `${settings.binDir}${path.delimiter}${base.PATH ?? ''}`;
  if (settings.passphrase?.kind === 'file') env.PULUMI_CONFIG_PASSPHRASE_FILE = settings.passphrase.file;
  if (settings.passphrase?.kind === 'value') env.PULUMI_CONFIG_PASSPHRASE = settings.passphrase.passphrase;
  return { ...env, ...settings.extraEnv };
}

/**
 * The full environment for running the `pulumi` CLI directly (tests, `pulumi up` from a laptop
 * shell): the base environment with {@link pulumiEnvironment} on top, and the variables that
 * would point Pulumi elsewhere removed (a stray access token, a second passphrase source).
 */
export function pulumiProcessEnv(settings: PulumiSettings, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.PULUMI_ACCESS_TOKEN;
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return { ...env, ...pulumiEnvironment(settings, base) };
}

/** Fails with {@link PassphraseMissingError} when a file backend has no passphrase to encrypt stack secrets. */
export function requirePassphrase(settings: PulumiSettings): void {
  if (settings.passphrase === undefined && settings.backendUrl.startsWith('file://')) throw new PassphraseMissingError(settings.backendUrl);
}

/** The Automation API's handle on the chosen Pulumi CLI. */
export async function pulumiCommand(settings: PulumiSettings): Promise<PulumiCommand> {
  const { PulumiCommand } = await import('@pulumi/pulumi/automation');
  return PulumiCommand.get({ ...(settings.cliRoot ? { root: settings.cliRoot } : {}), skipVersionCheck: true });
}

/** Path of the `pulumi` binary the settings select (`pulumi` alone means PATH). */
export function pulumiBinary(settings: PulumiSettings): string {
  return settings.cliRoot ? path.join(settings.cliRoot, 'bin', 'pulumi') : 'pulumi';
}
