import * as path from 'node:path';

import { dns1035LabelProblem, dnsLabelProblem, gitRefNameProblem, gitUrlProblem, imageNameProblem } from '../../constructs/validation';
import { InitOptionError, type InitOptionProblem } from './errors';

/** The flags of `fluxops init`, as given (undefined = not given). */
export interface InitFlags {
  /** Target directory. @default '.' */
  readonly dir?: string;
  /** Scaffold an application repository's release workflow instead of a config repository. */
  readonly app?: boolean;
  readonly fleet?: string;
  readonly sites?: readonly string[];
  readonly namespace?: string;
  readonly image?: string;
  readonly appName?: string;
  readonly gitUrl?: string;
  readonly branch?: string;
  readonly fluxops?: string;
  readonly force?: boolean;
}

/** An image repository (no tag) and the registry its release workflow logs in to. */
export interface ImageTarget {
  /** As written into fleet.ts and pushed by the release workflow, e.g. `ghcr.io/acme/gateway`. */
  readonly name: string;
  /** Registry host (`docker.io` for Docker Hub names without a host). */
  readonly registryHost: string;
}

/** How the config repository's package.json depends on FluxOps (FluxOps is not on npm). */
export interface FluxOpsDependency {
  /** npm dependency spec: `git+https://…#<commit or tag>`, `git+ssh://…`, `github:…` or `file:…`. */
  readonly spec: string;
  /** `flag`: from `--fluxops`; `checkout`: the Git origin and commit of the running FluxOps; `placeholder`: to be edited. */
  readonly source: 'flag' | 'checkout' | 'placeholder';
  /** Why this spec (what was found, or why only a placeholder). */
  readonly reason?: string;
}

/** Something in the generated files the user must (or may want to) edit, with where. */
export interface InitNote {
  /** File the note is about, relative to the target directory. */
  readonly file: string;
  readonly message: string;
  /** True when the generated repository does not work until this is edited. */
  readonly required: boolean;
}

/** Resolved, validated options for a config repository. */
export interface ConfigRepoOptions {
  readonly kind: 'config-repo';
  /** Absolute target directory. */
  readonly dir: string;
  /** npm package name of the repository. */
  readonly packageName: string;
  readonly fleet: string;
  /** Edge sites, in the order given (each one Pulumi stack). */
  readonly sites: readonly string[];
  /** Namespace of the apps. */
  readonly namespace: string;
  /** The example app (a DNS-1035 label: it names a Service). */
  readonly app: string;
  readonly image: ImageTarget;
  /** URL of the config repository itself (its GitSource). */
  readonly gitUrl: string;
  /** Branch sites follow and pull requests target. */
  readonly branch: string;
  readonly fluxops: FluxOpsDependency;
  readonly force: boolean;
  /** Defaults the user should replace. */
  readonly notes: readonly InitNote[];
}

/** Resolved, validated options for an application repository. */
export interface AppRepoOptions {
  readonly kind: 'app-repo';
  readonly dir: string;
  readonly image: ImageTarget;
  readonly force: boolean;
  readonly notes: readonly InitNote[];
}

/** What `fluxops init` scaffolds. */
export type InitOptions = ConfigRepoOptions | AppRepoOptions;

/** Defaults that depend on the running FluxOps (detected by the caller, so this stays pure). */
export interface InitDefaults {
  /** Used when `--fluxops` is not given; called only then (it may run `git`). */
  readonly fluxops: () => FluxOpsDependency;
}

/** Defaults of the options, as documented in `fluxops init --help`. */
export const INIT_DEFAULTS = {
  sites: ['edge-1'],
  namespace: 'edge-apps',
  image: 'ghcr.io/example/hello-edge',
  branch: 'main',
  fallbackFleet: 'edge-fleet',
} as const;

/**
 * Characters a URL-like value may contain. Values land inside quoted strings of TypeScript, YAML,
 * JSON and shell commands in the generated files; without quotes, backslashes, `$`, `&`, `;`,
 * spaces and the like there is nothing to escape in any of them.
 */
const SAFE_URL = /^[A-Za-z0-9._~:/@%+=,-]+$/;
const SAFE_URL_CHARS = 'letters, digits and . _ ~ : / @ % + = , -';

/** Options only a config repository has (refused together with --app). */
const CONFIG_ONLY: ReadonlyArray<[keyof InitFlags, string]> = [
  ['fleet', '--fleet'],
  ['sites', '--site'],
  ['namespace', '--namespace'],
  ['appName', '--app-name'],
  ['gitUrl', '--git-url'],
  ['branch', '--branch'],
  ['fluxops', '--fluxops'],
];

/**
 * Validates the flags of `fluxops init` and fills in defaults. Pure: reads no files (the caller
 * checks the directory when writing). Every problem is reported at once.
 *
 * @throws InitOptionError listing each bad option with its value and the rule it breaks
 */
