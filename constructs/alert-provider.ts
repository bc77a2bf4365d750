import { ConstructValidationError } from './construct-validation-error';
import { dnsLabelProblem } from './validation';

/**
 * Where an {@link Alert} sends its events. Secrets (webhook URLs, HMAC keys, forge tokens) are
 * never props: `secretRef` names an entry of the site stack's Pulumi config,
 * `fluxops:alerts.<secretRef>.<key>`, set with
 * `pulumi config set --secret --path 'fluxops:alerts.<secretRef>.<key>' <value>`.
 * {@link ALERT_SECRET_KEYS} lists the keys each provider needs.
 */
export type AlertProvider = WebhookAlertProvider | SlackAlertProvider | TeamsAlertProvider | GitHubAlertProvider | GiteaAlertProvider;

/** A generic JSON webhook; each request is signed with HMAC-SHA256 (`X-FluxOps-Signature-256`). */
export interface WebhookAlertProvider {
  /** Discriminant. */
  readonly kind: 'webhook';
  /** Config entry holding `url` and `hmacKey`: `fluxops:alerts.<secretRef>.url` / `.hmacKey`. */
  readonly secretRef: string;
}

/** A Slack incoming webhook (the URL is a secret: anyone holding it can post). */
export interface SlackAlertProvider {
  /** Discriminant. */
  readonly kind: 'slack';
  /** Config entry holding `url`: `fluxops:alerts.<secretRef>.url`. */
  readonly secretRef: string;
}

/** A Microsoft Teams incoming webhook (Office 365 connector or Workflows URL; a secret). */
export interface TeamsAlertProvider {
  /** Discriminant. */
  readonly kind: 'teams';
  /** Config entry holding `url`: `fluxops:alerts.<secretRef>.url`. */
  readonly secretRef: string;
}

/** Commit statuses on the config repository's commits in GitHub (context `fluxops/<site>`). */
export interface GitHubAlertProvider {
  /** Discriminant. */
  readonly kind: 'github';
  /** The config repository, `owner/repo`. */
  readonly repository: string;
  /**
   * REST API root; GitHub Enterprise Server uses `https://<host>/api/v3`.
   * @default 'https://api.github.com'
   */
  readonly apiUrl?: string;
  /**
   * Config entry holding `token` (`repo:status` scope, or a fine-grained token with commit
   * statuses write): `fluxops:alerts.<secretRef>.token`.
   * @default the alert's name
   */
  readonly secretRef?: string;
}

/** Commit statuses on the config repository's commits in Gitea or Forgejo. */
export interface GiteaAlertProvider {
  /** Discriminant. */
  readonly kind: 'gitea';
  /** The config repository, `owner/repo`. */
  readonly repository: string;
  /** Root URL of the Gitea server, e.g. `https://gitea.example.com` (the API is under `/api/v1`). */
  readonly apiUrl: string;
  /**
   * Config entry holding `token` (an access token with `write:repository`):
   * `fluxops:alerts.<secretRef>.token`.
   * @default the alert's name
   */
  readonly secretRef?: string;
}

/** Every provider kind. */
export type AlertProviderKind = AlertProvider['kind'];

/** The secret keys each provider reads from `fluxops:alerts.<secretRef>`. */
export const ALERT_SECRET_KEYS: Readonly<Record<AlertProviderKind, readonly string[]>> = {
  webhook: ['url', 'hmacKey'],
  slack: ['url'],
  teams: ['url'],
  github: ['token'],
  gitea: ['token'],
};

/** Every provider kind, in documentation order. */
export const ALERT_PROVIDER_KINDS: readonly AlertProviderKind[] = ['webhook', 'slack', 'teams', 'github', 'gitea'];

/** GitHub's public REST API. */
export const GITHUB_API_URL = 'https://api.github.com';

/** The Pulumi config key of one alert secret: `fluxops:alerts.<secretRef>.<key>`. */
export function alertSecretConfigKey(secretRef: string, key: string): string {
  return `fluxops:alerts.${secretRef}.${key}`;
}

const FIELDS: Readonly<Record<AlertProviderKind, readonly string[]>> = {
  webhook: ['kind', 'secretRef'],
  slack: ['kind', 'secretRef'],
  teams: ['kind', 'secretRef'],
  github: ['kind', 'repository', 'apiUrl', 'secretRef'],
  gitea: ['kind', 'repository', 'apiUrl', 'secretRef'],
};

/** What an error shows instead of a value that may be a secret. */
const REDACTED = '<redacted>';

/** `owner/repo` as GitHub and Gitea allow them (no `.git` suffix, no `.`/`..`). */
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9_])?\/[A-Za-z0-9_.-]{1,100}$/;

/** A provider with its defaults resolved: plain data. */
export type ResolvedAlertProvider =
  | { readonly kind: 'webhook' | 'slack' | 'teams'; readonly secretRef: string }
  | { readonly kind: 'github' | 'gitea'; readonly repository: string; readonly apiUrl: string; readonly secretRef: string };

/**
 * Validates a provider and resolves its defaults. Values that may be secrets (a URL pasted into
 * `secretRef`, an unknown field such as `url`) are never echoed in the error.
 *
 * @throws ConstructValidationError naming `provider.<field>`
 */
