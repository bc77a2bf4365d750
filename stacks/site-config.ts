import { dnsLabelProblem, dnsSubdomainProblem } from '../constructs/validation';
import { StackConfigError } from './errors';

/** Key of a Kubernetes Secret's data: what `kubectl create secret generic --from-literal` accepts. */
const SECRET_DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/** One Kubernetes Secret of a site, from `fluxops:secrets.<namespace>/<name>.<key>` stack config. */
export interface SecretSpec<V = string> {
  readonly namespace: string;
  readonly name: string;
  /** Key -> value. Values are secrets: never logged, never in Git, encrypted in the Pulumi state. */
  readonly data: Readonly<Record<string, V>>;
}

const HINT = "set each key with `pulumi config set --secret --path 'fluxops:secrets.<namespace>/<name>.<key>' <value>`";

/**
 * Validates the `fluxops:secrets` stack config (already decrypted, or just its shape): a map of
 * `<namespace>/<name>` (valid Kubernetes names) to a map of at least one key to a string value.
 * `pulumi config set --secret --path fluxops:secrets.ns/name pw` (the key forgotten) stores a
 * plain string, which is refused here instead of becoming a Secret with keys `0`, `1`, ...
 *
 * @throws StackConfigError naming the key (`fluxops:secrets.ns/name.key`) and why; never the value
 */
export function parseSecretsConfig<V>(raw: unknown, isValue: (v: unknown) => v is V = isString as (v: unknown) => v is V): SecretSpec<V>[] {
  if (raw === undefined || raw === null) return [];
  const root = 'fluxops:secrets';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new StackConfigError(root, `must be a map of "<namespace>/<name>" to keys and values; ${HINT}`);
  const out: SecretSpec<V>[] = [];
  for (const qualified of Object.keys(raw).sort()) {
    const at = `${root}.${qualified}`;
    const slash = qualified.indexOf('/');
    if (slash <= 0 || slash !== qualified.lastIndexOf('/')) throw new StackConfigError(at, `the key must be "<namespace>/<name>"; ${HINT}`);
    const namespace = qualified.slice(0, slash);
    const name = qualified.slice(slash + 1);
    const nsProblem = dnsLabelProblem(namespace);
    if (nsProblem) throw new StackConfigError(at, `namespace "${namespace}" ${nsProblem}`);
    const nameProblem = dnsSubdomainProblem(name);
    if (nameProblem) throw new StackConfigError(at, `Secret name "${name}" ${nameProblem}`);
    const keys = (raw as Record<string, unknown>)[qualified];
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      throw new StackConfigError(at, `must be a map of key -> value, but is a single ${Array.isArray(keys) ? 'list' : typeof keys} (was the key forgotten?); ${HINT}`);
    }
    const entries = Object.keys(keys).sort();
    if (entries.length === 0) throw new StackConfigError(at, `has no keys; ${HINT}`);
    const data: Record<string, V> = {};
    for (const key of entries) {
      if (!SECRET_DATA_KEY.test(key) || key.length > 253) throw new StackConfigError(`${at}.${key}`, 'is not a valid Secret key (letters, digits, "-", "_", "." only)');
      const value = (keys as Record<string, unknown>)[key];
      if (!isValue(value)) throw new StackConfigError(`${at}.${key}`, `must be a string value (got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value})`);
      data[key] = value;
    }
    out.push({ namespace, name, data });
  }
  return out;
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}
