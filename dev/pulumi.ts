import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Toolchain } from './toolchain';

/** Options for {@link pulumiEnvironment}. */
export interface PulumiEnvironmentOptions {
  /** Directory for `PULUMI_HOME` and, unless `backendUrl` is set, the file backend's state. */
  readonly stateDir: string;
  /** @default `file://<stateDir>/backend` */
  readonly backendUrl?: string;
  /** Passphrase of the passphrase secrets provider. */
  readonly passphrase: string;
  /** Kubeconfig the Kubernetes provider uses when a stack sets none. */
  readonly kubeconfig?: string;
}

/**
 * Environment for running the toolchain's `pulumi` offline: its own PULUMI_HOME, a local file
 * backend, the passphrase secrets provider, no update checks and no plugin downloads; the built
 * language host and Kubernetes provider are found on PATH.
 */
export function pulumiEnvironment(toolchain: Toolchain, opts: PulumiEnvironmentOptions): NodeJS.ProcessEnv {
  const home = path.join(opts.stateDir, 'home');
  const backend = path.join(opts.stateDir, 'backend');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(backend, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${toolchain.binDir}${path.delimiter}${process.env.PATH ?? ''}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: opts.backendUrl ?? `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: opts.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
    PULUMI_SKIP_CONFIRMATIONS: 'true',
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: 'true',
    PULUMI_COPILOT: 'false',
  };
  delete env.PULUMI_ACCESS_TOKEN;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (opts.kubeconfig) env.KUBECONFIG = opts.kubeconfig;
  return env;
}