export function resolveAlertProvider(path: string, alertName: string, provider: AlertProvider): ResolvedAlertProvider {
  if (typeof provider !== 'object' || provider === null) {
    throw new ConstructValidationError({ path, field: 'provider', value: REDACTED, reason: `must be an object with a kind (${ALERT_PROVIDER_KINDS.join(', ')})` });
  }
  const kind = (provider as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(ALERT_PROVIDER_KINDS as readonly string[]).includes(kind)) {
    throw new ConstructValidationError({
      path,
      field: 'provider.kind',
      value: typeof kind === 'string' && !looksSecret(kind) ? kind : REDACTED,
      reason: `must be one of ${ALERT_PROVIDER_KINDS.join(', ')}`,
    });
  }
  const k = kind as AlertProviderKind;
  for (const field of Object.keys(provider)) {
    if (!FIELDS[k].includes(field)) {
      throw new ConstructValidationError({
        path,
        field: `provider.${field}`,
        value: REDACTED,
        reason: `is not a field of a ${k} provider (fields: ${FIELDS[k].join(', ')}); URLs, keys and tokens go in the stack config (${ALERT_SECRET_KEYS[k]
          .map((key) => `fluxops:alerts.<secretRef>.${key}`)
          .join(', ')}), never in props`,
      });
    }
  }
  const p = provider as { secretRef?: unknown; repository?: unknown; apiUrl?: unknown };
  const needsRef = k === 'webhook' || k === 'slack' || k === 'teams';
  if (p.secretRef === undefined && needsRef) {
    throw new ConstructValidationError({
      path,
      field: 'provider.secretRef',
      value: undefined,
      reason: `is required: it names the stack config entry holding ${ALERT_SECRET_KEYS[k].join(' and ')} (fluxops:alerts.<secretRef>.${ALERT_SECRET_KEYS[k][0]})`,
    });
  }
  const secretRef = p.secretRef ?? alertName;
  checkSecretRef(path, secretRef);
  if (k === 'webhook' || k === 'slack' || k === 'teams') return { kind: k, secretRef: secretRef as string };

  const repository = p.repository;
  if (typeof repository !== 'string' || !REPOSITORY.test(repository) || /\/\.\.?$/.test(repository) || repository.endsWith('.git')) {
    throw new ConstructValidationError({
      path,
      field: 'provider.repository',
      value: typeof repository === 'string' && !looksSecret(repository) ? repository : REDACTED,
      reason: 'must be "owner/repo" (the config repository, without host or ".git")',
    });
  }
  if (k === 'gitea' && p.apiUrl === undefined) {
    throw new ConstructValidationError({ path, field: 'provider.apiUrl', value: undefined, reason: 'is required for gitea: the root URL of the Gitea server, e.g. "https://gitea.example.com"' });
  }
  const apiUrl = checkApiUrl(path, p.apiUrl ?? GITHUB_API_URL);
  return { kind: k, repository, apiUrl, secretRef: secretRef as string };
}

function checkSecretRef(path: string, secretRef: unknown): void {
  if (typeof secretRef === 'string' && looksSecret(secretRef)) {
    throw new ConstructValidationError({
      path,
      field: 'provider.secretRef',
      value: REDACTED,
      reason: 'looks like a URL or key: secretRef is the name of an entry of fluxops:alerts in the stack config, the URL itself goes there (pulumi config set --secret --path)',
    });
  }
  const problem = typeof secretRef === 'string' ? dnsLabelProblem(secretRef) : 'must be a string';
  if (problem) {
    throw new ConstructValidationError({
      path,
      field: 'provider.secretRef',
      value: secretRef,
      reason: `${problem} (it becomes the Pulumi config path fluxops:alerts.<secretRef>.<key>, where "." separates keys)`,
    });
  }
}

/** An http(s) URL without credentials, query or fragment; returned without a trailing slash. */
function checkApiUrl(path: string, value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  const shown = (): unknown => (url ? `${url.protocol}//${url.host}${url.pathname}` : typeof value === 'string' && !looksSecret(value) ? value : REDACTED);
  const problem = !url
    ? 'must be an absolute http(s) URL'
    : url.protocol !== 'https:' && url.protocol !== 'http:'
      ? 'must use https (or http)'
      : url.username !== '' || url.password !== ''
        ? 'must not contain credentials: the token goes in the stack config (fluxops:alerts.<secretRef>.token)'
        : url.search !== '' || url.hash !== ''
          ? 'must not have a query or fragment'
          : undefined;
  if (problem) throw new ConstructValidationError({ path, field: 'provider.apiUrl', value: shown(), reason: problem });
  return (url as URL).href.replace(/\/+$/, '');
}

/** Whether a string a user typed might be a credential (a URL, or long and random-looking). */
function looksSecret(value: string): boolean {
  // A DNS label never has upper-case letters, so mixed-case random strings are not false alarms.
  return (
    /:\/\//.test(value) ||
    /^(xox[a-z]-|ghp_|gho_|ghs_|github_pat_)/.test(value) ||
    (value.length >= 20 && /^[A-Za-z0-9+/=_-]+$/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value))
  );
}
