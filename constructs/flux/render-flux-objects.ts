import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { Alert } from '../alert';
import { effectiveHold } from '../effective-hold';
import type { Fleet } from '../fleet';
import type { GitRef, GitSource } from '../git-source';
import type { ImagePolicy } from '../image-policy';
import type { ImageRepository } from '../image-repository';
import type { ImageUpdateAutomation } from '../image-update-automation';
import { ImageLock, emptyImageLock, lockBadTags } from '../lock/image-lock';
import { commonLabels } from '../render/labels';
import type { RenderedObject } from '../render/rendered-object';
import type { Site } from '../site';
import { FLUX_API, FLUX_NOTIFICATION_API } from './api-versions';
import { toFluxSemverRange } from './flux-semver-range';

/** Shared inputs of the Flux renderers. */
export interface FluxRenderContext {
  /** The fleet (its flux namespace and name). */
  readonly fleet: Fleet;
  /** The site rendered for, if any. */
  readonly site?: Site;
  /** The lock (for its holds and bad tags). @default an empty lock */
  readonly lock?: ImageLock;
}

/** Interval Kustomizations re-apply at to correct drift. */
export const KUSTOMIZATION_INTERVAL = '10m';

function metadata(ctx: FluxRenderContext, name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) {
  return {
    name,
    namespace: ctx.fleet.fluxNamespace,
    labels: { ...commonLabels(ctx.fleet, ctx.site), ...(extra.labels ?? {}) },
    ...(extra.annotations && Object.keys(extra.annotations).length > 0 ? { annotations: extra.annotations } : {}),
  };
}

function rendered(apiObject: ApiObject, origin: string): RenderedObject {
  return { apiObject, origin, imageSetters: [] };
}

/** `spec.ref` of a GitRepository. */
export function fluxGitRef(ref: GitRef): Record<string, string> {
  switch (ref.kind) {
    case 'branch':
      return { branch: ref.name };
    case 'tag':
      return { tag: ref.name };
    case 'semver':
      return { semver: ref.range };
    case 'commit':
      return { commit: ref.sha, ...(ref.branch !== undefined ? { branch: ref.branch } : {}) };
  }
}

/** A `source.toolkit.fluxcd.io/v1` GitRepository. */
export function renderGitRepository(scope: Construct, source: GitSource, ctx: FluxRenderContext): RenderedObject {
  const obj = new ApiObject(scope, `gitrepository-${source.sourceName}`, {
    ...FLUX_API.gitRepository,
    metadata: metadata(ctx, source.sourceName),
    spec: {
      interval: source.interval,
      url: source.url,
      ref: fluxGitRef(source.ref),
      ...(source.secretRef ? { secretRef: { name: source.secretRef.name } } : {}),
    },
  });
  return rendered(obj, source.node.path);
}

/** A `kustomize.toolkit.fluxcd.io/v1` Kustomization applying one site's directory. */
export function renderKustomization(scope: Construct, site: Site, source: GitSource, ctx: FluxRenderContext): RenderedObject {
  const obj = new ApiObject(scope, `kustomization-${site.siteName}`, {
    ...FLUX_API.kustomization,
    metadata: metadata(ctx, site.siteName),
    spec: {
      interval: KUSTOMIZATION_INTERVAL,
      path: site.manifestsPath,
      prune: true,
      sourceRef: { kind: FLUX_API.gitRepository.kind, name: source.sourceName },
      timeout: '5m',
      wait: true,
    },
  });
  return rendered(obj, site.node.path);
}

/** An `image.toolkit.fluxcd.io/v1` ImageRepository. */
export function renderImageRepository(scope: Construct, repo: ImageRepository, ctx: FluxRenderContext): RenderedObject {
  const obj = new ApiObject(scope, `imagerepository-${repo.repositoryName}`, {
    ...FLUX_API.imageRepository,
    metadata: metadata(ctx, repo.repositoryName),
    spec: {
      image: repo.image,
      interval: repo.interval,
      ...(repo.secretRef ? { secretRef: { name: repo.secretRef.name } } : {}),
      ...(repo.exclusionList ? { exclusionList: [...repo.exclusionList] } : {}),
      ...(repo.insecure ? { insecure: true } : {}),
    },
  });
  return rendered(obj, repo.node.path);
}