export function resolveInitOptions(flags: InitFlags, defaults: InitDefaults): InitOptions {
  const problems: InitOptionProblem[] = [];
  const problem = (option: string, value: unknown, reason: string | undefined): void => {
    if (reason !== undefined) problems.push({ option, value, reason });
  };
  const dir = path.resolve(flags.dir ?? '.');
  const notes: InitNote[] = [];

  if (flags.app) {
    for (const [key, flag] of CONFIG_ONLY) {
      if (flags[key] !== undefined) problem(flag, flags[key], 'applies to a config repository; --app scaffolds an application repository');
    }
    let image: ImageTarget | undefined;
    if (flags.image === undefined) problem('--image', undefined, 'is required with --app: the image the release workflow pushes (the same as in fleet.ts), e.g. ghcr.io/acme/gateway');
    else image = imageTarget(flags.image, problem);
    if (problems.length > 0 || image === undefined) throw new InitOptionError(problems);
    return { kind: 'app-repo', dir, image, force: flags.force === true, notes };
  }

  const packageName = toDnsLabel(path.basename(dir)) ?? `${INIT_DEFAULTS.fallbackFleet}-config`;
  const fleet = flags.fleet ?? toDnsLabel(path.basename(dir)) ?? INIT_DEFAULTS.fallbackFleet;
  if (flags.fleet !== undefined) problem('--fleet', flags.fleet, dnsLabelProblem(flags.fleet));

  const sites = flags.sites !== undefined && flags.sites.length > 0 ? [...flags.sites] : [...INIT_DEFAULTS.sites];
  const seen = new Set<string>();
  for (const site of sites) {
    problem('--site', site, dnsLabelProblem(site));
    if (seen.has(site)) problem('--site', site, 'is given twice; each site is one Pulumi stack and must be unique');
    seen.add(site);
  }

  const namespace = flags.namespace ?? INIT_DEFAULTS.namespace;
  problem('--namespace', namespace, dnsLabelProblem(namespace));

  const imageName = flags.image ?? INIT_DEFAULTS.image;
  const image = imageTarget(imageName, problem);
  if (flags.image === undefined) {
    notes.push({ file: 'fleet.ts', required: true, message: `the example image ${imageName} does not exist: set the app's image (--image, or edit fleet.ts)` });
  }

  const lastComponent = imageName.slice(imageName.lastIndexOf('/') + 1);
  const app = flags.appName ?? lastComponent;
  if (flags.appName !== undefined) problem('--app-name', app, dns1035LabelProblem(app));
  else if (image !== undefined) {
    const p = dns1035LabelProblem(app);
    if (p) problem('--image', imageName, `its last path component "${app}" cannot name the app (${p}); add --app-name`);
  }

  const gitUrl = flags.gitUrl ?? `https://github.com/example/${packageName}.git`;
  problem('--git-url', gitUrl, gitUrlProblem(gitUrl) ?? (SAFE_URL.test(gitUrl) ? undefined : `may only contain ${SAFE_URL_CHARS}`));
  if (flags.gitUrl === undefined) {
    notes.push({ file: 'fleet.ts', required: true, message: `the URL of this repository is the example ${gitUrl}: set it (--git-url, or edit fleet.ts)` });
  }

  const branch = flags.branch ?? INIT_DEFAULTS.branch;
  problem('--branch', branch, gitRefNameProblem(branch) ?? (SAFE_URL.test(branch) ? undefined : `may only contain ${SAFE_URL_CHARS}`));

  if (flags.fluxops !== undefined) problem('--fluxops', flags.fluxops, fluxopsSpecProblem(flags.fluxops));
  const fluxops: FluxOpsDependency = flags.fluxops !== undefined ? { spec: flags.fluxops, source: 'flag' } : defaults.fluxops();
  if (fluxops.source === 'placeholder') {
    notes.push({
      file: 'package.json',
      required: true,
      message: `FluxOps is not on npm and ${fluxops.reason ?? 'its Git URL is unknown'}; package.json depends on the placeholder ${fluxops.spec}: replace it (--fluxops git+https://<host>/<path>.git#<tag or commit>)`,
    });
  }

  if (problems.length > 0 || image === undefined) throw new InitOptionError(problems);
  return { kind: 'config-repo', dir, packageName, fleet, sites, namespace, app, image, gitUrl, branch, fluxops, force: flags.force === true, notes };
}

/**
 * Why an npm dependency spec for FluxOps cannot be used, or undefined. Accepted: Git URLs
 * (`git+https://`, `git+ssh://`, `git+http://`, `git+file://`), `github:owner/repo`, `file:` paths
 * and `https://` tarballs; never credentials in the URL (they would be committed).
 */
export function fluxopsSpecProblem(spec: string): string | undefined {
  if (!/^[A-Za-z0-9._~:/@%+=,#-]+$/.test(spec)) return `may only contain ${SAFE_URL_CHARS} and #`;
  if (spec.startsWith('file:') || spec.startsWith('github:')) return spec.length > (spec.startsWith('file:') ? 5 : 7) ? undefined : 'names nothing';
  const url = spec.startsWith('git+') ? spec.slice(4) : spec;
  if (!/^(https?|ssh|file):\/\//.test(url)) return 'must be a Git URL (git+https://…, git+ssh://…), github:owner/repo, file:<path> or an https:// tarball';
  if (!spec.startsWith('git+') && !url.startsWith('https://')) return 'a URL without "git+" must be an https:// tarball';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.password || (parsed.username && parsed.protocol !== 'ssh:')) return 'must not embed credentials: they would be committed in package.json';
  return undefined;
}

function imageTarget(name: string, problem: (option: string, value: unknown, reason: string | undefined) => void): ImageTarget | undefined {
  const p = imageNameProblem(name);
  if (p) {
    problem('--image', name, `${p} (example: ghcr.io/acme/gateway)`);
    return undefined;
  }
  const first = name.split('/')[0];
  const hasHost = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return { name, registryHost: hasHost ? first : 'docker.io' };
}

/** `My_Fleet Config` -> `my-fleet-config`; undefined when nothing usable is left. */
export function toDnsLabel(text: string): string | undefined {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label !== '' && dnsLabelProblem(label) === undefined ? label : undefined;
}
