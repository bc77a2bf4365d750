import * as path from 'node:path';
import type { Command } from 'commander';

import { collect, parseFleetEnv, printJson } from './output';

interface ReconcileFlags {
  config?: string;
  site?: string;
  repo?: string;
  branch?: string;
  path?: string;
  interval?: string;
  driftInterval?: string;
  kubeconfig?: string;
  context?: string;
  stateDir?: string;
  listen?: string;
  webhookProvider?: string;
  webhookSecretFile?: string;
  gitTokenFile?: string;
  gitUsername?: string;
  gitPasswordFile?: string;
  gitSshKeyFile?: string;
  gitKnownHostsFile?: string;
  healthTimeout?: string;
  dryRun?: boolean;
  once?: boolean;
  logLevel?: string;
  images?: boolean;
  imagesInterval?: string;
  registryAuthFile?: string;
  registryWebhookProvider?: string;
  registryWebhookSecretFile?: string;
  fleetEnv: string[];
  output: string;
}

/** Settings from the environment: `FLUXOPS_<NAME>` for each setting (secrets: only file paths). */
function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const v = (name: string) => env[`FLUXOPS_${name}`] || undefined;
  const webhookProvider = v('WEBHOOK_PROVIDER');
  const tokenFile = v('GIT_TOKEN_FILE');
  return {
    site: v('SITE'),
    repository: { url: v('REPO'), branch: v('BRANCH'), path: v('PATH_IN_REPO'), ...(tokenFile ? { auth: { tokenFile } } : {}) },
    interval: v('INTERVAL'),
    driftInterval: v('DRIFT_INTERVAL'),
    kubeconfig: v('KUBECONFIG'),
    context: v('CONTEXT'),
    stateDir: v('STATE_DIR'),
    listen: v('LISTEN'),
    ...(webhookProvider ? { webhook: { provider: webhookProvider, secretFile: v('WEBHOOK_SECRET_FILE') } } : {}),
    logLevel: v('LOG_LEVEL'),
  };
}

