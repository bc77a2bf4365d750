import * as path from 'node:path';
import type { Command } from 'commander';

import type { SiteOperation } from '../reconciler/deploy/deploy-site';
import { collect, outputFormat, parseFleetEnv, printJson } from './output';

interface StackFlags {
  configDir: string;
  site?: string;
  kubeconfig?: string;
  context?: string;
  full: boolean;
  wait: boolean;
  timeout: string;
  output: string;
  stateDir?: string;
  fleetEnv: string[];
}

/** `fluxops up|preview|destroy`: a site stack through the Pulumi Automation API. */
export function registerStackCommands(program: Command): void {
  const common = (c: Command) =>
    c
      .option('-C, --config-dir <dir>', 'config repository (fleet.ts, fluxops.lock.yaml)', '.')
      .option('-s, --site <name>', 'edge site = Pulumi stack (default: the fleet\'s only site)')
      .option('--kubeconfig <path>', 'kubeconfig of the site\'s cluster (default: $KUBECONFIG, ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context')
      .option('--full', 'register every object with Pulumi (resynchronise its state with the site)', false)
      .option('--no-wait', 'do not wait for health after applying')
      .option('--timeout <seconds>', 'how long to wait for health', '300')
      .option('--output <format>', '"text" or "json" (the change set as data)', 'text')
      .option('--state-dir <dir>', 'FluxOps state (Pulumi file backend, workspaces); default $XDG_STATE_HOME/fluxops')
      .option('--fleet-env <NAME=value>', 'a FLEET_* variable for the fleet code (repeatable)', collect, []);
  const action = (operation: SiteOperation) => async (o: StackFlags) => {
    const { deploySite } = await import('../reconciler/deploy/deploy-site');
    const { resolvePulumiSettings } = await import('../stacks/pulumi-env');
    const { renderChangeSetText, summarizeChangeSet } = await import('../stacks/change-set');
    outputFormat(o.output);
    const settings = resolvePulumiSettings({ ...(o.stateDir ? { stateDir: o.stateDir } : {}) });
    const json = o.output === 'json';
    const result = await deploySite({
      operation,
      configDir: path.resolve(o.configDir),
      ...(o.site !== undefined ? { site: o.site } : {}),
      ...(o.kubeconfig ? { kubeconfig: path.resolve(o.kubeconfig) } : {}),
      ...(o.context ? { context: o.context } : {}),
      settings,
      full: o.full,
      health: o.wait ? { timeoutMs: Number(o.timeout) * 1000 } : false,
      onLeaseWait: (holder: string) => console.error(`waiting: site is being applied by ${holder}`),
      fleetEnv: parseFleetEnv(o.fleetEnv),
      ...(json ? {} : { onOutput: (text: string) => process.stderr.write(text) }),
    });
    for (const w of result.siteSynth.warnings) if (!json) console.error(`warning: ${w.message}`);
    for (const d of result.downgrades) if (!json) console.error(`note: ${d.object} ${d.container}: ${d.liveTag} -> ${d.newTag} allowed (${d.allowedBecause})`);
    if (json) {
      printJson({
        site: result.site,
        operation,
        commit: result.synth.source.commit ?? null,
        summary: summarizeChangeSet(result.changeSet),
        pulumi: result.apply?.pulumi ?? 'destroy',
        timings: result.apply?.timings ?? {},
        changeSet: result.changeSet,
        downgrades: result.downgrades,
        warnings: result.siteSynth.warnings,
      });
    } else {
      console.log(renderChangeSetText(result.changeSet));
      if (result.apply && operation === 'up') console.error(`pulumi: ${result.apply.pulumi}${result.apply.fullReason ? ` (${result.apply.fullReason})` : ''}`);
      if (result.changeSet.entries.some((e) => e.action === 'failed')) process.exitCode = 1;
    }
  };
  common(program.command('preview').description('show what `up` would change on a site (live server-side dry run; writes nothing)')).action(action('preview'));
  common(program.command('up').description('deploy a site: synthesize (isolated), refuse downgrades, apply through Pulumi')).action(action('up'));
  common(program.command('destroy').description('delete everything a site stack owns (namespaces are kept)')).action(action('destroy'));
}
