import { severityRank, type AlertSpec } from '../../constructs';
import type { FluxOpsEvent } from './events';

/**
 * Whether an alert forwards an event. Pure. The rules (also in the README):
 *
 * - the kind is one of the alert's `events`, and the event's severity is at least the alert's;
 * - `policies`: the event concerns one of them (only image events have a policy);
 * - `sites`: the event's site is one of them; a fleet-wide image update (no site) matches when an
 *   app on one of those sites follows its policy;
 * - `apps`: the event names one of them; an event that names no app matches when one of them
 *   follows its policy (image events) or runs on its site (a site-wide failure concerns every
 *   app of the site). When the topology does not know the site, it matches: better one message
 *   too many than a failure nobody hears about.
 *
 * Filters combine with AND; the entries of one filter with OR.
 */
export function alertMatches(spec: AlertSpec, event: FluxOpsEvent): boolean {
  if (!spec.events.includes(event.kind)) return false;
  if (severityRank(event.severity) < severityRank(spec.severity)) return false;
  const { apps, sites, policies } = spec.filters;
  const policy = eventPolicy(event);
  const site = eventSite(event);
  if (policies && (policy === undefined || !policies.includes(policy))) return false;
  if (sites) {
    if (site !== undefined) {
      if (!sites.includes(site)) return false;
    } else if (policy === undefined || !sites.some((s) => spec.topology.sites[s]?.policies.includes(policy))) {
      return false;
    }
  }
  if (apps) {
    const named = eventApps(event);
    if (named.length > 0) return named.some((a) => apps.includes(a));
    if (policy !== undefined) {
      return apps.some((a) => (spec.topology.apps[a]?.policies.includes(policy) ?? false) && runsOn(spec, a, site));
    }
    if (site !== undefined) return apps.some((a) => runsOn(spec, a, site));
  }
  return true;
}

/** The apps an event names itself (from its changed or corrected objects, or its `app`/`apps`). */
export function eventApps(event: FluxOpsEvent): string[] {
  switch (event.kind) {
    case 'reconcile.succeeded':
      return uniqueDefined(event.changed.map((o) => o.app));
    case 'drift.corrected':
      return uniqueDefined(event.corrected.map((o) => o.app));
    case 'reconcile.failed':
      return [...(event.apps ?? [])];
    default:
      return event.app === undefined ? [] : [event.app];
  }
}

/** The site an event is about, if it is about one. */
export function eventSite(event: FluxOpsEvent): string | undefined {
  return event.site;
}

/** The image policy an event is about (image events only). */
export function eventPolicy(event: FluxOpsEvent): string | undefined {
  return 'policy' in event ? event.policy : undefined;
}

function runsOn(spec: AlertSpec, app: string, site: string | undefined): boolean {
  if (site === undefined) return true;
  const known = spec.topology.sites[site];
  return known === undefined || known.apps.includes(app);
}

function uniqueDefined(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}
