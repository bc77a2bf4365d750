import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ConstructValidationError } from '../construct-validation-error';
import { Fleet } from '../fleet';
import { FleetProblem, FleetValidationError } from '../fleet-validation-error';
import { imagePolicySetter } from '../flux/api-versions';
import {
  fluxEventSources,
  renderFluxAlert,
  renderFluxProvider,
  renderGitRepository,
  renderImagePolicy,
  renderImageRepository,
  renderImageUpdateAutomation,
  renderKustomization,
} from '../flux/render-flux-objects';
import type { GitSource } from '../git-source';
import type { ImageRepository } from '../image-repository';
import { collectFleetProblems } from '../late-validation';
import { ImageLock, emptyImageLock } from '../lock';
import { commonLabels } from '../render/labels';
import { renderEdgeApp } from '../render/render-edge-app';
import type { ImageSetter, RenderedObject } from '../render/rendered-object';
import { Site } from '../site';
import type { SynthWarning } from '../synth-warning';
import { gitUrlScheme } from '../validation';
import { compareApplyOrder } from './apply-order';
import { LineComment, Manifest, canonicalManifest, manifestToYaml } from './manifest-yaml';

/**
 * What to render: `plain` is the app manifests (what the FluxOps reconciler and Pulumi stacks
 * apply; alerts are not objects there, the reconciler delivers them, see `alertSpecs`); `flux`
 * adds the equivalent Flux custom resources (GitRepository, Kustomization, image automation and
 * notification Providers/Alerts) and marks policy-backed image fields with Flux setter comments.
 */
export type SynthFlavor = 'plain' | 'flux';

/** Options of {@link synthesize}. */
export interface SynthOptions {
  /**
   * Site to render (name or Site); its overrides and holds apply.
   * @default the only site; a fleet without sites renders every app; several sites require a choice
   */
  readonly site?: string | Site;
  /** @default 'plain' */
  readonly flavor?: SynthFlavor;
  /** Lock to resolve policy-backed images from. @default an empty lock (every policy uses its initialTag) */
  readonly lock?: ImageLock;
}

/** One rendered object, in apply order. */
export interface SynthObject {
  /** 0-based position in apply order. */
  readonly order: number;
  /** API version. */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Namespace; absent for cluster-scoped objects. */
  readonly namespace?: string;
  /** Name. */
  readonly name: string;
  /** Construct path of the fleet construct it was rendered from. */
  readonly origin: string;
  /** File name when written one object per file: `<order>-<kind>-<namespace>-<name>.yaml`. */
  readonly fileName: string;
  /** The object, canonical (sorted keys) and frozen. */
  readonly manifest: Manifest;
  /** The object as a YAML document (with setter comments in the flux flavor). */
  readonly yaml: string;
}

/**
 * A container image that follows an image policy, as rendered: which object and container, the
 * policy, and the tag/digest deployed with where the tag came from. The deploy path uses it to
 * refuse downgrades against what the site runs now.
 */
export interface ImageUse {
  /** Object holding the container: `kind`, `namespace`, `name`. */
  readonly object: { readonly apiVersion: string; readonly kind: string; readonly namespace?: string; readonly name: string };
  /** Container name. */
  readonly container: string;
  /** JSON path of the image field in the object. */
  readonly path: readonly (string | number)[];
  /** Policy name (lock key). */
  readonly policy: string;
  /** Repository the policy follows. */
  readonly image: string;
  /** Tag deployed. */
  readonly tag?: string;
  /** Digest deployed (digest pinning). */
  readonly digest?: string;
  /** The full reference written into the object. */
  readonly reference: string;
  /** `lock`, `hold` or `initial-tag`. */
  readonly origin: 'lock' | 'hold' | 'initial-tag' | 'fixed';
}

/** Result of {@link synthesize}. */
export interface SynthResult {
  /** Fleet name. */
  readonly fleet: string;
  /** Site rendered, if any. */
  readonly site?: string;
  /** Flavor rendered. */
  readonly flavor: SynthFlavor;
  /** Objects in apply order: CRDs, Namespaces, then the rest by kind. */
  readonly objects: readonly SynthObject[];
  /** All objects as one YAML stream (documents separated by `---`). */
  readonly yaml: string;
  /** Findings that did not stop synthesis (lock fallbacks, holds). */
  readonly warnings: readonly SynthWarning[];
  /** Every policy-backed container image, in object order. */
  readonly images: readonly ImageUse[];
}

const BUILT_IN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * Renders a fleet (for one site) to Kubernetes objects. Pure and deterministic: the same fleet,
 * options and lock give byte-identical YAML; nothing is read from the clock, the environment
 * or the file system.
 *
 * @throws FleetValidationError when fleet-wide checks fail
 * @throws ConstructValidationError when the options do not fit the fleet (unknown site, no GitSource for `flux`)
 */
