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
import { readSiteStackConfig, siteStackArgs } from './site-args';
import { SiteStack, type KubeObject } from './site-stack';

/** The directory of Pulumi.yaml: Pulumi runs a file `main` from its own folder. */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'Pulumi.yaml'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

async function program(): Promise<Record<string, unknown>> {
  const config = readSiteStackConfig();
  const configDir = path.resolve(projectRoot(process.cwd()), config.configDir);
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

// Pulumi calls a CommonJS program's export when it is a function (a `default` export is honoured
// for ES modules only).
export = program;
