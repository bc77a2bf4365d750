import { readTemplate, renderTemplate, type TemplateValues } from './template';
import type { AppRepoOptions, ConfigRepoOptions, InitOptions } from './init-options';

/** One file `fluxops init` writes. */
export interface PlannedFile {
  /** Path relative to the target directory, `/`-separated. */
  readonly path: string;
  readonly contents: string;
  /** Template it was rendered from, relative to `templates/`. */
  readonly template: string;
}

/** Versions the config repository's devDependencies get: the ones FluxOps itself is checked with. */
export interface ToolVersions {
  readonly typescript: string;
  readonly typesNode: string;
}

/** Reads a template by its path relative to `templates/` (injectable for tests). */
export type TemplateReader = (name: string) => string;

/** Target path -> template of a config repository; per-site files are added by {@link planConfigRepo}. */
export const CONFIG_REPO_FILES: ReadonlyArray<{ readonly path: string; readonly template: string }> = [
  { path: 'package.json', template: 'config-repo/package.json.tpl' },
  { path: 'tsconfig.json', template: 'config-repo/tsconfig.json.tpl' },
  { path: 'fleet.ts', template: 'config-repo/fleet.ts.tpl' },
  { path: 'fluxops.lock.yaml', template: 'config-repo/fluxops.lock.yaml.tpl' },
  { path: 'Pulumi.yaml', template: 'config-repo/Pulumi.yaml.tpl' },
  { path: '.gitignore', template: 'config-repo/gitignore.tpl' },
  { path: 'README.md', template: 'config-repo/README.md.tpl' },
  { path: '.github/workflows/fluxops-diff.yaml', template: 'config-repo/github-fluxops-diff.yaml.tpl' },
  { path: '.gitlab-ci.yml', template: 'config-repo/gitlab-ci.yml.tpl' },
];

/** The template of each site's stack settings, `Pulumi.<site>.yaml`. */
export const SITE_STACK_TEMPLATE = 'config-repo/Pulumi.site.yaml.tpl';
/** The fragment of fleet.ts rendered once per site (its `new Site(...)`), joined into `@@sites@@`. */
export const SITE_FRAGMENT_TEMPLATE = 'config-repo/fleet-site.ts.tpl';

/** Target path -> template of an application repository. */
export const APP_REPO_FILES: ReadonlyArray<{ readonly path: string; readonly template: string }> = [
  { path: '.github/workflows/release-image.yaml', template: 'app-repo/github-release-image.yaml.tpl' },
  { path: '.gitlab-ci.yml', template: 'app-repo/gitlab-ci.yml.tpl' },
];

/** The files of a scaffold, rendered (pure apart from reading templates). */
export function planScaffold(opts: InitOptions, versions: ToolVersions, read: TemplateReader = readTemplate): PlannedFile[] {
  return opts.kind === 'config-repo' ? planConfigRepo(opts, versions, read) : planAppRepo(opts, read);
}

/** The files of a config repository: one per {@link CONFIG_REPO_FILES} entry, then `Pulumi.<site>.yaml` per site. */
export function planConfigRepo(opts: ConfigRepoOptions, versions: ToolVersions, read: TemplateReader = readTemplate): PlannedFile[] {
  const base: Record<string, string> = {
    fleet: opts.fleet,
    packageName: opts.packageName,
    namespace: opts.namespace,
    app: opts.app,
    image: opts.image.name,
    gitUrl: opts.gitUrl,
    branch: opts.branch,
    fluxopsSpec: opts.fluxops.spec,
    typescriptVersion: versions.typescript,
    typesNodeVersion: versions.typesNode,
    siteList: opts.sites.join(' '),
    siteListMarkdown: opts.sites.map((s) => `\`${s}\``).join(', '),
    stackFilesMarkdown: opts.sites.map((s) => `\`Pulumi.${s}.yaml\``).join(', '),
    firstSite: opts.sites[0],
  };
  const siteFragment = read(SITE_FRAGMENT_TEMPLATE);
  base.sites = opts.sites.map((site) => renderTemplate(siteFragment, { ...base, site }, SITE_FRAGMENT_TEMPLATE).trimEnd()).join('\n\n');
  const files = CONFIG_REPO_FILES.map((f) => render(f.path, f.template, base, read));
  const stack = read(SITE_STACK_TEMPLATE);
  for (const site of opts.sites) {
    files.push({ path: `Pulumi.${site}.yaml`, template: SITE_STACK_TEMPLATE, contents: renderTemplate(stack, { ...base, site }, SITE_STACK_TEMPLATE) });
  }
  return files;
}

/**
 * The files of an application repository: its release workflows. Registry credentials: GitHub's
 * own token for ghcr.io (the workflow asks for `packages: write`), else two repository secrets.
 */
export function planAppRepo(opts: AppRepoOptions, read: TemplateReader = readTemplate): PlannedFile[] {
  const ghcr = opts.image.registryHost === 'ghcr.io';
  const values: TemplateValues = {
    image: opts.image.name,
    registryHost: opts.image.registryHost,
    packagesPermission: ghcr ? 'write' : 'none',
    registryUsername: ghcr ? '${{ github.actor }}' : '${{ secrets.REGISTRY_USERNAME }}',
    registryPassword: ghcr ? '${{ secrets.GITHUB_TOKEN }}' : '${{ secrets.REGISTRY_PASSWORD }}',
    credentialsHelp: ghcr
      ? "the workflow's own GITHUB_TOKEN (packages: write); nothing to set up."
      : `the repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD (a token that may push to ${opts.image.name}).`,
  };
  return APP_REPO_FILES.map((f) => render(f.path, f.template, values, read));
}

function render(target: string, template: string, values: TemplateValues, read: TemplateReader): PlannedFile {
  return { path: target, template, contents: renderTemplate(read(template), values, template) };
}
