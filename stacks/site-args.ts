import * as pulumi from '@pulumi/pulumi';

import { parseSecretsConfig, type SecretSpec } from './site-config';
import type { KubeObject, SiteSecret, SiteStackArgs } from './site-stack';

/** What a site deploy is made of, before Pulumi wraps it: objects from synthesis, secrets from stack config. */
export interface SiteInputs {
  /** The site. */
  readonly site: string;
  /** Synthesized objects, in apply order (from the isolated synthesis). */
  readonly objects: readonly KubeObject[];
  /** Annotations of the inventory ConfigMap. */
  readonly inventoryAnnotations?: Readonly<Record<string, string>>;
  /** Secrets from `fluxops:secrets` (validated with {@link parseSecretsConfig}). */
  readonly secrets: readonly SecretSpec<pulumi.Input<string>>[];
  /** Kubeconfig contents or path. @default the ambient KUBECONFIG */
  readonly kubeconfig?: pulumi.Input<string>;
  readonly context?: string;
}

/**
 * The one place {@link SiteStack} arguments are built, for the `pulumi up` program and the
 * Automation API alike: secret values and the kubeconfig become Pulumi secrets (encrypted in the
 * state, masked in output) whatever the caller passed.
 */
export function siteStackArgs(inputs: SiteInputs): SiteStackArgs {
  const secrets: SiteSecret[] = inputs.secrets.map((s) => ({
    namespace: s.namespace,
    name: s.name,
    data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, pulumi.secret(v)])),
  }));
  return {
    site: inputs.site,
    objects: inputs.objects,
    secrets,
    ...(inputs.kubeconfig !== undefined ? { kubeconfig: pulumi.secret(inputs.kubeconfig) } : {}),
    ...(inputs.context !== undefined ? { context: inputs.context } : {}),
    ...(inputs.inventoryAnnotations ? { inventoryAnnotations: inputs.inventoryAnnotations } : {}),
  };
}

/** The `fluxops:*` settings of a stack, read inside a Pulumi program (plain or inline). */
export interface SiteStackConfig {
  /** @default the stack name */
  readonly site: string;
  /** Config repository. @default '.' (relative to Pulumi.yaml) */
  readonly configDir: string;
  readonly kubeconfig?: pulumi.Output<string>;
  readonly context?: string;
  readonly secrets: readonly SecretSpec<pulumi.Input<string>>[];
}

/**
 * Reads the site's stack configuration inside a running Pulumi program. The structure of
 * `fluxops:secrets` is read in plain text (names are not secret) and validated; each value goes
 * on as a Pulumi secret.
 *
 * @throws StackConfigError naming the key, for example a secret whose key was forgotten
 */
export function readSiteStackConfig(config = new pulumi.Config('fluxops')): SiteStackConfig {
  const rawText = pulumi.runtime.getConfig('fluxops:secrets');
  let raw: unknown;
  if (rawText !== undefined) {
    try {
      raw = JSON.parse(rawText);
    } catch {
      raw = rawText; // a plain string: parseSecretsConfig says what is wrong with it
    }
  }
  const secrets = parseSecretsConfig(raw).map((s) => ({ ...s, data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, pulumi.secret(v)])) }));
  const kubeconfig = config.getSecret('kubeconfig');
  const context = config.get('context');
  return {
    site: config.get('site') ?? pulumi.getStack(),
    configDir: config.get('configDir') ?? '.',
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(context !== undefined ? { context } : {}),
    secrets,
  };
}