/**
 * An `image.toolkit.fluxcd.io/v1` ImagePolicy. FluxOps features Flux has no field for are
 * mapped where possible and recorded as annotations otherwise:
 * - a hold (in fleet code, else in the lock) becomes an exact-match tag filter (only the held
 *   tag is a candidate);
 * - digest pinning becomes `digestReflectionPolicy: Always`;
 * - required platforms, the no-downgrade guard and the lock's bad tags are annotations (enforced
 *   by FluxOps only: Flux has no per-policy tag exclusion).
 */
export function renderImagePolicy(
  scope: Construct,
  policy: ImagePolicy,
  automations: readonly ImageUpdateAutomation[],
  ctx: FluxRenderContext,
): RenderedObject {
  const lock = ctx.lock ?? emptyImageLock();
  const hold = effectiveHold(policy, ctx.site, lock);
  const badTags = lockBadTags(lock, policy.lockKey).map((b) => b.tag);
  const rule = policy.rule;
  const choice = hold
    ? { alphabetical: { order: 'asc' } }
    : rule.kind === 'semver'
      ? { semver: { range: toFluxSemverRange(rule) } }
      : rule.kind === 'alphabetical'
        ? { alphabetical: { order: rule.order } }
        : { numerical: { order: rule.order } };
  const filterTags = hold
    ? { pattern: `^${escapeGoRegex(hold.tag)}$` }
    : policy.filterTags
      ? { pattern: policy.filterTags.pattern, ...(policy.filterTags.extract !== undefined ? { extract: policy.filterTags.extract } : {}) }
      : undefined;
  const labels = Object.fromEntries(
    automations.filter((a) => a.policies.includes(policy)).map((a) => [a.policySelectorLabel, 'true']),
  );
  const annotations: Record<string, string> = {
    'fluxops.dev/platforms': policy.platforms.join(','),
    'fluxops.dev/no-downgrade': String(policy.noDowngrade),
    ...(hold ? { 'fluxops.dev/hold-tag': hold.tag, 'fluxops.dev/hold-reason': hold.reason } : {}),
    ...(badTags.length > 0 ? { 'fluxops.dev/bad-tags': badTags.join(',') } : {}),
  };
  const obj = new ApiObject(scope, `imagepolicy-${policy.policyName}`, {
    ...FLUX_API.imagePolicy,
    metadata: metadata(ctx, policy.policyName, { labels, annotations }),
    spec: {
      imageRepositoryRef: { name: policy.repository.repositoryName },
      policy: choice,
      ...(filterTags ? { filterTags } : {}),
      ...(policy.digestPinning ? { digestReflectionPolicy: 'Always', interval: policy.repository.interval } : {}),
    },
  });
  return rendered(obj, policy.node.path);
}

/**
 * An `image.toolkit.fluxcd.io/v1` ImageUpdateAutomation. Rendered for a site, it updates
 * only that site's directory, so each site's Flux commits its own changes.
 */
export function renderImageUpdateAutomation(scope: Construct, automation: ImageUpdateAutomation, ctx: FluxRenderContext): RenderedObject {
  const obj = new ApiObject(scope, `imageupdateautomation-${automation.automationName}`, {
    ...FLUX_API.imageUpdateAutomation,
    metadata: metadata(ctx, automation.automationName),
    spec: {
      interval: automation.interval,
      sourceRef: { kind: FLUX_API.gitRepository.kind, name: automation.source.sourceName },
      git: {
        checkout: { ref: { branch: automation.checkoutBranch } },
        commit: {
          author: { name: automation.author.name, email: automation.author.email },
          messageTemplate: automation.messageTemplate,
        },
        push: { branch: automation.pushBranch },
      },
      policySelector: { matchLabels: { [automation.policySelectorLabel]: 'true' } },
      update: { path: ctx.site ? ctx.site.manifestsPath : automation.updatePath, strategy: 'Setters' },
    },
  });
  return rendered(obj, automation.node.path);
}

function escapeGoRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Flux notification-controller provider type of each FluxOps provider kind. */
export const FLUX_PROVIDER_TYPE: Readonly<Record<Alert['provider']['kind'], string>> = {
  webhook: 'generic-hmac',
  slack: 'slack',
  teams: 'msteams',
  github: 'github',
  gitea: 'gitea',
};

/**
 * A `notification.toolkit.fluxcd.io/v1beta3` Provider for an alert. Its `secretRef` names a
 * Kubernetes Secret `<secretRef>` in the Flux namespace with Flux's keys (`address` for webhook,
 * Slack and Teams URLs, `token` for the HMAC key and forge tokens); forge providers get the
 * repository URL as `address`, as Flux requires.
 */
