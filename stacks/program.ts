/**
 * The Pulumi program of `Pulumi.yaml`: deploys one edge site (the stack) from the config
 * repository's constructs. `pulumi up -s <site>` from a laptop runs exactly this.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { loadFleet, loadImageLock, synthesize } from '../constructs';
import { readSiteConfig } from './site-config';
import { SiteStack, type KubeObject } from './site-stack';

/** The directory of Pulumi.yaml: Pulumi runs a file `main` from its own folder. */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'Pulumi.yaml'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

const config = readSiteConfig();
const configDir = path.resolve(projectRoot(process.cwd()), config.configDir);
const result = synthesize(loadFleet(configDir), { site: config.site, lock: loadImageLock(configDir), flavor: 'plain' });
for (const w of result.warnings) console.warn(`fluxops: ${w.message}`);

const stack = new SiteStack(config.site, {
  objects: result.objects.map((o) => o.manifest as unknown as KubeObject),
  secrets: config.secrets,
  kubeconfig: config.kubeconfig,
  context: config.context,
});

export const site = config.site;
export const objectCount = stack.objectCount;
