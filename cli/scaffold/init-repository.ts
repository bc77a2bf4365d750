import * as fs from 'node:fs';
import * as path from 'node:path';

import { z } from 'zod';

import { TemplateError } from './errors';
import { FLUXOPS_ROOT, defaultFluxOpsDependency, readFluxOpsCheckout, type FluxOpsCheckout } from './fluxops-source';
import { resolveInitOptions, type InitFlags, type InitNote, type InitOptions } from './init-options';
import { planScaffold, type TemplateReader, type ToolVersions } from './plan';
import { readTemplate } from './template';
import { writeScaffold, type ScaffoldFileAction } from './write-scaffold';

/** A command to run next, and what it is for. `command` is undefined for a step done elsewhere (a web UI). */
export interface NextStep {
  readonly command?: string;
  readonly why: string;
}

/** The outcome of `fluxops init`, as data (the CLI renders it as text or JSON). */
export interface InitResult {
  readonly kind: InitOptions['kind'];
  /** Absolute target directory. */
  readonly dir: string;
  readonly files: ReadonlyArray<{ readonly path: string; readonly action: ScaffoldFileAction }>;
  /** Generated values the user must or may want to replace. */
  readonly notes: readonly InitNote[];
  readonly nextSteps: readonly NextStep[];
  /** The resolved options (fleet, sites, image, ...), for JSON output. */
  readonly options: InitOptions;
}

/** Inputs of {@link initRepository} that come from the running FluxOps (injectable for tests). */
export interface InitEnvironment {
  /** @default what `git` says about the running FluxOps */
  readonly checkout?: FluxOpsCheckout;
  /** FluxOps' own package.json. @default read from the running FluxOps */
  readonly fluxopsPackage?: FluxOpsPackage;
  readonly readTemplate?: TemplateReader;
  /** Directory relative paths in next steps are computed from. @default process.cwd() */
  readonly cwd?: string;
}

const FluxOpsPackageSchema = z.object({
  version: z.string(),
  dependencies: z.object({ typescript: z.string() }),
  devDependencies: z.object({ '@types/node': z.string() }),
});

/** The fields of FluxOps' package.json that a new config repository copies. */
export type FluxOpsPackage = z.infer<typeof FluxOpsPackageSchema>;

/** Reads the running FluxOps' package.json. */
export function readFluxOpsPackage(root: string = FLUXOPS_ROOT): FluxOpsPackage {
  const file = path.join(root, 'package.json');
  const parsed = FluxOpsPackageSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new TemplateError('../package.json', `FluxOps' own package.json lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}

/**
 * `fluxops init`: validates the options, renders the templates and writes the files, refusing to
 * overwrite anything unless `force`. Nothing is written when an option is invalid or a file exists.
 *
 * @throws InitOptionError, InitConflictError, ScaffoldWriteError (see {@link writeScaffold})
 */
export function initRepository(flags: InitFlags, env: InitEnvironment = {}): InitResult {
  const pkg = env.fluxopsPackage ?? readFluxOpsPackage();
  const options = resolveInitOptions(flags, { fluxops: () => defaultFluxOpsDependency(env.checkout ?? readFluxOpsCheckout(), pkg.version) });
  const versions: ToolVersions = { typescript: pkg.dependencies.typescript, typesNode: pkg.devDependencies['@types/node'] };
  const planned = planScaffold(options, versions, env.readTemplate ?? readTemplate);
  const written = writeScaffold(options.dir, planned, { force: options.force });
  return { kind: options.kind, dir: written.dir, files: written.files, notes: options.notes, nextSteps: nextSteps(options, env.cwd ?? process.cwd()), options };
}

/** The exact commands that take a fresh scaffold to its first deploy (config repository) or first release (app). */
export function nextSteps(options: InitOptions, cwd: string): NextStep[] {
  const steps: NextStep[] = [];
  const rel = path.relative(cwd, options.dir);
  if (rel !== '') steps.push({ command: `cd ${shellWord(rel)}`, why: 'the new repository' });
  const inGit = insideGitCheckout(options.dir);
  if (options.kind === 'app-repo') {
    if (!inGit) steps.push({ command: 'git init -b main', why: 'not a Git repository yet' });
    steps.push({ command: 'git add .github/workflows/release-image.yaml .gitlab-ci.yml', why: 'keep the file of the forge you use, delete the other' });
    steps.push({ command: 'git commit -m "Release multi-arch images for tags vX.Y.Z"', why: 'the release workflow' });
    if (options.image.registryHost !== 'ghcr.io') {
      steps.push({ why: `add the repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD (a token that may push to ${options.image.name}); on GitLab see .gitlab-ci.yml` });
    }
    steps.push({ command: 'git push', why: 'the workflow runs on tags only' });
    steps.push({ command: 'git tag v1.0.0 && git push origin v1.0.0', why: `pushes ${options.image.name}:1.0.0 for linux/amd64 and linux/arm64` });
    return steps;
  }
  const site = options.sites[0];
  steps.push({ command: 'npm install', why: 'installs FluxOps and TypeScript; commit the package-lock.json it writes' });
  steps.push({ command: 'npx tsc --noEmit', why: 'type-checks fleet.ts' });
  steps.push({ command: 'npx fluxops synth --all-sites --strict', why: 'shows the Kubernetes objects of every site' });
  if (!inGit) steps.push({ command: `git init -b ${options.branch}`, why: 'not a Git repository yet' });
  steps.push({ command: `git add -A && git commit -m "FluxOps config repository for ${options.fleet}"`, why: 'everything generated, and package-lock.json' });
  steps.push({ command: `git remote add origin ${options.gitUrl} && git push -u origin ${options.branch}`, why: 'the repository fleet.ts names as its source' });
  steps.push({ command: "export PULUMI_CONFIG_PASSPHRASE='…'", why: "encrypts the sites' secrets in their stack settings; keep it safe" });
  steps.push({
    command: `npx fluxops up --site ${site} --kubeconfig ~/.kube/${site}.yaml --context ${site}`,
    why: `first deploy of site ${site} (\`npx fluxops preview\` with the same flags shows it first)`,
  });
  steps.push({
    why: `add the repository secret FLUXOPS_KUBECONFIG: a kubeconfig with one context per site, named like the site (${options.sites.join(', ')}); pull requests then get the diff as a comment (README.md)`,
  });
  return steps;
}

function insideGitCheckout(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return true;
    if (path.dirname(d) === d) return false;
  }
}

/** A path as one shell word (quoted when it has anything but safe characters). */
function shellWord(p: string): string {
  return /^[A-Za-z0-9._/~+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