export function renderFluxProvider(scope: Construct, alert: Alert, ctx: FluxRenderContext): RenderedObject {
  const p = alert.provider;
  const address = p.kind === 'github' || p.kind === 'gitea' ? forgeRepositoryUrl(p.kind, p.apiUrl, p.repository) : undefined;
  const obj = new ApiObject(scope, `provider-${alert.alertName}`, {
    ...FLUX_NOTIFICATION_API.provider,
    metadata: metadata(ctx, alert.alertName),
    spec: {
      type: FLUX_PROVIDER_TYPE[p.kind],
      ...(address !== undefined ? { address } : {}),
      secretRef: { name: p.secretRef },
    },
  });
  return rendered(obj, alert.node.path);
}

/**
 * The Flux objects whose events an alert forwards, for the site rendered: the site's
 * Kustomization for reconcile and drift events; for image events the ImagePolicies (the filtered
 * ones the site uses, else all of the site's) and the ImageUpdateAutomations covering them. Empty
 * when nothing on the site can produce the alert's events (an alert on policies the site does not
 * use): such an alert is not rendered for that site.
 */
export function fluxEventSources(alert: Alert, automations: readonly ImageUpdateAutomation[], ctx: FluxRenderContext): { kind: string; name: string }[] {
  const sources: { kind: string; name: string }[] = [];
  const add = (kind: string, name: string): void => {
    if (!sources.some((s) => s.kind === kind && s.name === name)) sources.push({ kind, name });
  };
  if (alert.events.some((e) => e.startsWith('reconcile.') || e === 'drift.corrected')) {
    add(FLUX_API.kustomization.kind, ctx.site ? ctx.site.siteName : '*');
  }
  if (alert.events.some((e) => e.startsWith('image.'))) {
    const sitePolicies = ctx.site ? ctx.site.imagePolicies : undefined;
    const policies = alert.policies.length > 0 ? alert.policies.filter((p) => !sitePolicies || sitePolicies.includes(p)) : sitePolicies;
    if (policies === undefined) add(FLUX_API.imagePolicy.kind, '*');
    else policies.forEach((p) => add(FLUX_API.imagePolicy.kind, p.policyName));
    if (alert.events.includes('image.updated')) {
      automations.filter((a) => policies === undefined || a.policies.some((p) => policies.includes(p))).forEach((a) => add(FLUX_API.imageUpdateAutomation.kind, a.automationName));
    }
  }
  return sources;
}

/**
 * A `notification.toolkit.fluxcd.io/v1beta3` Alert, mapped as closely as Flux allows:
 * - event sources from {@link fluxEventSources};
 * - Flux grades events only `info` or `error`: `warning` becomes `info`, and a Flux alert cannot
 *   tell a success from a failure of the same object other than by severity;
 * - app filters have no Flux equivalent (apps share the site's Kustomization).
 * What did not map is kept in `fluxops.dev/*` annotations.
 */
export function renderFluxAlert(scope: Construct, alert: Alert, automations: readonly ImageUpdateAutomation[], ctx: FluxRenderContext): RenderedObject {
  const annotations: Record<string, string> = {
    'fluxops.dev/events': alert.events.join(','),
    'fluxops.dev/severity': alert.severity,
    ...(alert.apps.length > 0 ? { 'fluxops.dev/apps': alert.apps.map((a) => a.appName).join(',') } : {}),
  };
  const obj = new ApiObject(scope, `alert-${alert.alertName}`, {
    ...FLUX_NOTIFICATION_API.alert,
    metadata: metadata(ctx, alert.alertName, { annotations }),
    spec: {
      providerRef: { name: alert.alertName },
      eventSeverity: alert.severity === 'error' ? 'error' : 'info',
      eventSources: fluxEventSources(alert, automations, ctx),
    },
  });
  return rendered(obj, alert.node.path);
}

/** The web URL of a repository, which Flux's github/gitea providers take as `address`. */
export function forgeRepositoryUrl(kind: 'github' | 'gitea', apiUrl: string, repository: string): string {
  if (kind === 'gitea') return `${apiUrl}/${repository}`;
  const url = new URL(apiUrl);
  if (url.host === 'api.github.com') return `https://github.com/${repository}`;
  // GitHub Enterprise Server: https://<host>/api/v3 -> https://<host>/<owner>/<repo>
  const base = url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${base}/${repository}`;
}
