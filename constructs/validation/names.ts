/**
 * Kubernetes and OCI naming rules, as reason-returning validators: each returns `undefined`
 * for a valid value or a short explanation for an invalid one.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** DNS-1123 label (namespaces, most object names): lower-case alphanumerics and `-`, at most 63. */
export function dnsLabelProblem(value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > 63) return `must be at most 63 characters (DNS-1123 label), got ${value.length}`;
  if (!DNS_LABEL.test(value)) {
    return 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/**
 * DNS-1035 label (Service names, and therefore app names): like a DNS-1123 label but must start
 * with a letter.
 */
export function dns1035LabelProblem(value: string): string | undefined {
  const label = dnsLabelProblem(value);
  if (label) return label;
  if (!DNS_1035_LABEL.test(value)) return 'must start with a lower-case letter (DNS-1035 label, required for Service names)';
  return undefined;
}

/** DNS-1123 subdomain (host names, ConfigMap/Secret names): dot-separated labels, at most 253. */
export function dnsSubdomainProblem(value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > 253) return `must be at most 253 characters (DNS-1123 subdomain), got ${value.length}`;
  for (const part of value.split('.')) {
    if (!DNS_LABEL.test(part) || part.length > 63) {
      return 'must be a DNS-1123 subdomain: dot-separated lower-case labels of letters, digits and "-"';
    }
  }
  return undefined;
}

/** Ingress host: a DNS-1123 subdomain, optionally prefixed by a single `*.` wildcard. */
export function hostProblem(value: string): string | undefined {
  if (typeof value === 'string' && value.startsWith('*.')) return dnsSubdomainProblem(value.slice(2));
  return dnsSubdomainProblem(value);
}

/** Kubernetes label key: optional DNS-1123 subdomain prefix and `/`, then a name of at most 63. */
export function labelKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'label key must be a non-empty string';
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const p = dnsSubdomainProblem(prefix);
    if (p) return `label key prefix ${p}`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return 'label key name must be at most 63 alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric';
  }
  return undefined;
}

/** Kubernetes label value: empty, or at most 63 alphanumerics, `-`, `_`, `.`. */
export function labelValueProblem(value: string): string | undefined {
  if (typeof value !== 'string') return 'label value must be a string';
  if (value === '') return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return 'label value must be at most 63 alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric';
  }
  return undefined;
}

/** First problem in a label map, as `[key, reason]`. */
export function labelsProblem(labels: Readonly<Record<string, string>>): [string, string] | undefined {
  for (const [key, value] of Object.entries(labels)) {
    const k = labelKeyProblem(key);
    if (k) return [key, k];
    const v = labelValueProblem(value);
    if (v) return [key, v];
  }
  return undefined;
}

/** Environment variable name as the API server accepts it. */
export function envVarNameProblem(name: string): string | undefined {
  if (!ENV_VAR_NAME.test(name)) return 'must consist of letters, digits, "_", "-" or "." and must not start with a digit';
  return undefined;
}

/** A free-text field that must be present and single-line (reasons, commit author names). */
export function singleLineTextProblem(value: string): string | undefined {
  if (typeof value !== 'string' || value.trim().length === 0) return 'must be a non-empty string';
  if (/[\r\n]/.test(value)) return 'must be a single line';
  return undefined;
}
