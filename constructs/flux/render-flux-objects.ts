import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { Fleet } from '../fleet';
import type { GitRef, GitSource } from '../git-source';
import type { ImagePolicy } from '../image-policy';
import type { ImageRepository } from '../image-repository';
import type { ImageUpdateAutomation } from '../image-update-automation';
import { commonLabels } from '../render/labels';
import type { RenderedObject } from '../render/rendered-object';
import type { Site } from '../site';
import { FLUX_API } from './api-versions';
import { toFluxSemverRange } from './flux-semver-range';

/** Shared inputs of the Flux renderers. */
export interface FluxRenderContext {
  /** The fleet (its flux namespace and name). */
  readonly fleet: Fleet;
  /** The site rendered for, if any. */
  readonly site?: Site;
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
 * - a hold becomes an exact-match tag filter (only the held tag is a candidate);
 * - digest pinning becomes `digestReflectionPolicy: Always`;
 * - required platforms and the no-downgrade guard are annotations (enforced by FluxOps only).
 */
export function renderImagePolicy(
  scope: Construct,
  policy: ImagePolicy,
  automations: readonly ImageUpdateAutomation[],
  ctx: FluxRenderContext,
): RenderedObject {
  const hold = ctx.site ? ctx.site.holdFor(policy) : policy.hold;
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
