import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';

import { FluxOpsError } from '../errors';

import { registerBootstrapCommand } from './bootstrap';
import { registerDemoCommand } from './demo';
import { registerDiffCommand } from './diff';
import { registerImagesCommands } from './images';
import { registerReconcileCommand } from './reconcile';
import { registerSiteStatusCommands } from './site-status';
import { registerDevCommands } from './dev';
import { registerInitCommand } from './init';
import { registerImageCommands } from './image';
import { registerStackCommands } from './stack';
import { registerSynthCommand } from './synth';

/** The FluxOps version: `version` of the package.json next to the CLI (what `fluxops --version` prints). */
export function fluxopsVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Builds the `fluxops` command tree. */
export function buildProgram(): Command {
  const program = new Command('fluxops')
    .description('GitOps continuous deployment for ARM64 edge clusters')
    .version(fluxopsVersion(), '-V, --version', 'print the FluxOps version')
    .showHelpAfterError()
    .exitOverride();
  registerDemoCommand(program);
  registerDevCommands(program);
  registerInitCommand(program);
  registerSynthCommand(program);
  registerDiffCommand(program);
  registerReconcileCommand(program);
  registerBootstrapCommand(program);
  registerSiteStatusCommands(program);
  registerStackCommands(program);
  registerImageCommands(program);
  registerImagesCommands(program);
  return program;
}

/** Entry point of `bin/fluxops`; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') return code; // commander already printed help/usage
    if (err instanceof FluxOpsError) {
      // Typed errors carry a message written for people; no stack trace.
      console.error(`fluxops: ${err.message}`);
      return 1;
    }
    throw err;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
