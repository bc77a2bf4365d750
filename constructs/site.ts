import { Construct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import { EnvValueSpec, checkEnv } from './container-spec';
import { ConstructValidationError } from './construct-validation-error';
import { EdgeApp, checkArchitectures } from './edge-app';
import { Fleet } from './fleet';
import { GitSource } from './git-source';
import { ImageHold, ImagePolicy } from './image-policy';
import { addLateValidation } from './late-validation';
import { checkUniqueName } from './unique-name';
import {
  Architecture,
  architectureProblem,
  check,
  childPath,
  dnsLabelProblem,
  dnsSubdomainProblem,
  hostProblem,
  imageTagProblem,
  joinRepoPath,
  labelsProblem,
  nonNegativeIntegerProblem,
  normalizeRepoPath,
  repoPathProblem,
  singleLineTextProblem,
} from './validation';

/** A node of the site's cluster, as far as placement is concerned. */
export interface SiteNode {
  /** Node name. */
  readonly name: string;
  /** Its `kubernetes.io/arch`. */
  readonly architecture: Architecture;
  /** Other labels. @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** How one app differs on this site. */
export interface AppOverride {
  /** The app (must run on the site). */
  readonly app: EdgeApp;
  /** Replicas on this site. @default the app's */
  readonly replicas?: number;
  /** Environment added to (or replacing values of) the target container. @default none */
  readonly env?: Readonly<Record<string, EnvValueSpec>>;
  /** Container `env` applies to. @default the first container */
  readonly container?: string;
  /** Ingress host on this site (the app must have an ingress). @default the app's */
  readonly ingressHost?: string;
  /** Architectures on this site. @default the app's */
  readonly architectures?: readonly Architecture[];
}

/** Holds one image policy at a tag on this site only. */
export interface SiteImageHold extends ImageHold {
  /** The policy held (used by an app on the site). */
  readonly policy: ImagePolicy;
}

/** Properties of a {@link Site}. */
export interface SiteProps {
  /** Site name (DNS-1123 label); the `fluxops.dev/site` label and the manifests sub-directory. @default the construct id */
  readonly name?: string;
  /** Labels describing the site (region, tier). @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Apps the site runs. */
  readonly apps: readonly EdgeApp[];
  /** Per-app differences. @default none */
  readonly overrides?: readonly AppOverride[];
  /** Per-policy holds on this site. @default none */
  readonly holds?: readonly SiteImageHold[];
  /** The site's nodes; when given, every app must be able to run on one of them. @default unknown */
  readonly nodes?: readonly SiteNode[];
  /** Repository Flux pulls this site's manifests from. @default the fleet's only GitSource */
  readonly source?: GitSource;
  /** Directory of this site's manifests in the source. @default `<source path>/<site name>` */
  readonly path?: string;
}

/** An edge cluster: which apps it runs and how they differ there. */
export class Site extends Construct {
  /** Whether `x` is a Site (works across copies of this module). */
  static isSite(x: unknown): x is Site {
    return hasBrand(x, BRANDS.site);
  }

  /** Site name. */
  readonly siteName: string;
  /** Site labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Declared nodes (empty when unknown). */
  readonly nodes: readonly SiteNode[];
  /** Holds on this site. */
  readonly holds: readonly SiteImageHold[];
  private readonly _apps: EdgeApp[];
  private readonly _overrides: AppOverride[];
  private readonly _source?: GitSource;
  private readonly _path?: string;

  constructor(scope: Construct, id: string, props: SiteProps) {
    const path = childPath(scope, id);
    const fleet = Fleet.of(scope);
    const name = props.name ?? id;
    check(path, 'name', name, dnsLabelProblem(name));
    const labels = props.labels ?? {};
    const badLabel = labelsProblem(labels);
    if (badLabel) check(path, `labels.${badLabel[0]}`, labels[badLabel[0]], badLabel[1]);
    check(path, 'apps', props.apps, Array.isArray(props.apps) ? undefined : 'must be a list of EdgeApps');
    props.apps.forEach((app, i) => checkApp(path, `apps[${i}]`, app, fleet, props.apps.slice(0, i)));
    (props.overrides ?? []).forEach((o, i) => checkOverride(path, `overrides[${i}]`, o, props.apps, (props.overrides ?? []).slice(0, i)));
    const holds = props.holds ?? [];
    holds.forEach((h, i) => checkHold(path, `holds[${i}]`, h, props.apps, holds.slice(0, i)));
    const nodes = props.nodes ?? [];
    nodes.forEach((n, i) => {
      check(path, `nodes[${i}].name`, n.name, dnsSubdomainProblem(n.name));
      check(path, `nodes[${i}].name`, n.name, nodes.findIndex((o) => o.name === n.name) !== i ? 'is declared twice' : undefined);
      check(path, `nodes[${i}].architecture`, n.architecture, architectureProblem(n.architecture));
      const bad = labelsProblem(n.labels ?? {});
      if (bad) check(path, `nodes[${i}].labels.${bad[0]}`, (n.labels ?? {})[bad[0]], bad[1]);
    });
    if (props.source !== undefined) {
      check(path, 'source', props.source, !GitSource.isGitSource(props.source) || Fleet.of(props.source) !== fleet ? 'must be a GitSource of this fleet' : undefined);
    }
    if (props.path !== undefined) check(path, 'path', props.path, repoPathProblem(props.path));
    checkUniqueName(path, 'name', name, fleet.sites, (s) => s.siteName === name);

    super(scope, id);
    this.siteName = name;
    this.labels = { ...labels };
    this.nodes = nodes.map((n) => ({ ...n }));
    this.holds = [...holds];
    this._apps = [...props.apps];
    this._overrides = [...(props.overrides ?? [])];
    this._source = props.source;
    this._path = props.path === undefined ? undefined : normalizeRepoPath(props.path);
    setBrand(this, BRANDS.site);
    addLateValidation(this, () => this.placementProblems());
  }

  /** Apps on this site, in the order they were added. */
  get apps(): readonly EdgeApp[] {
    return [...this._apps];
  }

  /** Overrides on this site. */
  get overrides(): readonly AppOverride[] {
    return [...this._overrides];
  }

  /**
   * Adds an app (and optionally its override) after construction. Invalid input throws and
   * leaves the site unchanged.
   */
  addApp(app: EdgeApp, override?: Omit<AppOverride, 'app'>): void {
    checkApp(this.node.path, `apps[${this._apps.length}]`, app, Fleet.of(this), this._apps);
    const full = override ? { ...override, app } : undefined;
    if (full) checkOverride(this.node.path, `overrides[${this._overrides.length}]`, full, [...this._apps, app], this._overrides);
    this._apps.push(app);
    if (full) this._overrides.push(full);
  }

  /** The override for `app`, if any. */
  overrideFor(app: EdgeApp): AppOverride | undefined {
    return this._overrides.find((o) => o.app === app);
  }

  /** The effective hold for `policy` on this site: the site's own, else the policy's. */
  holdFor(policy: ImagePolicy): ImageHold | undefined {
    const own = this.holds.find((h) => h.policy === policy);
    return own ? { tag: own.tag, reason: own.reason } : policy.hold;
  }

  /** Image policies followed by the site's apps, without duplicates. */
  get imagePolicies(): ImagePolicy[] {
    const out: ImagePolicy[] = [];
    for (const app of this._apps) for (const p of app.imagePolicies) if (!out.includes(p)) out.push(p);
    return out;
  }

  /** Architectures `app` may use on this site (override, else the app's). */
  architecturesFor(app: EdgeApp): readonly Architecture[] {
    return this.overrideFor(app)?.architectures ?? app.architectures;
  }

  /** The Git source this site is delivered from, if one can be determined. */
  get source(): GitSource | undefined {
    if (this._source) return this._source;
    const all = Fleet.of(this).gitSources;
    return all.length === 1 ? all[0] : undefined;
  }

  /** Directory of this site's manifests in its source. */
  get manifestsPath(): string {
    return this._path ?? joinRepoPath(this.source?.path ?? './clusters', this.siteName);
  }

  private placementProblems(): ConstructValidationError[] {
    if (this.nodes.length === 0) return [];
    const available = new Set(this.nodes.map((n) => n.architecture));
    return this._apps.flatMap((app, i) => {
      const wanted = this.architecturesFor(app);
      if (wanted.some((a) => available.has(a))) return [];
      return [
        new ConstructValidationError({
          path: this.node.path,
          field: `apps[${i}]`,
          value: app,
          reason: `${app.appName} needs ${wanted.join('/')} but the site's nodes are ${[...available].join('/')}`,
        }),
      ];
    });
  }
}

function checkApp(path: string, f: string, app: EdgeApp, fleet: Fleet, earlier: readonly EdgeApp[]): void {
  check(path, f, app, !EdgeApp.isEdgeApp(app) ? 'must be an EdgeApp' : Fleet.of(app) !== fleet ? 'belongs to a different fleet' : undefined);
  check(path, f, app, earlier.includes(app) ? 'is listed twice' : undefined);
  const clash = earlier.find((o) => o.appName === app.appName && o.namespace === app.namespace);
  check(path, f, app, clash ? `has the same name and namespace as ${clash.node.path}` : undefined);
}

function checkOverride(path: string, f: string, o: AppOverride, apps: readonly EdgeApp[], earlier: readonly AppOverride[]): void {
  check(path, `${f}.app`, o.app, apps.includes(o.app) ? undefined : 'is not one of the site\'s apps');
  check(path, `${f}.app`, o.app, earlier.some((e) => e.app === o.app) ? 'already has an override on this site' : undefined);
  if (o.replicas !== undefined) check(path, `${f}.replicas`, o.replicas, nonNegativeIntegerProblem(o.replicas));
  if (o.replicas !== undefined) check(path, `${f}.replicas`, o.replicas, o.app.autoscaling ? `${o.app.appName} autoscales; its replica count belongs to the autoscaler` : undefined);
  if (o.container !== undefined) {
    check(path, `${f}.container`, o.container, o.app.containers.some((c) => c.name === o.container) ? undefined : `is not a container of ${o.app.appName}`);
  }
  if (o.env !== undefined) checkEnv(path, `${f}.env`, o.env);
  if (o.ingressHost !== undefined) {
    check(path, `${f}.ingressHost`, o.ingressHost, o.app.ingress === undefined ? `${o.app.appName} has no ingress` : hostProblem(o.ingressHost));
  }
  if (o.architectures !== undefined) checkArchitectures(path, `${f}.architectures`, o.architectures);
}

function checkHold(path: string, f: string, h: SiteImageHold, apps: readonly EdgeApp[], earlier: readonly SiteImageHold[]): void {
  check(path, `${f}.policy`, h.policy, ImagePolicy.isImagePolicy(h.policy) ? undefined : 'must be an ImagePolicy');
  check(path, `${f}.policy`, h.policy, apps.some((a) => a.imagePolicies.includes(h.policy)) ? undefined : 'is not used by any app on this site');
  check(path, `${f}.policy`, h.policy, earlier.some((e) => e.policy === h.policy) ? 'is already held on this site' : undefined);
  check(path, `${f}.tag`, h.tag, imageTagProblem(h.tag));
  check(path, `${f}.reason`, h.reason, singleLineTextProblem(h.reason));
}
