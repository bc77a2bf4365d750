import * as path from 'node:path';
import type { Command } from 'commander';

import { outputFormat, printJson } from './output';

interface SiteFlags {
  site: string;
  kubeconfig?: string;
  context?: string;
  output: string;
}

/** `fluxops status | history | suspend | resume`: a site's state as recorded in its cluster. */
export function registerSiteStatusCommands(program: Command): void {
  const common = (c: Command) =>
    c
      .requiredOption('-s, --site <name>', 'edge site')
      .option('--kubeconfig <path>', 'kubeconfig of the site\'s cluster (default: $KUBECONFIG, ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context')
      .option('--output <format>', '"text" or "json"', 'text');

  common(program.command('status').description("a site's conditions, last applied commit and last change set (from the status object in its cluster)")).action(async (o: SiteFlags) => {
    outputFormat(o.output);
    const { status } = await withKube(o, async (kube, { readSiteStatus }) => readSiteStatus(kube, o.site));
    if (o.output === 'json') return printJson(status);
    const ready = status.conditions.find((c) => c.type === 'Ready');
    console.log(`site ${status.site}${status.suspended ? ' (suspended)' : ''}`);
    for (const c of status.conditions) console.log(`  ${c.type.padEnd(12)} ${c.status.padEnd(8)} ${c.reason}${c.message ? `: ${c.message}` : ''} (since ${c.lastTransitionTime})`);
    if (!ready) console.log('  never reconciled');
    console.log(`  last applied:   ${status.lastAppliedCommit ?? '-'}${status.lastAppliedAt ? ` at ${status.lastAppliedAt}` : ''}`);
    console.log(`  last attempted: ${status.lastAttemptedCommit ?? '-'}`);
    if (status.lastChangeSet) console.log(`  last change set: ${Object.entries(status.lastChangeSet).filter(([, n]) => n > 0).map(([a, n]) => `${n} ${a}`).join(', ') || 'nothing'}`);
    // Exit code says whether the site is Ready, so scripts can wait on it.
    if (ready?.status !== 'True') process.exitCode = 1;
  });

  common(program.command('history').description('the last runs of the reconciler for a site')).action(async (o: SiteFlags) => {
    outputFormat(o.output);
    const { status } = await withKube(o, async (kube, { readSiteStatus }) => readSiteStatus(kube, o.site));
    if (o.output === 'json') return printJson(status.history);
    if (status.history.length === 0) console.log(`no runs recorded for site ${o.site}`);
    for (const r of status.history) {
      console.log(`${r.startedAt}  ${r.result.padEnd(15)} ${(r.commit ?? '-').slice(0, 12).padEnd(12)}  ${r.trigger.padEnd(8)} ${Math.round(r.durationMs / 100) / 10}s  ${r.message}`);
    }
  });

  for (const [verb, suspended] of [['suspend', true], ['resume', false]] as const) {
    common(program.command(verb).description(suspended ? 'stop applying to a site (the running reconciler honours it before each run)' : 'apply to a site again (the reconciler catches up at its next check)')).action(async (o: SiteFlags) => {
      await withKube(o, async (kube, { setSuspended }) => setSuspended(kube, o.site, suspended));
      if (o.output === 'json') printJson({ site: o.site, suspended });
      else console.log(`site ${o.site} ${suspended ? 'suspended' : 'resumed'}`);
    });
  }
}

async function withKube<T>(o: SiteFlags, fn: (kube: import('../reconciler/cluster/kube-client').KubeClient, status: typeof import('../reconciler/status/site-status')) => Promise<T>): Promise<T> {
  const { KubeClient } = await import('../reconciler/cluster/kube-client');
  const status = await import('../reconciler/status/site-status');
  const kube = await KubeClient.connect({ ...(o.kubeconfig ? { kubeconfig: path.resolve(o.kubeconfig) } : {}), ...(o.context ? { context: o.context } : {}) });
  try {
    return await fn(kube, status);
  } finally {
    kube.close();
  }
}
