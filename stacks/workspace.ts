import * as path from 'node:path';

import { LocalWorkspace, PulumiCommand, type Stack } from '@pulumi/pulumi/automation';

import { SiteStack, type KubeObject, type SiteSecret } from './site-stack';

/** Where a site's Pulumi state lives and how its secrets are encrypted. */
export interface StateBackend {
  /**
   * Backend URL: `file://<dir>` (the default, local) or `s3://bucket/prefix?endpoint=...` for an
   * S3-compatible store shared by a team and the in-cluster reconciler.
   */
  readonly url: string;
  /** Passphrase of the passphrase secrets provider. */
  readonly passphrase: string;
}

/** Options for {@link openSiteWorkspace}. */
export interface SiteWorkspaceOptions {
  /** Stack name = edge site name. */
  readonly site: string;
  /** Synthesized objects of the site, in apply order. */
  readonly objects: readonly KubeObject[];
  readonly secrets?: readonly SiteSecret[];
  /** Kubeconfig file of the site's cluster. */
  readonly kubeconfig: string;
  readonly context?: string;
  readonly backend: StateBackend;
  /** Directory holding `bin/pulumi` (the toolchain root, or a Pulumi install). */
  readonly pulumiRoot: string;
  /** Working directory for Pulumi (holds nothing committed). */
  readonly workDir: string;
  /** @default 'fluxops' */
  readonly projectName?: string;
  /** Extra environment (PULUMI_HOME, PATH for plugins). */
  readonly env?: Readonly<Record<string, string>>;
  /** @default false */
  readonly skipAwait?: boolean;
}

/**
 * Opens (creating when needed) the Pulumi stack of one site with an inline program: the same
 * {@link SiteStack} component that `pulumi up` runs from `stacks/index.ts`, so the CLI path and the
 * Automation API path deploy identically. Runs in-process: no language host is involved.
 */
export async function openSiteWorkspace(opts: SiteWorkspaceOptions): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({ root: opts.pulumiRoot, skipVersionCheck: true });
  const projectName = opts.projectName ?? 'fluxops';
  const program = async () => {
    const stack = new SiteStack(opts.site, {
      objects: opts.objects,
      secrets: opts.secrets,
      kubeconfig: opts.kubeconfig,
      context: opts.context,
      skipAwait: opts.skipAwait,
    });
    return { objectCount: stack.objectCount };
  };
  return LocalWorkspace.createOrSelectStack(
    { stackName: opts.site, projectName, program },
    {
      workDir: path.resolve(opts.workDir),
      pulumiCommand,
      secretsProvider: 'passphrase',
      projectSettings: { name: projectName, runtime: 'nodejs', backend: { url: opts.backend.url } },
      envVars: {
        ...opts.env,
        PULUMI_BACKEND_URL: opts.backend.url,
        PULUMI_CONFIG_PASSPHRASE: opts.backend.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      },
    },
  );
}