export function synthesize(fleet: Fleet, options: SynthOptions = {}): SynthResult {
  if (!Fleet.isFleet(fleet)) throw new TypeError('synthesize: expected a Fleet');
  const flavor = options.flavor ?? 'plain';
  if (flavor !== 'plain' && flavor !== 'flux') {
    throw new ConstructValidationError({ path: fleet.node.path, field: 'options.flavor', value: flavor, reason: 'must be "plain" or "flux"' });
  }
  const lock = options.lock ?? emptyImageLock();
  const site = selectSite(fleet, options.site);
  const problems = collectFleetProblems(fleet);
  if (problems.length > 0) throw new FleetValidationError(problems);

  const app = new App({ outdir: 'unused' });
  const chart = new Chart(app, 'fluxops', { disableResourceNameHashes: true });
  const rendered: RenderedObject[] = [];
  const warnings: SynthWarning[] = [];

  const apps = site ? site.apps : fleet.apps;
  apps.forEach((edgeApp, i) => {
    const result = renderEdgeApp(new Construct(chart, `app${i}`), edgeApp, { fleet, site, lock });
    rendered.push(...result.objects);
    warnings.push(...result.warnings);
  });
  if (flavor === 'flux') rendered.push(...renderFlux(new Construct(chart, 'flux'), fleet, site, lock));

  const cdk8sProblems: FleetProblem[] = app.node
    .findAll()
    .flatMap((c) => c.node.validate().map((message) => ({ path: c.node.path, message: `${c.node.path}: ${message}` })));
  if (cdk8sProblems.length > 0) throw new FleetValidationError(cdk8sProblems);

  const entries: Entry[] = rendered.map((r) => ({
    manifest: canonicalManifest(r.apiObject.toJson() as Record<string, unknown>),
    origin: r.origin,
    comments:
      flavor === 'flux' ? r.imageSetters.map((s) => ({ path: s.path, text: imagePolicySetter(fleet.fluxNamespace, s.policy.policyName) })) : [],
    setters: r.imageSetters,
  }));
  for (const raw of fleet.rawObjects) {
    for (const obj of raw.objects) entries.push({ manifest: canonicalManifest(obj as unknown as Record<string, unknown>), origin: raw.node.path, comments: [], setters: [] });
  }
  entries.push(...namespaceEntries(fleet, site, entries));
  return assemble(fleet, site, flavor, entries, dedupeWarnings(warnings));
}

/** Renders every site of the fleet (in definition order) with the same options. */
export function synthesizeSites(fleet: Fleet, options: Omit<SynthOptions, 'site'> = {}): SynthResult[] {
  return fleet.sites.map((site) => synthesize(fleet, { ...options, site }));
}

interface Entry {
  readonly manifest: Manifest;
  readonly origin: string;
  readonly comments: readonly LineComment[];
  readonly setters: readonly ImageSetter[];
}

function selectSite(fleet: Fleet, wanted: string | Site | undefined): Site | undefined {
  const sites = fleet.sites;
  if (wanted === undefined) {
    if (sites.length <= 1) return sites[0];
    throw new ConstructValidationError({
      path: fleet.node.path,
      field: 'options.site',
      value: wanted,
      reason: `the fleet has ${sites.length} sites (${sites.map((s) => s.siteName).join(', ')}); choose one`,
    });
  }
  const site = Site.isSite(wanted) ? sites.find((s) => s === wanted) : fleet.findSite(wanted);
  if (!site) {
    throw new ConstructValidationError({
      path: fleet.node.path,
      field: 'options.site',
      value: Site.isSite(wanted) ? wanted.node.path : wanted,
      reason: `is not a site of this fleet (sites: ${sites.map((s) => s.siteName).join(', ') || 'none'})`,
    });
  }
  return site;
}

function renderFlux(scope: Construct, fleet: Fleet, site: Site | undefined, lock: ImageLock): RenderedObject[] {
  const ctx = { fleet, site, lock };
  const policies = site ? site.imagePolicies : fleet.imagePolicies;
  const automations = fleet.imageUpdateAutomations.filter((a) => a.policies.some((p) => policies.includes(p)));
  const sources: GitSource[] = [];
  const addSource = (s: GitSource): void => {
    if (sources.includes(s)) return;
    if (gitUrlScheme(s.url) === 'file') {
      throw new ConstructValidationError({
        path: s.node.path,
        field: 'url',
        value: s.url,
        reason: 'file:// URLs work with the FluxOps reconciler only; Flux needs https, http or ssh',
      });
    }
    sources.push(s);
  };
  if (site) {
    const source = site.source;
    if (!source) {
      throw new ConstructValidationError({
        path: site.node.path,
        field: 'source',
        value: undefined,
        reason: `the flux flavor needs a GitSource for the site's Kustomization; the fleet has ${fleet.gitSources.length}, so set SiteProps.source`,
      });
    }
    addSource(source);
  } else {
    fleet.gitSources.forEach(addSource);
  }
  automations.forEach((a) => addSource(a.source));

  const out: RenderedObject[] = sources.map((s) => renderGitRepository(scope, s, ctx));
  if (site) out.push(renderKustomization(scope, site, site.source as GitSource, ctx));
  const repositories: ImageRepository[] = [];
  for (const p of policies) if (!repositories.includes(p.repository)) repositories.push(p.repository);
  out.push(...repositories.map((r) => renderImageRepository(scope, r, ctx)));
  out.push(...policies.map((p) => renderImagePolicy(scope, p, automations, ctx)));
  out.push(...automations.map((a) => renderImageUpdateAutomation(scope, a, ctx)));
  const alerts = fleet.alerts.filter((a) => (!site || a.appliesToSite(site)) && fluxEventSources(a, automations, ctx).length > 0);
  out.push(...alerts.map((a) => renderFluxProvider(scope, a, ctx)));
  out.push(...alerts.map((a) => renderFluxAlert(scope, a, automations, ctx)));
  return out;
}

