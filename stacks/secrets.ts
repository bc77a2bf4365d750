import type { PulumiSettings } from './pulumi-env';
import { parseSecretsConfig } from './site-config';
import { openSiteStack } from './workspace';
import { StackConfigError } from './errors';
import { dnsLabelProblem, dnsSubdomainProblem } from '../constructs/validation';

/** Where a site secret goes: `fluxops:secrets.<namespace>/<name>.<key>` of the site's stack. */
export interface SiteSecretKey {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/**
 * Sets one key of a site's Kubernetes Secret in the stack configuration, encrypted with the
 * stack's secrets provider (`pulumi config set --secret --path`); the next deploy creates or
 * updates the Secret. The value never touches a file in plain text or a log.
 */
export async function setSiteSecret(opts: { settings: PulumiSettings; workDir: string; site: string; secret: SiteSecretKey; value: string }): Promise<void> {
  const { namespace, name, key } = opts.secret;
  const at = `fluxops:secrets.${namespace}/${name}.${key}`;
  const p = dnsLabelProblem(namespace) ?? dnsSubdomainProblem(name);
  if (p) throw new StackConfigError(at, p);
  if (name.includes('.')) throw new StackConfigError(at, 'Secret names with dots cannot be set through a config path; choose a name without dots');
  // Validates key and value the same way a deploy will read them.
  parseSecretsConfig({ [`${namespace}/${name}`]: { [key]: opts.value } });
  const stack = await openSiteStack({ site: opts.site, settings: opts.settings, workDir: opts.workDir, program: async () => ({}) });
  await stack.setConfig(at, { value: opts.value, secret: true }, true);
}
