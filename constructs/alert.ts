import { Construct } from 'constructs';
import { AlertEventKind, AlertSeverity, ALERT_EVENT_KINDS, ALERT_SEVERITIES, IMAGE_EVENT_KINDS, isAlertEventKind, isAlertSeverity } from './alert-events';
import { AlertProvider, ALERT_SECRET_KEYS, ResolvedAlertProvider, alertSecretConfigKey, resolveAlertProvider } from './alert-provider';
import { BRANDS, hasBrand, setBrand } from './brand';
import { ConstructValidationError } from './construct-validation-error';
import { EdgeApp } from './edge-app';
import { Fleet } from './fleet';
import { ImagePolicy } from './image-policy';
import { addLateValidation } from './late-validation';
import { Site } from './site';
import { checkUniqueName } from './unique-name';
import { check, childPath, dnsLabelProblem } from './validation';

/** Properties of an {@link Alert}. */
export interface AlertProps {
  /**
   * Alert name (DNS-1123 label): the Flux Provider/Alert name in the `flux` flavor and the
   * destination's name in delivery metrics.
   * @default the construct id
   */
  readonly name?: string;
  /** Where events go, and which stack config entry holds its secrets. */
  readonly provider: AlertProvider;
  /** Kinds of events this alert forwards (at least one). */
  readonly events: readonly AlertEventKind[];
  /** Lowest severity forwarded: `info` forwards everything, `error` only failures. */
  readonly severity: AlertSeverity;
  /**
   * Only events about these apps. A site-wide event (a failed run, with no app named) counts as
   * being about every app of its site; an image event counts for the apps following its policy.
   * @default every app
   */
  readonly apps?: readonly EdgeApp[];
  /**
   * Only events of these sites. A fleet-wide image update counts for the sites whose apps follow
   * the policy.
   * @default every site
   */
  readonly sites?: readonly Site[];
  /**
   * Only image events of these policies (reconcile and drift events never match this filter).
   * @default every policy
   */
  readonly policies?: readonly ImagePolicy[];
}

/** A secret an alert needs, and the Pulumi config key it is read from. */
export interface AlertSecretKey {
  /** Key inside the entry: `url`, `hmacKey` or `token`. */
  readonly key: string;
  /** Full Pulumi config key: `fluxops:alerts.<secretRef>.<key>`. */
  readonly configKey: string;
}

/**
 * Tells people about what FluxOps did: reconcile results, corrected drift and image updates,
 * refusals and rollbacks go to a webhook, Slack, Teams, or commit statuses on GitHub or Gitea.
 * Declared in the fleet (which events, which apps/sites/policies, how severe); delivered by the
 * reconciler (`reconciler/notify`) with secrets from the site stack's config.
 */
export class Alert extends Construct {
  /** Whether `x` is an Alert (works across copies of this module). */
  static isAlert(x: unknown): x is Alert {
    return hasBrand(x, BRANDS.alert);
  }

  /** Alert name. */
  readonly alertName: string;
  /** Provider with defaults resolved (never holds a secret). */
  readonly provider: ResolvedAlertProvider;
  /** Event kinds forwarded, in {@link ALERT_EVENT_KINDS} order. */
  readonly events: readonly AlertEventKind[];
  /** Lowest severity forwarded. */
  readonly severity: AlertSeverity;
  /** App filter (empty: every app). */
  readonly apps: readonly EdgeApp[];
  /** Site filter (empty: every site). */
  readonly sites: readonly Site[];
  /** Policy filter (empty: every policy). */
  readonly policies: readonly ImagePolicy[];

  constructor(scope: Construct, id: string, props: AlertProps) {
    const path = childPath(scope, id);
    const fleet = Fleet.of(scope);
    const name = props.name ?? id;
    check(path, 'name', name, dnsLabelProblem(name));
    const provider = resolveAlertProvider(path, name, props.provider);

    check(path, 'events', props.events, !Array.isArray(props.events) || props.events.length === 0 ? `must list at least one of ${ALERT_EVENT_KINDS.join(', ')}` : undefined);
    props.events.forEach((e, i) => {
      check(path, `events[${i}]`, e, isAlertEventKind(e) ? undefined : `is not an event kind (kinds: ${ALERT_EVENT_KINDS.join(', ')})`);
      check(path, `events[${i}]`, e, props.events.indexOf(e) !== i ? 'is listed twice' : undefined);
    });
    check(path, 'severity', props.severity, isAlertSeverity(props.severity) ? undefined : `must be one of ${ALERT_SEVERITIES.join(', ')}`);

    const apps = filterList(path, 'apps', props.apps, fleet, EdgeApp.isEdgeApp, 'an EdgeApp');
    const sites = filterList(path, 'sites', props.sites, fleet, Site.isSite, 'a Site');
    const policies = filterList(path, 'policies', props.policies, fleet, ImagePolicy.isImagePolicy, 'an ImagePolicy');
    if (policies.length > 0 && !props.events.some((e) => IMAGE_EVENT_KINDS.includes(e))) {
      check(path, 'policies', props.policies, `can only match image events (${IMAGE_EVENT_KINDS.join(', ')}), and events lists none: the alert would never fire`);
    }
    checkUniqueName(path, 'name', name, fleet.alerts, (a) => a.alertName === name);

    super(scope, id);
    this.alertName = name;
    this.provider = provider;
    this.events = ALERT_EVENT_KINDS.filter((k) => props.events.includes(k));
    this.severity = props.severity;
    this.apps = apps;
    this.sites = sites;
    this.policies = policies;
    setBrand(this, BRANDS.alert);
    addLateValidation(this, () => this.filterProblems());
  }

  /** The secrets this alert's provider needs, with the config keys to set. */
  get secretKeys(): readonly AlertSecretKey[] {
    return ALERT_SECRET_KEYS[this.provider.kind].map((key) => ({ key, configKey: alertSecretConfigKey(this.provider.secretRef, key) }));
  }

  /** Whether this alert can concern `site` (no site filter, or the site is in it). */
  appliesToSite(site: Site): boolean {
    return this.sites.length === 0 || this.sites.includes(site);
  }

  /**
   * Filters that can never match, checked at synthesis because sites gain apps after this
   * construct exists (`Site.addApp`): an app filtered for that runs on none of the filtered sites.
   */
  private filterProblems(): ConstructValidationError[] {
    if (this.sites.length === 0) return [];
    return this.apps.flatMap((app, i) =>
      this.sites.some((s) => s.apps.includes(app))
        ? []
        : [
            new ConstructValidationError({
              path: this.node.path,
              field: `apps[${i}]`,
              value: app,
              reason: `${app.appName} runs on none of the alert's sites (${this.sites.map((s) => s.siteName).join(', ')}): the filter would never match`,
            }),
          ],
    );
  }
}

/** Validates an optional filter list: constructs of the right kind, of this fleet, no duplicates. */
function filterList<T extends Construct>(
  path: string,
  field: string,
  list: readonly T[] | undefined,
  fleet: Fleet,
  isKind: (x: unknown) => boolean,
  what: string,
): T[] {
  if (list === undefined) return [];
  check(path, field, list, Array.isArray(list) ? (list.length === 0 ? 'must not be empty (leave it out to match everything)' : undefined) : `must be a list`);
  list.forEach((x, i) => {
    check(path, `${field}[${i}]`, x, !isKind(x) ? `must be ${what}` : Fleet.of(x) !== fleet ? 'is not part of this fleet' : list.indexOf(x) !== i ? 'is listed twice' : undefined);
  });
  return [...list];
}
