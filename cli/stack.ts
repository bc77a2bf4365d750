import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';

import type { PulumiCommand, Stack } from '@pulumi/pulumi/automation';

import { ensureDir } from './fs';

/** The FluxOps checkout: its Pulumi.yaml is the default project. */
const FLUXOPS_ROOT = path.join(__dirname, '..');

interface StackOptions {
  site: string;
  projectDir: string;
  configDir?: string;
  kubeconfig?: string;
  context?: string;
  refresh: boolean;
  diff: boolean;
}

/** `fluxops up|preview|destroy`: the site stacks through the Pulumi Automation API. */
export function registerStackCommands(program: Command): void {
  const common = (c: Command) =>
    c
      .requiredOption('-s, --site <name>', 'edge site = Pulumi stack')
      .option('--project-dir <dir>', 'directory of Pulumi.yaml', FLUXOPS_ROOT)
      .option('-C, --config-dir <dir>', 'config repository (sets fluxops:configDir on the stack)')
      .option('--kubeconfig <path>', 'kubeconfig of the site (sets fluxops:kubeconfig on the stack)')
      .option('--context <name>', 'kubeconfig context (sets fluxops:context on the stack)')
      .option('--refresh', 'read the live cluster first, so manual changes show up and are corrected', false)
      .option('--diff', 'show property-level diffs', false);

  common(program.command('preview').description('show what `up` would change on a site'))
    .action(async (o: StackOptions) => {
      const stack = await openStack(o);
      const r = await stack.preview({ refresh: o.refresh, diff: o.diff, onOutput: out });
      summarize(r.changeSummary);
    });
  common(program.command('up').description('deploy a site: synthesize, diff against the cluster, apply'))
    .action(async (o: StackOptions) => {
      const stack = await openStack(o);
      const r = await stack.up({ refresh: o.refresh, diff: o.diff, onOutput: out });
      summarize(r.summary.resourceChanges ?? {});
    });
  common(program.command('destroy').description('delete everything a site stack owns (namespaces are kept)'))
    .action(async (o: StackOptions) => {
      const stack = await openStack(o);
      const r = await stack.destroy({ refresh: o.refresh, onOutput: out });
      summarize(r.summary.resourceChanges ?? {});
    });
}

const out = (text: string) => process.stdout.write(text);

function summarize(changes: Record<string, number>): void {
  const parts = Object.entries(changes).map(([k, v]) => `${v} ${k}`);
  console.log(`fluxops: ${parts.length ? parts.join(', ') : 'no changes'}`);
}

/**
 * Opens the site's stack as a local program (the same `stacks/program.ts` that `pulumi up` runs),
 * with the toolchain's Pulumi CLI when it is built here, else the `pulumi` on PATH. State defaults
 * to a local file backend under the project; the passphrase comes from PULUMI_CONFIG_PASSPHRASE.
 */
async function openStack(o: StackOptions): Promise<Stack> {
  // Loaded here, not at the top: `fluxops --help` and other commands stay fast.
  const { LocalWorkspace, PulumiCommand } = await import('@pulumi/pulumi/automation');
  const { locateToolchain } = await import('../dev/toolchain');
  const projectDir = path.resolve(o.projectDir);
  if (!fs.existsSync(path.join(projectDir, 'Pulumi.yaml'))) throw new Error(`--project-dir: no Pulumi.yaml in ${projectDir}`);
  const envVars: Record<string, string> = {
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${ensureDir(path.join(projectDir, '.fluxops', 'pulumi-state'))}`,
  };
  let pulumiCommand: PulumiCommand;
  try {
    const toolchain = locateToolchain({ need: ['pulumi', 'pulumi-language-nodejs', 'pulumi-resource-kubernetes'] });
    pulumiCommand = await PulumiCommand.get({ root: toolchain.root, skipVersionCheck: true });
    envVars.PATH = `${toolchain.binDir}${path.delimiter}${process.env.PATH ?? ''}`;
    envVars.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = 'true';
  } catch {
    pulumiCommand = await PulumiCommand.get({ skipVersionCheck: true });
  }
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE && envVars.PULUMI_BACKEND_URL.startsWith('file://')) {
    throw new Error('set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts the stack secrets');
  }
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: o.site, workDir: projectDir },
    { pulumiCommand, envVars, secretsProvider: 'passphrase' },
  );
  const settings: Array<[string, string | undefined]> = [
    ['fluxops:configDir', o.configDir && path.resolve(o.configDir)],
    ['fluxops:kubeconfig', o.kubeconfig && path.resolve(o.kubeconfig)],
    ['fluxops:context', o.context],
  ];
  for (const [key, value] of settings) if (value !== undefined) await stack.setConfig(key, { value });
  return stack;
}
