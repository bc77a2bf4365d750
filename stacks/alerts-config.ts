import type { Stack } from '@pulumi/pulumi/automation';

import { ALERT_SECRET_KEYS } from '../constructs/alert-provider';
import { dnsLabelProblem } from '../constructs/validation';
import { StackConfigError } from './errors';

/**
 * The decrypted `fluxops:alerts` stack config: secretRef -> key -> value. Values are secrets
 * (webhook URLs, HMAC keys, forge tokens): never logged, never in Git in plain text.
 */
export type AlertSecretsConfig = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** What {@link readAlertsConfig} found in a site stack. */
export interface AlertsConfig {
  /** Decrypted values. */
  readonly secrets: AlertSecretsConfig;
  /**
   * Config keys whose value is stored in plain text in the stack settings file (set without
   * `--secret`), e.g. `fluxops:alerts.ops-slack.url`. The notifier refuses them.
   */
  readonly plaintextKeys: readonly string[];
}

const ROOT = 'fluxops:alerts';
const KNOWN_KEYS = [...new Set(Object.values(ALERT_SECRET_KEYS).flat())].sort();
const HINT = "set each key with `pulumi config set --secret --path 'fluxops:alerts.<secretRef>.<key>' <value>`";

/**
 * Validates the shape of the `fluxops:alerts` stack config: a map of secretRef (DNS-1123 label)
 * to a map of known keys (`url`, `hmacKey`, `token`) to string values. A typo in a key is an
 * error here rather than a "missing secret" later.
 *
 * @throws StackConfigError naming the config key (`fluxops:alerts.ops.url`) and why; never the value
 */
export function parseAlertsConfig(raw: unknown): AlertSecretsConfig {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new StackConfigError(ROOT, `must be a map of "<secretRef>" to keys and values; ${HINT}`);
  const out: Record<string, Record<string, string>> = {};
  for (const ref of Object.keys(raw).sort()) {
    const at = `${ROOT}.${ref}`;
    const problem = dnsLabelProblem(ref);
    if (problem) throw new StackConfigError(at, `"${ref}" ${problem} (it is the provider's secretRef)`);
    const keys = (raw as Record<string, unknown>)[ref];
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      throw new StackConfigError(at, `must be a map of key -> value, but is a single ${Array.isArray(keys) ? 'list' : typeof keys} (was the key forgotten?); ${HINT}`);
    }
    const data: Record<string, string> = {};
    for (const key of Object.keys(keys).sort()) {
      if (!KNOWN_KEYS.includes(key)) throw new StackConfigError(`${at}.${key}`, `is not an alert secret key (keys: ${KNOWN_KEYS.join(', ')})`);
      const value = (keys as Record<string, unknown>)[key];
      if (typeof value !== 'string') {
        throw new StackConfigError(`${at}.${key}`, `must be a string value (got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value})`);
      }
      data[key] = value;
    }
    out[ref] = data;
  }
  return out;
}

/**
 * Reads and validates the `fluxops:alerts` config of a site stack (decrypted through the stack's
 * secrets provider), and finds the values stored in plain text.
 *
 * @throws StackConfigError naming the key, when the config has the wrong shape
 */
export async function readAlertsConfig(stack: Stack): Promise<AlertsConfig> {
  const all = await stack.getAllConfig();
  const entry = all[ROOT] as { value: string; objectValue?: unknown } | undefined;
  let raw: unknown;
  if (entry !== undefined) {
    if (entry.objectValue !== undefined) raw = entry.objectValue;
    else {
      try {
        raw = JSON.parse(entry.value);
      } catch {
        raw = entry.value; // a plain string: parseAlertsConfig says what is wrong with it
      }
    }
  }
  const secrets = parseAlertsConfig(raw);
  const settings = await stack.workspace.stackSettings(stack.name);
  const stored = (settings.config ?? {})[ROOT] as unknown;
  return { secrets, plaintextKeys: plaintextLeaves(stored, ROOT) };
}

/** Config keys under `prefix` whose stored value is not `{ secure: ... }`. */
function plaintextLeaves(node: unknown, prefix: string): string[] {
  if (node === undefined || node === null) return [];
  if (typeof node !== 'object' || Array.isArray(node)) return [prefix];
  if ('secure' in node && Object.keys(node).length === 1) return [];
  return Object.keys(node)
    .sort()
    .flatMap((k) => plaintextLeaves((node as Record<string, unknown>)[k], `${prefix}.${k}`));
}
