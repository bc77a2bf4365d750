/**
 * The Pulumi program of `Pulumi.yaml`: deploys one edge site (the stack) from the config
 * repository's constructs. `pulumi up -s <site>` from a laptop runs exactly this.
 *
 * The config repository is synthesized in an isolated child process (the same path the CLI and
 * the reconciler use) with a strict lock; downgrades against what the site runs now are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as pulumi from '@pulumi/pulumi';

import { KubeClient } from '../reconciler/cluster/kube-client';
import { findDowngrades, refuseDowngrades } from '../reconciler/deploy/no-downgrade';
import { synthesizeIsolated } from '../reconciler/synth';
import { pulumiProjectRoot } from './project-root';
import { readSiteStackConfig, siteStackArgs } from './site-args';
import { SiteStack, type KubeObject } from './site-stack';

/**
 * The program. Exported as the module itself (`export =`), not as `default`: Pulumi's Node
 * runtime calls the module's export when it is a function, and for a CommonJS module it never
 * looks at `default` (a default export would leave the stack empty without any error).
 */
async function program(): Promise<Record<string, unknown>> {
  const config = readSiteStackConfig();
  // Relative to Pulumi.yaml: FluxOps' own project, or a config repository that runs this file from node_modules.
  const configDir = path.resolve(pulumiProjectRoot(pulumi.getProject()), config.configDir);
  const synth = await synthesizeIsolated({ configDir, site: config.site, lockMode: 'strict' });
  const site = synth.site(config.site);
  for (const w of site.warnings) pulumi.log.warn(`fluxops: ${w.message}`);
  if (synth.fleetOutput) pulumi.log.info(`fluxops: the fleet printed:\n${synth.fleetOutput}`);

  // What runs now decides whether this is a downgrade (read-only; the kubeconfig is the stack's).
  {
    const kubeconfig = pulumi.runtime.getConfig('fluxops:kubeconfig');
    const kube = await KubeClient.connect({
      ...(kubeconfig !== undefined ? (fs.existsSync(kubeconfig) ? { kubeconfig } : { kubeconfigContents: kubeconfig }) : {}),
      ...(config.context ? { context: config.context } : {}),
    });
    try {
      refuseDowngrades(await findDowngrades(site.images, synth.policies, config.site, (ref) => kube.get(ref)));
    } finally {
      kube.close();
    }
  }

  const stack = new SiteStack(
    config.site,
    siteStackArgs({
      site: config.site,
      objects: site.objects.map((o) => o.manifest as unknown as KubeObject),
      secrets: config.secrets,
      ...(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {}),
      ...(config.context !== undefined ? { context: config.context } : {}),
    }),
  );
  return { site: config.site, objectCount: stack.objectCount };
}

export = program;
