/**
 * Field-level comparison of two versions of one Kubernetes object, as the API server returned
 * them (live, and the server-side dry run of what FluxOps would apply). Because both sides went
 * through the server's defaulting, zero values a client drops or adds (`minReadySeconds: 0`,
 * `hostNetwork: false`, `externalIPs: []`) never show up; what is left to strip is bookkeeping.
 */

/** One changed field: a dotted path with list indices (`spec.template.spec.containers[0].image`). */
export interface FieldChange {
  readonly path: string;
  readonly op: 'add' | 'remove' | 'replace';
  /** Value before (absent for `add`); `"(secret)"` for Secret data. */
  readonly before?: unknown;
  /** Value after (absent for `remove`); `"(secret)"` for Secret data. */
  readonly after?: unknown;
}

/** Metadata the server maintains: never a difference. */
const VOLATILE_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];
/** Annotations others maintain on live objects. */
const VOLATILE_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

/** A copy of `obj` without status and the metadata the server and controllers maintain. */
export function comparable(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  delete out.status;
  const meta = { ...((obj.metadata as Record<string, unknown> | undefined) ?? {}) };
  for (const k of VOLATILE_METADATA) delete meta[k];
  const annotations = { ...((meta.annotations as Record<string, string> | undefined) ?? {}) };
  for (const k of VOLATILE_ANNOTATIONS) delete annotations[k];
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  else delete meta.annotations;
  out.metadata = meta;
  return out;
}

/**
 * The changes from `before` to `after` (both as returned by the server), field by field. Lists
 * compare by position (what server-side apply does for atomic lists; for keyed lists like
 * containers the server keeps the order of the manifest, so positions are stable).
 */
export function diffObjects(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, opts: { secret?: boolean } = {}): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(before === undefined ? undefined : comparable(before), after === undefined ? undefined : comparable(after), '', changes);
  return opts.secret ? changes.map(maskSecret) : changes;
}

function walk(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (deepEqual(a, b)) return;
  if (a === undefined) {
    out.push({ path: path || '.', op: 'add', after: b });
    return;
  }
  if (b === undefined) {
    out.push({ path: path || '.', op: 'remove', before: a });
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(a[k], b[k], childPath(path, k), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  out.push({ path: path || '.', op: 'replace', before: a, after: b });
}

/** `a.b` for plain keys, `a["app.kubernetes.io/name"]` for keys with dots or slashes. */
function childPath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Structural equality of JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Secret values never leave this module: data and stringData show only that they changed. */
const SECRET_VALUE_PATH = /^(data|stringData)(\.|\[|$)/;
const MASK = '(secret)';

function maskSecret(c: FieldChange): FieldChange {
  if (c.path === '.') {
    const whole = (v: unknown): unknown => (isRecord(v) ? maskSecretObject({ ...v, kind: 'Secret' }) : v);
    return { path: c.path, op: c.op, ...(c.before !== undefined ? { before: whole(c.before) } : {}), ...(c.after !== undefined ? { after: whole(c.after) } : {}) };
  }
  if (!SECRET_VALUE_PATH.test(c.path)) return c;
  const mask = (v: unknown): unknown => (isRecord(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, MASK])) : MASK);
  return { path: c.path, op: c.op, ...(c.before !== undefined ? { before: mask(c.before) } : {}), ...(c.after !== undefined ? { after: mask(c.after) } : {}) };
}

/** A copy of a Secret (or anything else: unchanged) with its values replaced by a mask, for printing. */
export function maskSecretObject<T extends Record<string, unknown>>(obj: T): T {
  if (obj.kind !== 'Secret') return obj;
  const out: Record<string, unknown> = { ...obj };
  for (const f of ['data', 'stringData']) {
    const v = out[f];
    if (isRecord(v)) out[f] = Object.fromEntries(Object.keys(v).map((k) => [k, MASK]));
  }
  return out as T;
}
