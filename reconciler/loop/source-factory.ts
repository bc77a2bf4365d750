import type { Logger } from 'pino';

import { gitConfigSource } from './git-config-source';
import type { ReconcileConfig } from './reconcile-config';
import { readSecretFile } from './run-reconciler';
import type { ConfigSource } from './site-reconciler';

/**
 * The config repository of a reconciler's settings, with its credentials handed to git through
 * the environment (never on a command line, where `ps` shows them).
 */
export async function gitSourceFactory(cfg: ReconcileConfig, cacheDir: string, _log: Logger): Promise<ConfigSource> {
  const env: NodeJS.ProcessEnv = {};
  const auth = cfg.repository.auth;
  const header = (value: string) => {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: ${value}`;
  };
  if (auth && 'tokenFile' in auth) header(`Basic ${Buffer.from(`${auth.username ?? 'x-access-token'}:${readSecretFile(auth.tokenFile, 'repository.auth.tokenFile')}`).toString('base64')}`);
  else if (auth && 'passwordFile' in auth) header(`Basic ${Buffer.from(`${auth.username}:${readSecretFile(auth.passwordFile, 'repository.auth.passwordFile')}`).toString('base64')}`);
  else if (auth && 'sshKeyFile' in auth) {
    env.GIT_SSH_COMMAND = `ssh -i '${auth.sshKeyFile}' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile='${auth.knownHostsFile}'`;
  }
  return gitConfigSource({ url: cfg.repository.url, branch: cfg.repository.branch, cacheDir, env });
}
