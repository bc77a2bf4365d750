import type { Command } from 'commander';

import { collect, outputFormat, printJson } from './output';
import type { InitResult } from './scaffold/init-repository';

interface InitCommandFlags {
  app?: boolean;
  fleet?: string;
  site: string[];
  namespace?: string;
  image?: string;
  appName?: string;
  gitUrl?: string;
  branch?: string;
  fluxops?: string;
  force?: boolean;
  output: string;
}

/** `fluxops init [DIR]`: a config repository (or, with --app, an app repository's release workflow) ready to push. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .argument('[dir]', 'directory to create the repository in', '.')
    .description('scaffold a config repository (fleet.ts, lock, Pulumi stacks, CI) or, with --app, an app repository\'s release workflow')
    .option('--app', 'scaffold an application repository\'s release workflow (multi-arch image on tags vX.Y.Z)')
    .option('--fleet <name>', 'fleet name (default: the directory\'s name, else "edge-fleet")')
    .option('--site <name>', 'an edge site; repeat for several (default "edge-1")', collect, [])
    .option('--namespace <name>', 'namespace of the apps (default "edge-apps")')
    .option('--image <name>', 'image of the example app, without tag, e.g. ghcr.io/acme/gateway (required with --app)')
    .option('--app-name <name>', 'name of the example app (default: the image\'s last path component)')
    .option('--git-url <url>', 'URL of the config repository itself, for image automation (default: an example URL)')
    .option('--branch <name>', 'branch the sites follow and pull requests target (default "main")')
    .option('--fluxops <spec>', 'how package.json depends on FluxOps: git+https://…#<tag|commit>, git+ssh://…, github:…, file:<path> (default: this FluxOps checkout\'s origin at its commit)')
    .option('--force', 'overwrite files that exist (and say which)')
    .option('--output <format>', '"text" or "json" (the result as data)', 'text')
    .action(async (dir: string, o: InitCommandFlags) => {
      outputFormat(o.output);
      const { initRepository } = await import('./scaffold/init-repository');
      const result = initRepository({
        dir,
        ...(o.app ? { app: true } : {}),
        ...(o.fleet !== undefined ? { fleet: o.fleet } : {}),
        ...(o.site.length > 0 ? { sites: o.site } : {}),
        ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
        ...(o.image !== undefined ? { image: o.image } : {}),
        ...(o.appName !== undefined ? { appName: o.appName } : {}),
        ...(o.gitUrl !== undefined ? { gitUrl: o.gitUrl } : {}),
        ...(o.branch !== undefined ? { branch: o.branch } : {}),
        ...(o.fluxops !== undefined ? { fluxops: o.fluxops } : {}),
        ...(o.force ? { force: true } : {}),
      });
      if (o.output === 'json') printJson(result);
      else process.stdout.write(renderInitText(result));
    });
}

/** The text report of `fluxops init`: what was written, what to edit, what to run next. */
export function renderInitText(r: InitResult): string {
  const out: string[] = [];
  const opts = r.options;
  out.push(
    opts.kind === 'config-repo'
      ? `FluxOps config repository for fleet ${opts.fleet} (sites: ${opts.sites.join(', ')}) in ${r.dir}:`
      : `Release workflow for ${opts.image.name} in ${r.dir}:`,
  );
  const width = Math.max(...r.files.map((f) => f.action.length));
  for (const f of r.files) out.push(`  ${f.action.padEnd(width)}  ${f.path}`);
  const overwritten = r.files.filter((f) => f.action === 'overwritten');
  if (overwritten.length > 0) out.push(`--force overwrote ${overwritten.length} existing file${overwritten.length === 1 ? '' : 's'}: ${overwritten.map((f) => f.path).join(', ')}`);
  if (r.notes.length > 0) {
    out.push('', 'To edit:');
    for (const n of r.notes) out.push(`  ${n.file}: ${n.message}`);
  }
  out.push('', 'Next steps:');
  // Each command under its reason as a shell comment: the block can be pasted as it is.
  for (const s of r.nextSteps) {
    out.push(`  # ${s.why}`);
    if (s.command !== undefined) out.push(`  ${s.command}`);
  }
  return `${out.join('\n')}\n`;
}
