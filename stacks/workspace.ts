import * as fs from 'node:fs';
import * as path from 'node:path';

import type { PulumiFn, Stack } from '@pulumi/pulumi/automation';

import { classifyPulumiError } from './errors';
import { pulumiCommand, pulumiEnvironment, type PulumiSettings } from './pulumi-env';
import { SiteStack } from './site-stack';
import { readSiteStackConfig, siteStackArgs } from './site-args';
import type { KubeObject } from './site-stack';

/** Project name of site stacks whose config repository has no Pulumi.yaml of its own. */
export const DEFAULT_PROJECT = 'fluxops';

/**
 * The directory of a site's Pulumi project (its `Pulumi.yaml` and `Pulumi.<site>.yaml` stack
 * settings, where `pulumi config set --secret` puts the site's secrets): the config repository
 * itself when it has a `Pulumi.yaml` (as `fluxops init` creates it, and as the Pulumi Kubernetes
 * Operator reads stack settings from Git), else `<stateDir>/workspaces/<project>`.
 */
export function siteWorkDir(settings: PulumiSettings, configDir: string, projectName = DEFAULT_PROJECT): string {
  if (fs.existsSync(path.join(configDir, 'Pulumi.yaml'))) return path.resolve(configDir);
  return path.join(settings.stateDir, 'workspaces', projectName);
}

/** Options of {@link openSiteStack}. */
export interface OpenSiteStackOptions {
  /** Stack name = edge site name. */
  readonly site: string;
  readonly settings: PulumiSettings;
  /** See {@link siteWorkDir}. */
  readonly workDir: string;
  /** The program (inline: runs in this process, no language host). */
  readonly program: PulumiFn;
  /** Used only when `workDir` has no Pulumi.yaml. @default {@link DEFAULT_PROJECT} */
  readonly projectName?: string;
}

/**
 * Opens (creating when needed) the Pulumi stack of one site with an inline program, through the
 * Automation API, with the environment of {@link pulumiEnvironment}.
 */
export async function openSiteStack(opts: OpenSiteStackOptions): Promise<Stack> {
  const { LocalWorkspace } = await import('@pulumi/pulumi/automation');
  const workDir = path.resolve(opts.workDir);
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const hasProject = fs.existsSync(path.join(workDir, 'Pulumi.yaml'));
  const projectName = opts.projectName ?? DEFAULT_PROJECT;
  try {
    return await LocalWorkspace.createOrSelectStack(
      { stackName: opts.site, projectName, program: opts.program },
      {
        workDir,
        pulumiCommand: await pulumiCommand(opts.settings),
        pulumiHome: opts.settings.pulumiHome,
        secretsProvider: 'passphrase',
        ...(hasProject ? {} : { projectSettings: { name: projectName, runtime: 'nodejs', backend: { url: opts.settings.backendUrl } } }),
        envVars: pulumiEnvironment(opts.settings),
      },
    );
  } catch (err) {
    throw classifyPulumiError(err, { stack: opts.site, operation: 'stack select' });
  }
}

/** Inputs of {@link siteProgram}: what synthesis produced and how to reach the cluster. */
export interface SiteProgramInputs {
  readonly site: string;
  readonly objects: readonly KubeObject[];
  /** Kubeconfig contents (becomes a Pulumi secret). @default the stack's `fluxops:kubeconfig` */
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Annotations of the inventory ConfigMap. */
  readonly inventoryAnnotations?: Readonly<Record<string, string>>;
}

/**
 * The inline program of a site stack: the same {@link SiteStack}, with the same argument
 * builder, as `stacks/program.ts` runs under `pulumi up`. Secrets come from the stack's
 * `fluxops:secrets` config (validated).
 */
export function siteProgram(inputs: SiteProgramInputs): PulumiFn {
  return async () => {
    const config = readSiteStackConfig();
    const stack = new SiteStack(
      inputs.site,
      siteStackArgs({
        site: inputs.site,
        objects: inputs.objects,
            ...(inputs.inventoryAnnotations ? { inventoryAnnotations: inputs.inventoryAnnotations } : {}),
        secrets: config.secrets,
        ...(inputs.kubeconfig !== undefined ? { kubeconfig: inputs.kubeconfig } : config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {}),
        ...((inputs.context ?? config.context) !== undefined ? { context: inputs.context ?? config.context } : {}),
      }),
    );
    return { site: inputs.site, objectCount: stack.objectCount };
  };
}