/** `fluxops reconcile`: the GitOps loop for one site (or one run with --once). */
export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('follow a config repository and keep a site equal to it (the GitOps loop); settings from flags, FLUXOPS_* variables or --config')
    .option('--config <file>', 'YAML settings file (see README); flags and FLUXOPS_* variables override it')
    .option('-s, --site <name>', 'edge site to keep converged')
    .option('--repo <url>', 'config repository (https://, ssh:// or file://)')
    .option('--branch <name>', 'branch to follow (default main)')
    .option('--path <dir>', 'directory of fleet.ts inside the repository (default .)')
    .option('--interval <duration>', 'how often to check the branch head (default 1m)')
    .option('--drift-interval <duration>', 'how often to correct drift against the last applied commit (default 10m)')
    .option('--kubeconfig <path>', 'kubeconfig of the site (default: in-cluster service account, $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--state-dir <dir>', 'state: Pulumi file backend, workspaces, Git cache (default $XDG_STATE_HOME/fluxops)')
    .option('--listen <host:port>', 'HTTP for /healthz /readyz /status /metrics and webhooks (default 127.0.0.1:9797)')
    .option('--webhook-provider <name>', 'push webhooks from github, gitlab, gitea or generic (HMAC-SHA256)')
    .option('--webhook-secret-file <file>', 'file holding the webhook secret')
    .option('--git-token-file <file>', 'file holding a token for https Git remotes')
    .option('--git-username <name>', 'user name for basic auth (with --git-password-file)')
    .option('--git-password-file <file>', 'file holding the basic-auth password')
    .option('--git-ssh-key-file <file>', 'SSH private key for ssh:// remotes (with --git-known-hosts-file)')
    .option('--git-known-hosts-file <file>', 'known_hosts with the Git server\'s host key')
    .option('--health-timeout <duration>', 'how long to wait for health after an apply (default 5m)')
    .option('--dry-run', 'only report what would be applied')
    .option('--once', 'one reconciliation, then exit (exit code 0 applied or unchanged, 1 failed or stalled)')
    .option('--no-images', 'do not run image automation (registry -> policy -> lock -> Git)')
    .option('--images-interval <duration>', 'how often to scan the registries (default 1m)')
    .option('--registry-auth-file <file>', 'a Docker config.json with registry credentials')
    .option('--registry-webhook-provider <name>', 'registry push notifications from distribution, dockerhub or harbor')
    .option('--registry-webhook-secret-file <file>', 'file holding the registry notification secret')
    .option('--log-level <level>', 'debug, info, warn or error')
    .option('--fleet-env <NAME=value>', 'a FLEET_* variable for the fleet code (repeatable)', collect, [])
    .option('--output <format>', 'with --once: "text" or "json"', 'text')
    .action(async (o: ReconcileFlags) => {
      const { readReconcileConfigFile, resolveReconcileConfig } = await import('../reconciler/loop/reconcile-config');
      const { reconcileOnce, startReconciler } = await import('../reconciler/loop/run-reconciler');
      const { gitSourceFactory } = await import('../reconciler/loop/source-factory');
      const auth = o.gitTokenFile
        ? { tokenFile: path.resolve(o.gitTokenFile), ...(o.gitUsername ? { username: o.gitUsername } : {}) }
        : o.gitPasswordFile
          ? { username: o.gitUsername ?? '', passwordFile: path.resolve(o.gitPasswordFile) }
          : o.gitSshKeyFile
            ? { sshKeyFile: path.resolve(o.gitSshKeyFile), knownHostsFile: o.gitKnownHostsFile ? path.resolve(o.gitKnownHostsFile) : '' }
            : undefined;
      const flags: Record<string, unknown> = {
        site: o.site,
        repository: { url: o.repo, branch: o.branch, path: o.path, ...(auth ? { auth } : {}) },
        interval: o.interval,
        driftInterval: o.driftInterval,
        kubeconfig: o.kubeconfig && path.resolve(o.kubeconfig),
        context: o.context,
        stateDir: o.stateDir && path.resolve(o.stateDir),
        listen: o.listen,
        ...(o.webhookProvider ? { webhook: { provider: o.webhookProvider, secretFile: o.webhookSecretFile && path.resolve(o.webhookSecretFile) } } : {}),
        healthTimeout: o.healthTimeout,
        images: {
          ...(o.images === false ? { enabled: false } : {}),
          ...(o.imagesInterval ? { interval: o.imagesInterval } : {}),
          ...(o.registryAuthFile ? { registryAuthFile: path.resolve(o.registryAuthFile) } : {}),
          ...(o.registryWebhookProvider ? { webhook: { provider: o.registryWebhookProvider, secretFile: o.registryWebhookSecretFile && path.resolve(o.registryWebhookSecretFile) } } : {}),
        },
        dryRun: o.dryRun,
        logLevel: o.logLevel,
        ...(o.fleetEnv.length ? { fleetEnv: parseFleetEnv(o.fleetEnv) } : {}),
      };
      const config = resolveReconcileConfig([
        ...(o.config ? [{ source: o.config, values: readReconcileConfigFile(o.config) as Record<string, unknown> }] : []),
        { source: 'FLUXOPS_* environment', values: fromEnv(process.env) },
        { source: 'command line', values: flags },
      ]);
      if (o.once) {
        const outcome = await reconcileOnce({ config, sourceFactory: gitSourceFactory });
        if (o.output === 'json') printJson({ ...outcome, error: outcome.error ? { message: outcome.error.message, code: (outcome.error as { code?: string }).code } : undefined, apply: undefined });
        process.exitCode = outcome.result === 'failed' || outcome.result === 'stalled' ? 1 : 0;
        return;
      }
      const running = await startReconciler({ config, sourceFactory: gitSourceFactory });
      await new Promise<void>((resolve) => {
        const stop = () => void running.stop().then(resolve, resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
