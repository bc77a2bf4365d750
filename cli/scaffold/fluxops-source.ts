import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { fluxopsSpecProblem, type FluxOpsDependency } from './init-options';

/** The top of the running FluxOps (where its package.json is). */
export const FLUXOPS_ROOT = path.join(__dirname, '..', '..');

/** What Git says about a FluxOps checkout (all undefined when it is not one). */
export interface FluxOpsCheckout {
  /** `remote.origin.url`. */
  readonly origin?: string;
  /** `HEAD`. */
  readonly commit?: string;
  /** Uncommitted changes to tracked files. */
  readonly dirty?: boolean;
  /** Why nothing was found (not a checkout, git missing, no origin). */
  readonly problem?: string;
}

/**
 * Reads the origin URL and HEAD commit of the FluxOps at `root`, if it is a Git checkout. Runs
 * `git` (read-only, 5 s limit each); never throws: what it could not find is in `problem`.
 */
export function readFluxOpsCheckout(root: string = FLUXOPS_ROOT): FluxOpsCheckout {
  if (!fs.existsSync(path.join(root, '.git'))) return { problem: 'this FluxOps is not a Git checkout' };
  const git = (...args: string[]) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', timeout: 5000 });
  const origin = git('config', '--get', 'remote.origin.url');
  if (origin.error) return { problem: `git could not run (${origin.error.message})` };
  if (origin.status !== 0 || origin.stdout.trim() === '') return { problem: 'its Git checkout has no origin remote' };
  const head = git('rev-parse', '--verify', '-q', 'HEAD');
  if (head.status !== 0) return { origin: origin.stdout.trim(), problem: 'its Git checkout has no commit' };
  const status = git('status', '--porcelain', '--untracked-files=no');
  return { origin: origin.stdout.trim(), commit: head.stdout.trim(), dirty: status.status === 0 ? status.stdout.trim() !== '' : undefined };
}

/**
 * The dependency spec a new config repository gets when `--fluxops` is not given: the origin of
 * the running FluxOps checkout at its exact commit (reproducible, and what was just used), when
 * that origin is a remote URL without credentials; else a placeholder to edit, with the reason.
 */
export function defaultFluxOpsDependency(checkout: FluxOpsCheckout, version: string): FluxOpsDependency {
  const placeholder = (reason: string): FluxOpsDependency => ({ spec: `git+https://git.example.com/your-org/fluxops.git#v${version}`, source: 'placeholder', reason });
  if (checkout.origin === undefined || checkout.commit === undefined) return placeholder(checkout.problem ?? 'its Git origin is unknown');
  const url = npmGitUrl(checkout.origin);
  if (url === undefined) return placeholder(`the origin of this FluxOps checkout (${redact(checkout.origin)}) is not a URL other machines can fetch`);
  const spec = `${url}#${checkout.commit}`;
  const problem = fluxopsSpecProblem(spec);
  if (problem) return placeholder(`the origin of this FluxOps checkout (${redact(checkout.origin)}) ${problem}`);
  return {
    spec,
    source: 'checkout',
    reason: `the origin and commit of this FluxOps checkout${checkout.dirty ? ' (which has uncommitted changes that this commit lacks)' : ''}`,
  };
}

/** `https://h/p.git` -> `git+https://h/p.git`; `git@h:p.git` -> `git+ssh://git@h/p.git`; local paths -> undefined. */
function npmGitUrl(origin: string): string | undefined {
  const scp = /^([\w.-]+)@([\w.-]+):(?!\/)(.+)$/.exec(origin);
  if (scp) return `git+ssh://${scp[1]}@${scp[2]}/${scp[3]}`;
  if (/^(https|http|ssh):\/\//.test(origin)) return `git+${origin}`;
  return undefined;
}

/** An origin URL for a message, without any password or token in it. */
function redact(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@');
}
