import { stringify } from 'yaml';
import type { LocalCluster } from '../../dev/cluster';
import type { SiteSynthData } from '../../reconciler/synth';

/** A Kubernetes object as the API server returns it. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Field manager the tests apply with. */
export const FIELD_MANAGER = 'fluxops-test';

/** kubectl failed; `stderr` holds the API server's message. */
export class KubectlError extends Error {
  override readonly name = 'KubectlError';
  constructor(readonly args: readonly string[], readonly stderr: string, options?: { cause?: unknown }) {
    super(`kubectl ${args.join(' ')} failed: ${stderr.trim()}`, options);
  }
}

async function kubectl(cluster: LocalCluster, args: readonly string[], input?: string): Promise<string> {
  try {
    return await cluster.kubectl(args, input === undefined ? undefined : { input });
  } catch (err) {
    throw new KubectlError(args, String((err as { stderr?: unknown }).stderr ?? (err as Error).message), { cause: err });
  }
}

/**
 * Applies the Namespaces of a synthesis for real. A server-side dry run does not persist a
 * Namespace, so without this every namespaced object of the same dry run fails with
 * `namespaces "<ns>" not found` (NamespaceLifecycle admission).
 */
export async function applyNamespaces(cluster: LocalCluster, result: Pick<SiteSynthData, 'objects'>): Promise<string[]> {
  const namespaces = result.objects.filter((o) => o.kind === 'Namespace');
  if (namespaces.length === 0) return [];
  await kubectl(cluster, ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'], namespaces.map((o) => o.yaml).join('---\n'));
  return namespaces.map((o) => o.name);
}

/**
 * `kubectl apply --server-side --dry-run=server` of a YAML stream: the API server runs
 * admission, schema validation (strict field validation: unknown fields are errors), defaulting
 * and CEL rules, and stores nothing. Returns the objects as the server would have stored them,
 * in input order; throws {@link KubectlError} naming the offending field otherwise.
 */
export async function serverDryRun(cluster: LocalCluster, yaml: string): Promise<Json[]> {
  const out = await kubectl(cluster, ['apply', '--server-side', '--dry-run=server', `--field-manager=${FIELD_MANAGER}`, '-o', 'json', '-f', '-'], yaml);
  const parsed = JSON.parse(out) as Json;
  return parsed.kind === 'List' ? (parsed.items as Json[]) : [parsed];
}

/** One manifest as a YAML document (for hand-mutated copies of synthesized objects). */
export function toYaml(manifest: unknown): string {
  return stringify(manifest);
}

/**
 * Where the server did not keep what was rendered: paths of `rendered` whose value is missing or
 * different in `stored`. Fields only the server added (its defaults) are not reported, nor are
 * rendered zero values (`[]`, `0`, `false`, `''`) the server omits: Go's `omitempty` makes an
 * absent field and its zero value the same thing.
 */
export function lostFields(rendered: unknown, stored: unknown, at = ''): string[] {
  if (stored === undefined && isZeroValue(rendered)) return [];
  if (Array.isArray(rendered)) {
    if (!Array.isArray(stored)) return [`${at}: ${JSON.stringify(rendered)} -> ${JSON.stringify(stored)}`];
    if (rendered.length !== stored.length) return [`${at}: ${rendered.length} items -> ${stored.length}`];
    return rendered.flatMap((r, i) => lostFields(r, stored[i], `${at}[${i}]`));
  }
  if (rendered !== null && typeof rendered === 'object') {
    if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return [`${at}: object -> ${JSON.stringify(stored)}`];
    return Object.entries(rendered).flatMap(([k, v]) => lostFields(v, (stored as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return rendered === stored ? [] : [`${at}: ${JSON.stringify(rendered)} -> ${JSON.stringify(stored)}`];
}

function isZeroValue(v: unknown): boolean {
  return v === 0 || v === false || v === '' || (Array.isArray(v) && v.length === 0);
}
