import * as path from 'node:path';

import type { Logger } from 'pino';

import type { GitAuth } from '../git';
import { displayGitUrl } from '../git';
import { GitCache } from '../source/git-cache';
import { GitRepository } from '../source/git-repository';
import type { ReconcileConfig } from './reconcile-config';
import { readSecretFile } from './reconcile-config';
import type { ConfigSource } from './site-reconciler';

/** The Git credentials of a reconciler's settings (read from their files; never from flags or the config file itself). */
export function gitAuthOf(cfg: ReconcileConfig): GitAuth {
  const auth = cfg.repository.auth;
  if (!auth) return { kind: 'none' };
  if ('tokenFile' in auth) return { kind: 'token', token: readSecretFile(auth.tokenFile, 'repository.auth.tokenFile'), ...(auth.username ? { username: auth.username } : {}) };
  if ('passwordFile' in auth) return { kind: 'basic', username: auth.username, password: readSecretFile(auth.passwordFile, 'repository.auth.passwordFile') };
  return { kind: 'ssh', privateKeyFile: path.resolve(auth.sshKeyFile), ...(auth.knownHostsFile ? { knownHostsFile: path.resolve(auth.knownHostsFile) } : {}) };
}

/**
 * The config repository of a reconciler's settings: `head()` is one `git ls-remote` round trip;
 * checkouts come from the reconciler's own shallow cache (credentials handed to git through its
 * environment, never a command line).
 */
export async function gitSourceFactory(cfg: ReconcileConfig, cacheDir: string, _log: Logger): Promise<ConfigSource> {
  const cache = await GitCache.open({ dir: cacheDir });
  const repo = new GitRepository({ url: cfg.repository.url, branch: cfg.repository.branch, auth: gitAuthOf(cfg), cache });
  return {
    url: displayGitUrl(cfg.repository.url),
    branch: cfg.repository.branch,
    head: () => repo.head(),
    checkout: async (commit) => (await repo.checkout(commit)).dir,
  };
}
