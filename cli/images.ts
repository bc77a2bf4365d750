import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';

import { UsageError, collect, outputFormat, parseFleetEnv, printJson } from './output';
import type { ImagesCommandOptions, ImagesLockAction } from './images-lock';
import type { GitAuth } from '../reconciler/git';

/**
 * The `fluxops images` command group, created on first use. Every module that adds image
 * commands (hold/release/mark-bad/list here; scan and update elsewhere) registers them on the
 * group this returns, so the order of registration does not matter.
 */
export function imagesCommandGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'images') ??
    program.command('images').description('image policies: what the lock records, holds and bad tags (in fluxops.lock.yaml, in Git)')
  );
}

interface CommonFlags {
  configDir: string;
  fleetEnv: string[];
  output: string;
}

interface EditFlags extends CommonFlags {
  commit: boolean;
  push?: boolean;
  remote?: string;
  branch?: string;
  gitTokenFile?: string;
  gitUsername?: string;
  gitPasswordFile?: string;
  gitSshKeyFile?: string;
  gitKnownHostsFile?: string;
}

function common(cmd: Command): Command {
  return cmd
    .option('-C, --config-dir <dir>', 'config repository holding fleet.ts and fluxops.lock.yaml', '.')
    .option('--fleet-env <NAME=value>', 'a FLEET_* variable for the fleet code (repeatable)', collect, [])
    .option('--output <format>', '"text" or "json"', 'text');
}

function editing(cmd: Command): Command {
  return common(cmd)
    .option('--no-commit', 'only edit fluxops.lock.yaml; do not commit')
    .option('--push', 'commit on the remote branch\'s head and push (a concurrent change is recomputed, never overwritten); the local file is not edited')
    .option('--remote <name>', 'with --push: the remote (default origin)')
    .option('--branch <name>', 'with --push: the branch (default the one checked out)')
    .option('--git-token-file <file>', 'with --push: file holding a token for an https remote (also FLUXOPS_GIT_TOKEN_FILE)')
    .option('--git-username <name>', 'with --push: user name for the token or password')
    .option('--git-password-file <file>', 'with --push: file holding a basic-auth password')
    .option('--git-ssh-key-file <file>', 'with --push: ssh private key (default: your ssh setup)')
    .option('--git-known-hosts-file <file>', 'with --push and --git-ssh-key-file: known_hosts with the server\'s key');
}

