import * as path from 'node:path';
import type { Command } from 'commander';

import type { SynthFlavor } from '../constructs';

/** `fluxops synth`: config repository -> deterministic Kubernetes YAML. */
export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('synthesize the fleet into Kubernetes manifests (deterministic YAML)')
    .option('-C, --config-dir <dir>', 'config repository holding fleet.ts and fluxops.lock.yaml', '.')
    .option('--site <name>', 'render one edge site (its overrides and holds apply)')
    .option('--flavor <flavor>', '"plain", or "flux" to add Flux custom resources', 'plain')
    .option('--out <dir>', 'write one file per object into this directory instead of one stream to stdout')
    .action(async (o: { configDir: string; site?: string; flavor: string; out?: string }) => {
      const { loadFleet, loadImageLock, synthesize, writeManifests } = await import('../constructs');
      if (o.flavor !== 'plain' && o.flavor !== 'flux') throw new Error(`--flavor: expected "plain" or "flux", got "${o.flavor}"`);
      const dir = path.resolve(o.configDir);
      const result = synthesize(loadFleet(dir), { site: o.site, flavor: o.flavor as SynthFlavor, lock: loadImageLock(dir) });
      for (const w of result.warnings) console.error(`warning: ${w.message}`);
      if (o.out) {
        const { written, removed } = writeManifests(result, o.out);
        console.error(`${written.length} objects written to ${o.out}${removed.length ? `, ${removed.length} stale files removed` : ''}`);
      } else {
        process.stdout.write(result.yaml);
      }
    });
}
