import { createHash } from 'node:crypto';

/**
 * What an object looks like when the site stack applies it. The live diff dry-runs exactly this,
 * with the same field manager, so what it reports is what the apply does.
 */

/** The server-side apply field manager of every FluxOps apply (Pulumi's provider and FluxOps' own client). */
export const FIELD_MANAGER = 'fluxops';

/** Annotations the Pulumi Kubernetes provider reads from each object. */
export const APPLY_ANNOTATIONS: Readonly<Record<string, string>> = {
  // The stack is the owner of record: a field someone changed by hand (kubectl edit) is taken
  // back on the next apply instead of failing with a conflict, as Flux's kustomize-controller does.
  'pulumi.com/patchForce': 'true',
  // One field manager for Pulumi and the dry-run diff, so fields FluxOps stops declaring are
  // removed by the apply and shown as removed by the diff.
  'pulumi.com/patchFieldManager': FIELD_MANAGER,
  // FluxOps waits for health itself (kstatus rules, per object, with a timeout and a reason).
  'pulumi.com/skipAwait': 'true',
};

/** JSON with object keys sorted: the same object always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v,
  );
}

/**
 * Short hash of an object as applied (its manifest with the apply annotations). Recorded per
 * object in the inventory: when the live diff finds a difference but Git still asks for the same
 * manifest, the difference is drift (a manual change), not a change in Git.
 */
export function manifestHash(obj: { metadata: { annotations?: unknown } & Record<string, unknown> }): string {
  return createHash('sha256').update(canonicalJson(asApplied(obj))).digest('hex').slice(0, 16);
}

/** A copy of `obj` with the {@link APPLY_ANNOTATIONS}. */
export function asApplied<T extends { metadata: { annotations?: unknown } & Record<string, unknown> }>(obj: T): T {
  const annotations = { ...((obj.metadata.annotations as Record<string, string> | undefined) ?? {}), ...APPLY_ANNOTATIONS };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}
