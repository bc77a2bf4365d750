import type { EdgeApp } from '../edge-app';
import type { Fleet } from '../fleet';
import type { Site } from '../site';

/** Label every FluxOps object carries; the reconciler's inventory keys on it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Value of {@link MANAGED_BY_LABEL}. */
export const MANAGED_BY_VALUE = 'fluxops';
/** Label naming the site an object was rendered for. */
export const SITE_LABEL = 'fluxops.dev/site';

/** Labels on every object rendered for a fleet (and site). */
export function commonLabels(fleet: Fleet, site: Site | undefined): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    'app.kubernetes.io/part-of': fleet.fleetName,
    ...(site ? { [SITE_LABEL]: site.siteName } : {}),
  };
}

/** The (immutable) Deployment selector of an app. */
export function selectorLabels(app: EdgeApp): Record<string, string> {
  return { 'app.kubernetes.io/name': app.appName };
}

/** Labels on every object of an app. */
export function appLabels(app: EdgeApp, fleet: Fleet, site: Site | undefined): Record<string, string> {
  return { ...app.labels, ...commonLabels(fleet, site), ...selectorLabels(app) };
}
