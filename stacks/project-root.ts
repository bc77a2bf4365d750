import * as fs from 'node:fs';
import * as path from 'node:path';

import { parse } from 'yaml';

import { FluxOpsError } from '../errors';

/** Where the Pulumi program is being run from; defaults are the running process's. */
export interface ProgramLocation {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default process.cwd() */
  readonly cwd?: string;
}

/** No directory around the running program holds the `Pulumi.yaml` of the project being run. */
export class PulumiProjectNotFoundError extends FluxOpsError {
  override readonly name = 'PulumiProjectNotFoundError';
  constructor(
    /** The project name Pulumi runs (`pulumi.getProject()`). */
    readonly project: string,
    /** Directories with a Pulumi.yaml of another project (or, without any, where the search started). */
    readonly searched: readonly string[],
  ) {
    super(
      'pulumi-project-not-found',
      `cannot find the Pulumi.yaml of project "${project}" (searched upwards from ${searched.join(', ')}); ` +
        'run pulumi from the directory of that Pulumi.yaml (or set fluxops:configDir to an absolute path)',
    );
  }
}

/**
 * The directory of the `Pulumi.yaml` of the project being run (`project`, from
 * `pulumi.getProject()`), which `fluxops:configDir` is relative to.
 *
 * Pulumi runs a file `main` from that file's folder, so the working directory is where
 * program.ts is: FluxOps' own `stacks/`, or, in a config repository made by `fluxops init`
 * (`main: node_modules/fluxops/stacks/program.ts`), its `node_modules/fluxops/stacks`, possibly
 * already resolved through a symlink (`file:` dependencies are symlinks). The language host of
 * the toolchain does not report the project root, so candidates are tried in order, and one
 * counts only if its `Pulumi.yaml` names the running project:
 *
 * 1. the root the language host reports (hosts since Pulumi 3.9x pass `--root-directory`);
 * 2. inside a `node_modules`, the directory holding the outermost `node_modules` (an installed FluxOps);
 * 3. `$PWD` and its parents (where the user ran `pulumi`; covers a symlinked FluxOps);
 * 4. the working directory and its parents (FluxOps' own project).
 *
 * @throws PulumiProjectNotFoundError naming the project and the directories looked in
 */
export function pulumiProjectRoot(project: string, at: ProgramLocation = {}): string {
  const env = at.env ?? process.env;
  const cwd = at.cwd ?? process.cwd();
  const candidates: string[] = [];
  const reported = env.PULUMI_NODEJS_ROOT_DIRECTORY;
  if (reported && path.isAbsolute(reported)) candidates.push(reported);
  const parts = cwd.split(path.sep);
  const first = parts.indexOf('node_modules');
  if (first > 0) candidates.push(parts.slice(0, first).join(path.sep) || path.sep);
  if (env.PWD && path.isAbsolute(env.PWD)) candidates.push(...selfAndParents(env.PWD));
  candidates.push(...selfAndParents(cwd));
  const searched = [...new Set(candidates)];
  const found = searched.find((dir) => projectName(dir) === project);
  if (found === undefined) {
    // Name the Pulumi.yaml files of other projects that were found; without any, where the search started.
    const others = searched.filter((d) => fs.existsSync(path.join(d, 'Pulumi.yaml')));
    throw new PulumiProjectNotFoundError(project, others.length > 0 ? others : [...new Set([cwd, ...(env.PWD ? [env.PWD] : [])])]);
  }
  return found;
}

function selfAndParents(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}

/** The `name` in `<dir>/Pulumi.yaml`, or undefined when there is none (or it cannot be read). */
function projectName(dir: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'Pulumi.yaml'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined; // not a project Pulumi could be running: its own parse would have failed
  }
  const name = (doc as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}
