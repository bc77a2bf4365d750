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

/** A copy of `obj` with the {@link APPLY_ANNOTATIONS}. */
export function asApplied<T extends { metadata: { annotations?: unknown } & Record<string, unknown> }>(obj: T): T {
  const annotations = { ...((obj.metadata.annotations as Record<string, string> | undefined) ?? {}), ...APPLY_ANNOTATIONS };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}
