import * as path from 'node:path';
import type { Command } from 'commander';

import { UsageError, collect, outputFormat, parseFleetEnv, printJson } from './output';

interface SynthFlags {
  configDir: string;
  site?: string;
  allSites: boolean;
  flavor: string;
  out?: string;
  strict: boolean;
  output: string;
  fleetEnv: string[];
}

/** `fluxops synth`: config repository -> deterministic Kubernetes YAML, synthesized in an isolated child process. */
export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('synthesize the fleet into Kubernetes manifests (deterministic YAML), in an isolated process')
    .option('-C, --config-dir <dir>', 'config repository holding fleet.ts and fluxops.lock.yaml', '.')
    .option('--site <name>', 'render one edge site (its overrides and holds apply)')
    .option('--all-sites', 'render every site (with --out: one sub-directory per site)', false)
    .option('--flavor <flavor>', '"plain", or "flux" to add Flux custom resources', 'plain')
    .option('--out <dir>', 'write one file per object into this directory (atomically) instead of one stream to stdout')
    .option('--strict', 'a missing or invalid lock, or a lock entry that breaks its policy, is an error (as for up/preview)', false)
    .option('--output <format>', '"yaml" (default) or "json" (objects, warnings, images as data)', 'yaml')
    .option('--fleet-env <NAME=value>', 'a FLEET_* variable for the fleet code (repeatable)', collect, [])
    .action(async (o: SynthFlags) => {
      const { synthesizeIsolated, writeManifests } = await import('../reconciler/synth');
      if (o.flavor !== 'plain' && o.flavor !== 'flux') throw new UsageError('--flavor', o.flavor, 'expected "plain" or "flux"');
      outputFormat(o.output, ['yaml', 'json']);
      if (o.site !== undefined && o.allSites) throw new UsageError('--all-sites', true, 'cannot be combined with --site');
      const result = await synthesizeIsolated({
        configDir: path.resolve(o.configDir),
        ...(o.site !== undefined ? { site: o.site } : {}),
        allSites: o.allSites,
        flavor: o.flavor,
        lockMode: o.strict ? 'strict' : 'lenient',
        fleetEnv: parseFleetEnv(o.fleetEnv),
      });
      if (result.fleetOutput) process.stderr.write(result.fleetOutput.replace(/^/gm, 'fleet: ') + (result.fleetOutput.endsWith('\n') ? '' : '\n'));
      const seen = new Set<string>();
      for (const r of result.results) for (const w of r.warnings) if (!seen.has(w.message)) (seen.add(w.message), console.error(`warning: ${w.message}`));
      if (o.out) {
        for (const r of result.results) {
          const dir = o.allSites && r.site ? path.join(o.out, r.site) : o.out;
          const { written, removed } = writeManifests(r.objects, dir);
          console.error(`${written.length} objects written to ${dir}${removed.length ? `, ${removed.length} files of an earlier synthesis removed` : ''}`);
        }
        return;
      }
      if (o.output === 'json') {
        printJson({ fleet: result.fleet, sites: result.sites, source: result.source, results: result.results.map(({ yaml: _y, ...r }) => ({ ...r, objects: r.objects.map(({ yaml: _o, ...obj }) => obj) })), lock: result.lock });
        return;
      }
      process.stdout.write(result.results.map((r) => r.yaml).join('---\n'));
    });
}
