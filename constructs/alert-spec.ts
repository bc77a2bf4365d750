import { Alert, AlertSecretKey } from './alert';
import { AlertEventKind, AlertSeverity } from './alert-events';
import { ResolvedAlertProvider } from './alert-provider';
import { ConstructValidationError } from './construct-validation-error';
import { Fleet } from './fleet';
import { FleetValidationError } from './fleet-validation-error';
import { collectFleetProblems } from './late-validation';
import { Site } from './site';

/**
 * An {@link Alert} as plain data (JSON-serializable): what the reconciler needs to route events
 * after an isolated synthesis, without running fleet code. Filters name apps, sites and policies;
 * `topology` holds the few fleet facts the filters need to judge events that do not name every
 * dimension (a site-wide failure, a fleet-wide image update).
 */
export interface AlertSpec {
  /** Alert name. */
  readonly name: string;
  /** Construct path, for messages. */
  readonly path: string;
  /** Provider with defaults resolved; never holds a secret. */
  readonly provider: ResolvedAlertProvider;
  /** Event kinds forwarded. */
  readonly events: readonly AlertEventKind[];
  /** Lowest severity forwarded. */
  readonly severity: AlertSeverity;
  /** Filters by name; an absent filter matches everything. */
  readonly filters: AlertFilters;
  /** Which apps run on which sites and follow which policies. */
  readonly topology: FleetTopology;
  /** Secrets to resolve from the stack config before delivery. */
  readonly secrets: readonly AlertSecretKey[];
}

/** The filters of an {@link AlertSpec}, by name. */
export interface AlertFilters {
  /** App names. */
  readonly apps?: readonly string[];
  /** Site names. */
  readonly sites?: readonly string[];
  /** Image policy names. */
  readonly policies?: readonly string[];
}

/** Fleet facts for matching: every site's apps and policies, every app's policies. */
export interface FleetTopology {
  /** Site name -> its app names and the policies those apps follow. */
  readonly sites: Readonly<Record<string, { readonly apps: readonly string[]; readonly policies: readonly string[] }>>;
  /** App name -> the policies it follows. */
  readonly apps: Readonly<Record<string, { readonly policies: readonly string[] }>>;
}

/**
 * The fleet's alerts as {@link AlertSpec}s, in definition order; with `site`, only those that can
 * concern it (no site filter, or the site is in it). Pure: the same fleet gives the same specs.
 *
 * @throws FleetValidationError when an alert's filters can never match
 * @throws ConstructValidationError when `site` is not a site of the fleet
 */
export function alertSpecs(fleet: Fleet, site?: string | Site): AlertSpec[] {
  if (!Fleet.isFleet(fleet)) throw new TypeError('alertSpecs: expected a Fleet');
  const alerts = fleet.alerts;
  const problems = alerts.flatMap((a) => collectFleetProblems(a));
  if (problems.length > 0) throw new FleetValidationError(problems);
  const only = site === undefined ? undefined : findSite(fleet, site);
  const topology = fleetTopology(fleet);
  return alerts.filter((a) => only === undefined || a.appliesToSite(only)).map((a) => toSpec(a, topology));
}

/**
 * The specs that can concern `site` (no site filter, or the site is in it): for a reconciler that
 * got every alert from an isolated synthesis and serves one site.
 */
export function alertSpecsForSite(specs: readonly AlertSpec[], site: string): AlertSpec[] {
  return specs.filter((s) => s.filters.sites === undefined || s.filters.sites.includes(site));
}

function toSpec(alert: Alert, topology: FleetTopology): AlertSpec {
  const filters: AlertFilters = {
    ...(alert.apps.length > 0 ? { apps: alert.apps.map((x) => x.appName) } : {}),
    ...(alert.sites.length > 0 ? { sites: alert.sites.map((x) => x.siteName) } : {}),
    ...(alert.policies.length > 0 ? { policies: alert.policies.map((x) => x.policyName) } : {}),
  };
  return {
    name: alert.alertName,
    path: alert.node.path,
    provider: { ...alert.provider },
    events: [...alert.events],
    severity: alert.severity,
    filters,
    topology,
    secrets: alert.secretKeys.map((s) => ({ ...s })),
  };
}

/** The apps of every site and the policies of every app, by name. */
export function fleetTopology(fleet: Fleet): FleetTopology {
  const sites: Record<string, { apps: string[]; policies: string[] }> = {};
  for (const s of fleet.sites) sites[s.siteName] = { apps: s.apps.map((a) => a.appName), policies: s.imagePolicies.map((p) => p.policyName) };
  const apps: Record<string, { policies: string[] }> = {};
  for (const a of fleet.apps) {
    const policies = a.imagePolicies.map((p) => p.policyName);
    // Two apps may share a name in different namespaces: the name stands for both.
    apps[a.appName] = { policies: [...new Set([...(apps[a.appName]?.policies ?? []), ...policies])] };
  }
  return { sites, apps };
}

function findSite(fleet: Fleet, wanted: string | Site): Site {
  const found = Site.isSite(wanted) ? fleet.sites.find((s) => s === wanted) : fleet.findSite(wanted);
  if (!found) {
    throw new ConstructValidationError({
      path: fleet.node.path,
      field: 'site',
      value: Site.isSite(wanted) ? wanted.node.path : wanted,
      reason: `is not a site of this fleet (sites: ${fleet.sites.map((s) => s.siteName).join(', ') || 'none'})`,
    });
  }
  return found;
}