/** Credentials for `--push`, read from files (secrets never come from the command line). */
function pushAuth(o: EditFlags): GitAuth | undefined {
  const read = (flag: string, file: string) => {
    try {
      return fs.readFileSync(path.resolve(file), 'utf8').trim();
    } catch (err) {
      throw new UsageError(flag, file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const tokenFile = o.gitTokenFile ?? (process.env.FLUXOPS_GIT_TOKEN_FILE || undefined);
  if (tokenFile) return { kind: 'token', token: read('--git-token-file', tokenFile), ...(o.gitUsername ? { username: o.gitUsername } : {}) };
  if (o.gitPasswordFile) {
    if (!o.gitUsername) throw new UsageError('--git-username', undefined, 'is required with --git-password-file');
    return { kind: 'basic', username: o.gitUsername, password: read('--git-password-file', o.gitPasswordFile) };
  }
  if (o.gitSshKeyFile) {
    return { kind: 'ssh', privateKeyFile: path.resolve(o.gitSshKeyFile), ...(o.gitKnownHostsFile ? { knownHostsFile: path.resolve(o.gitKnownHostsFile) } : {}) };
  }
  return undefined;
}

function options(o: EditFlags | CommonFlags): ImagesCommandOptions {
  const edit = o as Partial<EditFlags>;
  if (edit.push && edit.commit === false) throw new UsageError('--push', true, 'cannot be combined with --no-commit (a push is a commit)');
  if (!edit.push && (edit.remote !== undefined || edit.branch !== undefined)) throw new UsageError(edit.remote !== undefined ? '--remote' : '--branch', edit.remote ?? edit.branch, 'only makes sense with --push');
  const auth = edit.push ? pushAuth(edit as EditFlags) : undefined;
  return {
    configDir: path.resolve(o.configDir),
    ...(o.fleetEnv.length ? { fleetEnv: parseFleetEnv(o.fleetEnv) } : {}),
    ...(edit.commit === false ? { commit: false } : {}),
    ...(edit.push ? { push: { ...(edit.remote ? { remote: edit.remote } : {}), ...(edit.branch ? { branch: edit.branch } : {}), ...(auth ? { auth } : {}) } } : {}),
  };
}

async function runEdit(o: EditFlags, action: ImagesLockAction): Promise<void> {
  outputFormat(o.output);
  const opts = options(o);
  const [{ editImageLock }, { renderEdit }] = await Promise.all([import('./images-lock'), import('./images-output')]);
  const result = await editImageLock(opts, action);
  if (o.output === 'json') printJson(result);
  else process.stdout.write(renderEdit(result));
}

/**
 * `fluxops images hold|release|mark-bad|unmark-bad|list`: holds and bad tags in the lock file,
 * offline, committed to the local checkout (or pushed). Returns the `images` group so more
 * image commands can be added to it.
 */
export function registerImagesCommands(program: Command): Command {
  const images = imagesCommandGroup(program);

  editing(images.command('hold <policy> <tag>'))
    .description('keep a policy on a tag (fleet-wide, or one site), with a reason, until released')
    .requiredOption('--reason <text>', 'why (one line; recorded in the lock and the commit)')
    .option('--site <name>', 'hold on this site only (siteHolds)')
    .action((policy: string, tag: string, o: EditFlags & { reason: string; site?: string }) =>
      runEdit(o, { kind: 'hold', policy, tag, reason: o.reason, ...(o.site !== undefined ? { site: o.site } : {}) }),
    );

  editing(images.command('release <policy>'))
    .description('lift the lock hold of a policy (fleet-wide, or one site)')
    .option('--site <name>', 'release the hold of this site (siteHolds)')
    .action((policy: string, o: EditFlags & { site?: string }) => runEdit(o, { kind: 'release', policy, ...(o.site !== undefined ? { site: o.site } : {}) }));

  editing(images.command('mark-bad <policy> <tag>'))
    .description('never select a tag again (newer tags still are), with a reason')
    .requiredOption('--reason <text>', 'why (one line)')
    .action((policy: string, tag: string, o: EditFlags & { reason: string }) => runEdit(o, { kind: 'mark-bad', policy, tag, reason: o.reason }));

  editing(images.command('unmark-bad <policy> <tag>'))
    .description('clear the bad mark of a tag')
    .action((policy: string, tag: string, o: EditFlags) => runEdit(o, { kind: 'unmark-bad', policy, tag }));

  const scanning = (cmd: Command) =>
    common(cmd)
      .option('--site <name>', 'choose for this site (its lock holds apply)')
      .option('--registry-auth-file <file>', 'Docker config.json with registry credentials (also FLUXOPS_REGISTRY_AUTH_FILE)');
  const runScan = async (policies: string[], o: CommonFlags & { site?: string; registryAuthFile?: string; dryRun?: boolean; commit?: boolean }, mode: 'scan' | 'update') => {
    outputFormat(o.output);
    const { scanLocalImages, renderScan } = await import('./images-scan');
    const authFile = o.registryAuthFile ?? (process.env.FLUXOPS_REGISTRY_AUTH_FILE || undefined);
    const write = mode === 'update' && !o.dryRun;
    const result = await scanLocalImages({
      ...options(o),
      ...(policies.length ? { policies } : {}),
      ...(o.site !== undefined ? { site: o.site } : {}),
      ...(authFile ? { registryAuthFile: path.resolve(authFile) } : {}),
      ...(o.commit === false ? { commit: false } : {}),
      write,
    });
    if (o.output === 'json') printJson(result);
    else process.stdout.write(renderScan(result, mode === 'update' && o.dryRun ? 'dry-run' : mode));
    // Like the reconciler's loop: a registry that could not be asked is an error, not "no update".
    if (result.failures.length > 0) process.exitCode = 1;
  };

  scanning(images.command('scan [policy...]'))
    .description('ask the registries: what each policy would lock now, and why every newer tag was refused (changes nothing)')
    .action((policies: string[], o: CommonFlags & { site?: string; registryAuthFile?: string }) => runScan(policies, o, 'scan'));

  scanning(images.command('update [policy...]'))
    .description('scan, then write the chosen images to fluxops.lock.yaml and commit it (what the reconciler\'s image loop does)')
    .option('--dry-run', 'only print what would be written')
    .option('--no-commit', 'only edit fluxops.lock.yaml; do not commit')
    .action((policies: string[], o: CommonFlags & { site?: string; registryAuthFile?: string; dryRun?: boolean; commit?: boolean }) => runScan(policies, o, 'update'));

  common(images.command('list'))
    .description('each image policy: repository, rule, locked tag, digest, platforms, updatedAt, holds and bad tags')
    .action(async (o: CommonFlags) => {
      outputFormat(o.output);
      const [{ listImages }, { renderListing }] = await Promise.all([import('./images-lock'), import('./images-output')]);
      const listing = await listImages(options(o));
      if (o.output === 'json') printJson(listing);
      else process.stdout.write(renderListing(listing));
    });

  return images;
}
