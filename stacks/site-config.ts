import * as pulumi from '@pulumi/pulumi';

import type { SiteSecret } from './site-stack';

/** The `fluxops:*` configuration of a site stack (`Pulumi.<site>.yaml`). */
export interface SiteConfig {
  /** Site to deploy. @default the stack name */
  readonly site: string;
  /** Config repository directory holding `fleet.ts` and `fluxops.lock.yaml`. @default '.' */
  readonly configDir: string;
  /** Kubeconfig path or contents. @default ambient KUBECONFIG */
  readonly kubeconfig?: pulumi.Output<string>;
  readonly context?: string;
  /** Kubernetes Secrets built from Pulumi secrets. */
  readonly secrets: readonly SiteSecret[];
}

/**
 * Reads the stack configuration. Secrets are configured as
 * `pulumi config set --secret --path 'fluxops:secrets.<namespace>/<name>.<key>' <value>` and stay
 * encrypted in `Pulumi.<site>.yaml` and in the state.
 */
export function readSiteConfig(config = new pulumi.Config('fluxops')): SiteConfig {
  const raw = config.getSecretObject<Record<string, Record<string, string>>>('secrets');
  const secrets: SiteSecret[] = [];
  // Secret names are not secret; read the structure from the plain config to build resources.
  const names = config.getObject<Record<string, Record<string, unknown>>>('secrets') ?? {};
  for (const [qualified, keys] of Object.entries(names).sort(([a], [b]) => a.localeCompare(b))) {
    const slash = qualified.indexOf('/');
    if (slash <= 0) throw new Error(`fluxops:secrets: key "${qualified}" must be "<namespace>/<name>"`);
    const data: Record<string, pulumi.Output<string>> = {};
    for (const key of Object.keys(keys).sort()) {
      data[key] = pulumi.secret(raw!.apply((r) => String(r[qualified]![key])));
    }
    secrets.push({ namespace: qualified.slice(0, slash), name: qualified.slice(slash + 1), data });
  }
  const kubeconfig = config.getSecret('kubeconfig');
  return {
    site: config.get('site') ?? pulumi.getStack(),
    configDir: config.get('configDir') ?? '.',
    kubeconfig,
    context: config.get('context'),
    secrets,
  };
}
