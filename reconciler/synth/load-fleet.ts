import * as fs from 'node:fs';
import * as path from 'node:path';
import { Fleet, isFleetDefinition } from '../../constructs';
import { FleetLoadError } from './fleet-load-error';

/** Entry files looked for in a config directory, in order. */
export const FLEET_ENTRY_FILES = ['fleet.ts', 'fleet.js', 'fleet.cjs'] as const;

/** Options of {@link loadFleet}. */
export interface LoadFleetOptions {
  /** Entry file, relative to the config directory. @default the first of FLEET_ENTRY_FILES that exists */
  readonly entry?: string;
}

/**
 * Loads the fleet a config repository exports. Runs only inside the synthesis child process
 * (see {@link synthesizeIsolated}): config-repository code never runs in a process that holds
 * credentials, and every load starts from an empty module cache.
 * The entry module's default export (or its
 * `fleet` export) may be a `defineFleet(...)` definition (built fresh on every call), a Fleet,
 * or a function returning a Fleet. TypeScript entries are compiled on the fly with ts-node
 * (transpile only) when no TypeScript loader is active; compiled JavaScript needs nothing.
 *
 * This is the one place that executes config-repository code.
 */
export function loadFleet(configDir: string, options: LoadFleetOptions = {}): Fleet {
  const dir = path.resolve(configDir);
  const entry = findEntry(dir, options.entry);
  if (entry.endsWith('.ts')) ensureTypeScriptLoader(entry);
  ensureConstructsAlias();
  let mod: Record<string, unknown>;
  try {
    mod = require(entry) as Record<string, unknown>;
  } catch (e) {
    throw new FleetLoadError(entry, `failed to load: ${describeError(e)}`, e);
  }
  const exported = mod.default ?? mod.fleet;
  let fleet: unknown;
  try {
    if (isFleetDefinition(exported)) fleet = exported.create();
    else if (Fleet.isFleet(exported)) fleet = exported;
    else if (typeof exported === 'function') fleet = (exported as () => unknown)();
    else fleet = undefined;
  } catch (e) {
    throw new FleetLoadError(entry, `building the fleet failed: ${describeError(e)}`, e, 'build');
  }
  if (!Fleet.isFleet(fleet)) {
    throw new FleetLoadError(entry, 'must export (default or `fleet`) a defineFleet(...) definition, a Fleet, or a function returning a Fleet', undefined, 'build');
  }
  return fleet;
}

function findEntry(dir: string, wanted: string | undefined): string {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new FleetLoadError(dir, 'is not a directory');
  const candidates = wanted !== undefined ? [wanted] : [...FLEET_ENTRY_FILES];
  for (const c of candidates) {
    const file = path.resolve(dir, c);
    if (fs.existsSync(file)) return file;
  }
  throw new FleetLoadError(dir, `no fleet entry found (looked for ${candidates.join(', ')})`);
}

/** The module name config repositories import the constructs by. */
export const CONSTRUCTS_MODULE = 'fluxops/constructs';

let aliasInstalled = false;

/**
 * Lets a config repository `import ... from 'fluxops/constructs'` without an npm install of its
 * own: the name resolves to the constructs of the FluxOps that loads it, so a checkout of the
 * config repository at any commit synthesizes as is. (Under jest, `moduleNameMapper` does this.)
 */
function ensureConstructsAlias(): void {
  if (aliasInstalled) return;
  const Module = require('node:module') as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = Module._resolveFilename;
  const target = require.resolve('../../constructs');
  Module._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === CONSTRUCTS_MODULE ? target : original.call(this, request, ...rest);
  };
  aliasInstalled = true;
}

function ensureTypeScriptLoader(entry: string): void {
  // Under ts-node `.ts` already resolves; under jest (or another module system) `require.extensions`
  // is not Node's (it lacks `.js`) and that system compiles TypeScript itself.
  const extensions = (require as NodeJS.Require).extensions as Record<string, unknown> | undefined;
  if (extensions === undefined || '.ts' in extensions || !('.js' in extensions)) return;
  let tsNode: { register(options: object): unknown };
  try {
    tsNode = require('ts-node') as typeof tsNode;
  } catch (e) {
    throw new FleetLoadError(entry, 'is TypeScript but ts-node is not installed; compile the config repository to JavaScript or install ts-node', e);
  }
  tsNode.register({
    transpileOnly: true,
    skipProject: true,
    compilerOptions: { module: 'commonjs', target: 'es2022', esModuleInterop: true, sourceMap: true },
  });
}

/** `RangeError: message` (the class says what kind of failure; plain `Error` is left out). */
function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
}
