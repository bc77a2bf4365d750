import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ORACLE_DIR = path.join(__dirname, '..', 'oracles', 'flux');

/** The Flux oracle (test/oracles/flux), built for one test file. */
export interface FluxOracle {
  /** Path of the built binary. */
  readonly bin: string;
  /** Sends one JSON request to `flux-oracle <command>` and returns its JSON answer. */
  ask<T>(command: 'setters' | 'template', request: unknown): T;
  /** Removes the temp dir holding the binary. */
  dispose(): void;
}

/**
 * Builds the Go program that answers with Flux's own libraries (kyaml setters, text/template
 * with sprig) into a temp dir. The first build downloads its modules through the Go module
 * proxy and takes about a minute; later builds come from Go's build cache in seconds.
 */
export function buildFluxOracle(): FluxOracle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-flux-oracle-'));
  const bin = path.join(dir, 'flux-oracle');
  try {
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: ORACLE_DIR, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`building the Flux oracle in ${ORACLE_DIR} failed (is Go installed and the module proxy reachable?)\n${stderr}`, { cause: err });
  }
  return {
    bin,
    ask<T>(command: 'setters' | 'template', request: unknown): T {
      const out = execFileSync(bin, [command], { input: JSON.stringify(request), maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
      return JSON.parse(out.toString()) as T;
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
