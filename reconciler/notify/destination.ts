import type { AlertProviderKind, AlertSpec } from '../../constructs';
import type { AlertSecretsConfig } from '../../stacks/alerts-config';
import { AlertSecretError } from './errors';
import type { FluxOpsEvent } from './events';
import { alertMatches } from './match-alert';
import { renderCommitStatuses, renderSlack, renderTeams, renderWebhook, type RenderResult } from './render';


/**
 * One place events are delivered to: a webhook URL, a Slack or Teams channel, or a forge
 * repository's statuses. Alerts that share a provider and secretRef share the destination, so
 * an event they both match is delivered once.
 */
export interface Destination {
  /** Names it in metrics, stats and logs; never a secret: `slack:ops-alerts`, `github:fleet-token:api.github.com/acme/fleet`. */
  readonly id: string;
  readonly kind: AlertProviderKind;
  /** Alerts routed here. */
  readonly alerts: readonly AlertSpec[];
  /** The secret values, for redaction. */
  readonly secrets: readonly string[];
  /** Whether any of its alerts forwards `event`. */
  matches(event: FluxOpsEvent): boolean;
  /** The request(s) for `event`. */
  render(event: FluxOpsEvent): RenderResult;
}

/**
 * Builds the destinations of a set of alerts with their secrets. Every secret the alerts need must
 * be present and usable: an alert that cannot deliver is a configuration error now, not a silent
 * loss later.
 *
 * Secrets stored in plain text in the stack settings file (`plaintextKeys`, see
 * `readAlertsConfig`) are refused too: that file often lives in Git.
 *
 * @throws AlertSecretError naming the alert and the Pulumi config key (never the value)
 */
export function buildDestinations(specs: readonly AlertSpec[], secrets: AlertSecretsConfig, plaintextKeys: readonly string[] = []): Destination[] {
  const byKey = new Map<string, { id: string; kind: AlertProviderKind; alerts: AlertSpec[]; values: Record<string, string> }>();
  for (const spec of specs) {
    const values: Record<string, string> = {};
    for (const { key, configKey } of spec.secrets) {
      const entry = Object.prototype.hasOwnProperty.call(secrets, spec.provider.secretRef) ? secrets[spec.provider.secretRef] : undefined;
      const value = entry && Object.prototype.hasOwnProperty.call(entry, key) ? entry[key] : undefined;
      if (value === undefined) {
        throw new AlertSecretError(spec.name, configKey, 'missing', `is not set; set it with: pulumi config set --secret --path '${configKey}' <value>`);
      }
      if (plaintextKeys.includes(configKey)) {
        throw new AlertSecretError(
          spec.name,
          configKey,
          'plaintext',
          `is stored in plain text in the stack settings file; set it again with: pulumi config set --secret --path '${configKey}' <value>`,
        );
      }
      checkSecret(spec.name, configKey, key, value);
      values[key] = value;
    }
    const p = spec.provider;
    const key = p.kind === 'github' || p.kind === 'gitea' ? `${p.kind}:${p.secretRef}:${hostOf(p.apiUrl)}/${p.repository}` : `${p.kind}:${p.secretRef}`;
    const existing = byKey.get(key);
    if (existing) existing.alerts.push(spec);
    else byKey.set(key, { id: key, kind: p.kind, alerts: [spec], values });
  }
  return [...byKey.values()].map((d) => destination(d.id, d.kind, d.alerts, d.values));
}

function destination(id: string, kind: AlertProviderKind, alerts: readonly AlertSpec[], values: Readonly<Record<string, string>>): Destination {
  const provider = alerts[0].provider;
  const names = alerts.map((a) => a.name);
  const render = (event: FluxOpsEvent): RenderResult => {
    switch (provider.kind) {
      case 'webhook':
        return { kind: 'requests', requests: [renderWebhook(event, { url: values.url, hmacKey: values.hmacKey, name: provider.secretRef, alerts: names })] };
      case 'slack':
        return { kind: 'requests', requests: [renderSlack(event, { url: values.url, name: provider.secretRef })] };
      case 'teams':
        return { kind: 'requests', requests: [renderTeams(event, { url: values.url, name: provider.secretRef })] };
      case 'github':
      case 'gitea':
        return renderCommitStatuses(event, { kind: provider.kind, repository: provider.repository, apiUrl: provider.apiUrl, token: values.token }, alerts[0].topology);
    }
  };
  return {
    id,
    kind,
    alerts,
    secrets: Object.values(values),
    matches: (event) => alerts.some((a) => alertMatches(a, event)),
    render,
  };
}

function checkSecret(alert: string, configKey: string, key: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AlertSecretError(alert, configKey, 'invalid', 'must be a non-empty string');
  }
  if (value !== value.trim() || /[\r\n]/.test(value)) {
    // A pasted value with a trailing newline would make every request fail (or sign with the wrong key).
    throw new AlertSecretError(alert, configKey, 'invalid', 'has leading or trailing whitespace or a line break');
  }
  if (key === 'url') {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new AlertSecretError(alert, configKey, 'invalid', 'must be an absolute http(s) URL');
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
