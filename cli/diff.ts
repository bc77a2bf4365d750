import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';

import { FluxOpsError, errorMessage } from '../errors';
import { collect, outputFormat, parseFleetEnv, printJson } from './output';

interface DiffFlags {
  configDir: string;
  ref?: string;
  site?: string;
  kubeconfig?: string;
  context?: string;
  output: string;
  fleetEnv: string[];
}

/** Exit codes of `fluxops diff`, as `kubectl diff`: 0 no difference, 1 differences, 2 an error. */
export const DIFF_EXIT = { same: 0, different: 1, error: 2 } as const;

/** `fluxops diff`: what applying the config repository would change in the live cluster. */
export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description('show what applying a site would change in the live cluster (server-side dry run; exit 0 same, 1 different, 2 error)')
    .option('-C, --config-dir <dir>', 'config repository', '.')
    .option('--ref <branch>', 'synthesize this branch (or tag, commit) of the config repository, in a temporary worktree')
    .option('-s, --site <name>', 'edge site (default: the fleet\'s only site)')
    .option('--kubeconfig <path>', 'kubeconfig of the site\'s cluster (default: $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--output <format>', '"text", "json" or "markdown" (a pull-request comment)', 'text')
    .option('--fleet-env <NAME=value>', 'a FLEET_* variable for the fleet code (repeatable)', collect, [])
    .action(async (o: DiffFlags) => {
      try {
        process.exitCode = await runDiff(o);
      } catch (err) {
        // Every failure is exit code 2, also an unexpected one: CI reads 1 as "differences".
        if (o.output === 'json') printJson({ error: err instanceof FluxOpsError ? err.toJSON() : { name: err instanceof Error ? err.name : 'Error', message: errorMessage(err) } });
        console.error(`fluxops: ${errorMessage(err)}`);
        if (!(err instanceof FluxOpsError) && err instanceof Error && err.stack) console.error(err.stack);
        process.exitCode = DIFF_EXIT.error;
      }
    });
}

async function runDiff(o: DiffFlags): Promise<number> {
  const { synthesizeIsolated } = await import('../reconciler/synth');
  const { checkoutRef } = await import('../reconciler/source/worktree');
  const { KubeClient } = await import('../reconciler/cluster/kube-client');
  const { diffSite, hasChanges } = await import('../reconciler/deploy/diff-site');
  const { readInventory } = await import('../reconciler/deploy/inventory');
  const { diffJson, renderDiffMarkdown, renderDiffText } = await import('../reconciler/deploy/render-diff');
  const { asApplied } = await import('../stacks/applied-object');
  const format = outputFormat(o.output, ['text', 'json', 'markdown']);
  const repoDir = path.resolve(o.configDir);
  const checkout = o.ref ? await checkoutRef(repoDir, o.ref) : undefined;
  try {
    const synth = await synthesizeIsolated({
      configDir: checkout ? path.join(checkout.dir, path.relative(gitTop(repoDir), repoDir)) : repoDir,
      ...(o.site !== undefined ? { site: o.site } : {}),
      ...(checkout ? { commit: checkout.commit } : {}),
      lockMode: 'strict',
      fleetEnv: parseFleetEnv(o.fleetEnv),
    });
    const site = synth.site(o.site);
    const siteName = site.site ?? o.site ?? synth.fleet;
    const kube = await KubeClient.connect({ ...(o.kubeconfig ? { kubeconfig: path.resolve(o.kubeconfig) } : {}), ...(o.context ? { context: o.context } : {}) });
    try {
      const desired = site.objects.map((obj) => asApplied(obj.manifest as never) as never);
      const diff = await diffSite(kube, desired, { owned: await readInventory(kube, siteName) });
      const revision = o.ref ? `${o.ref} (${checkout!.commit.slice(0, 12)})` : synth.source.commit?.slice(0, 12);
      const ctx = { site: siteName, ...(revision ? { revision } : {}), cluster: kube.server };
      if (format === 'json') printJson(diffJson(diff, ctx));
      else if (format === 'markdown') process.stdout.write(renderDiffMarkdown(diff, ctx));
      else console.log(renderDiffText(diff, ctx));
      if (diff.objects.some((x) => x.action === 'invalid')) return DIFF_EXIT.error;
      return hasChanges(diff) ? DIFF_EXIT.different : DIFF_EXIT.same;
    } finally {
      kube.close();
    }
  } finally {
    await checkout?.remove();
  }
}

/** The top of the git checkout holding `dir` (so `-C sub/dir --ref x` finds the same sub-directory in the worktree). */
function gitTop(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return dir;
  }
}