function namespaceEntries(fleet: Fleet, site: Site | undefined, entries: readonly Entry[]): Entry[] {
  const declared = new Set(entries.filter((e) => e.manifest.kind === 'Namespace').map((e) => nameOf(e.manifest)));
  const used = new Set<string>();
  for (const e of entries) {
    const ns = namespaceOf(e.manifest);
    // The flux namespace belongs to the Flux installation; claiming it would let a prune delete Flux.
    if (ns !== undefined && !BUILT_IN_NAMESPACES.has(ns) && ns !== fleet.fluxNamespace && !declared.has(ns)) used.add(ns);
  }
  return [...used].map((ns) => ({
    manifest: canonicalManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: commonLabels(fleet, site) } }),
    origin: fleet.node.path,
    comments: [],
    setters: [],
  }));
}

function assemble(fleet: Fleet, site: Site | undefined, flavor: SynthFlavor, entries: Entry[], warnings: SynthWarning[]): SynthResult {
  const keyed = entries.map((e) => ({
    ...e,
    apiVersion: String(e.manifest.apiVersion),
    kind: String(e.manifest.kind),
    name: nameOf(e.manifest),
    namespace: namespaceOf(e.manifest),
  }));
  keyed.sort(compareApplyOrder);
  const seen = new Map<string, string>();
  for (const k of keyed) {
    const id = `${apiGroup(k.apiVersion)}/${k.kind}/${k.namespace ?? ''}/${k.name}`;
    const first = seen.get(id);
    if (first !== undefined) {
      throw new ConstructValidationError({
        path: k.origin,
        field: 'metadata.name',
        value: `${k.kind} ${k.namespace ? `${k.namespace}/` : ''}${k.name}`,
        reason: `collides with the object rendered from ${first}`,
      });
    }
    seen.set(id, k.origin);
  }
  const width = Math.max(3, String(keyed.length - 1).length);
  const objects: SynthObject[] = keyed.map((k, order) => ({
    order,
    apiVersion: k.apiVersion,
    kind: k.kind,
    ...(k.namespace !== undefined ? { namespace: k.namespace } : {}),
    name: k.name,
    origin: k.origin,
    fileName: fileNameFor(order, width, k.kind, k.namespace, k.name),
    manifest: k.manifest,
    yaml: manifestToYaml(k.manifest, k.comments),
  }));
  const images: ImageUse[] = keyed.flatMap((k) =>
    k.setters.map((s) => ({
      object: { apiVersion: k.apiVersion, kind: k.kind, ...(k.namespace !== undefined ? { namespace: k.namespace } : {}), name: k.name },
      container: s.container,
      path: [...s.path],
      policy: s.policy.policyName,
      image: s.image.name,
      ...(s.image.tag !== undefined ? { tag: s.image.tag } : {}),
      ...(s.image.digest !== undefined ? { digest: s.image.digest } : {}),
      reference: s.image.reference,
      origin: s.image.origin,
    })),
  );
  return {
    fleet: fleet.fleetName,
    ...(site ? { site: site.siteName } : {}),
    flavor,
    objects,
    yaml: objects.map((o) => o.yaml).join('---\n'),
    warnings,
    images,
  };
}

function fileNameFor(order: number, width: number, kind: string, namespace: string | undefined, name: string): string {
  const safe = (s: string): string => s.toLowerCase().replace(/[^a-z0-9.-]/g, '_');
  return `${String(order).padStart(width, '0')}-${safe(kind)}-${safe(namespace ?? 'cluster')}-${safe(name)}.yaml`;
}

function nameOf(m: Manifest): string {
  return String((m.metadata as { name?: unknown } | undefined)?.name ?? '');
}

function namespaceOf(m: Manifest): string | undefined {
  const ns = (m.metadata as { namespace?: unknown } | undefined)?.namespace;
  return typeof ns === 'string' ? ns : undefined;
}

function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

function dedupeWarnings(warnings: readonly SynthWarning[]): SynthWarning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => (seen.has(w.message) ? false : (seen.add(w.message), true)));
}

