import type { ImageUse } from '../../constructs';
import { FluxOpsError } from '../../errors';
import type { KubeObject, ObjectRef } from '../cluster/kube-client';
import { createTagPolicy } from '../images/policy';
import type { PolicyData } from '../synth/protocol';

/**
 * Orders two tags under a policy: positive when `a` is newer. Undefined when either cannot be
 * ordered (excluded, filtered out, not a version or number). Uses the image policy engine's own
 * ordering (Flux parity tested against Go), ignoring range membership: what runs may predate it.
 */
export function comparePolicyTags(policy: Pick<PolicyData, 'rule' | 'filterTags'> & { exclusionList?: readonly string[] }, a: string, b: string): number | undefined {
  return createTagPolicy({ rule: policy.rule, ...(policy.filterTags ? { filterTags: policy.filterTags } : {}), ...(policy.exclusionList ? { exclusionList: policy.exclusionList } : {}) }).compareTags(a, b);
}

/** A container whose new tag orders below the tag the site runs now. */
export interface Downgrade {
  readonly policy: string;
  /** `Kind/namespace/name` of the workload. */
  readonly object: string;
  readonly container: string;
  /** Tag running now (from the live object). */
  readonly liveTag: string;
  /** Tag the commit would deploy. */
  readonly newTag: string;
  /** Where the new tag comes from (`lock`, `hold`, `initial-tag`). */
  readonly origin: string;
  /** Why it is allowed anyway (a hold, the running tag is marked bad, or the policy allows downgrades), or undefined when refused. */
  readonly allowedBecause?: string;
}

/** The deploy would move a site to an older image; nothing was applied. */
export class DowngradeRefusedError extends FluxOpsError {
  override readonly name = 'DowngradeRefusedError';
  constructor(readonly downgrades: readonly Downgrade[]) {
    super(
      'downgrade-refused',
      `refusing to downgrade ${downgrades.length} container${downgrades.length === 1 ? '' : 's'}; nothing was applied:\n${downgrades
        .map(
          (d) =>
            `  - ${d.object} container ${d.container}: policy ${d.policy} would go from ${d.liveTag} (running) to ${d.newTag} (${d.origin === 'initial-tag' ? 'its initialTag: is the lock entry missing?' : `from the ${d.origin}`}); ` +
            'hold the tag with a reason (fluxops images hold), mark the running tag bad (fluxops images mark-bad), or allow downgrades on the policy (noDowngrade: false), to do this on purpose',
        )
        .join('\n')}`,
    );
  }
}

/** The tag of an image reference (`name:tag`, `name:tag@sha256:...`), if it has one. */
export function tagOf(reference: string): string | undefined {
  const noDigest = reference.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}

/**
 * Compares each policy-backed image a commit would deploy with what the site runs now (read
 * from the live workloads) and returns every downgrade, each marked allowed or not. Allowed: a
 * deliberate move to a held tag (a hold in fleet code or in the lock), leaving a running tag the
 * lock marks bad (that is a rollback), or a policy that allows downgrades. Objects not yet in the
 * cluster have nothing to downgrade.
 */
export async function findDowngrades(
  images: readonly ImageUse[],
  policies: readonly PolicyData[],
  site: string | undefined,
  readLive: (ref: ObjectRef) => Promise<KubeObject | undefined>,
): Promise<Downgrade[]> {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const live = new Map<string, Promise<KubeObject | undefined>>();
  const out: Downgrade[] = [];
  for (const use of images) {
    const policy = byName.get(use.policy);
    if (!policy || use.tag === undefined) continue;
    const key = `${use.object.kind}/${use.object.namespace ?? ''}/${use.object.name}`;
    if (!live.has(key)) live.set(key, readLive(use.object));
    const obj = await live.get(key)!;
    if (!obj) continue;
    const liveTag = liveContainerTag(obj, use.path, use.container);
    if (liveTag === undefined || liveTag === use.tag) continue;
    const order = comparePolicyTags(policy, use.tag, liveTag);
    if (order === undefined || order >= 0) continue;
    const hold = (site !== undefined ? policy.holds[site] : undefined) ?? policy.holds['*'];
    const liveBad = policy.badTags?.find((b) => b.tag === liveTag);
    const allowedBecause =
      use.origin === 'hold' && hold && hold.tag === use.tag
        ? `held at ${hold.tag}${hold.source === 'lock' ? ' (lock hold)' : ''}: ${hold.reason}`
        : liveBad
          ? `the running tag ${liveTag} is marked bad: ${liveBad.reason}`
          : !policy.noDowngrade
          ? 'the policy allows downgrades (noDowngrade: false)'
          : undefined;
    out.push({
      policy: policy.name,
      object: use.object.namespace ? `${use.object.kind}/${use.object.namespace}/${use.object.name}` : `${use.object.kind}/${use.object.name}`,
      container: use.container,
      liveTag,
      newTag: use.tag,
      origin: use.origin,
      ...(allowedBecause ? { allowedBecause } : {}),
    });
  }
  return out;
}

/** Throws {@link DowngradeRefusedError} for the downgrades that are not allowed. */
export function refuseDowngrades(downgrades: readonly Downgrade[]): void {
  const refused = downgrades.filter((d) => d.allowedBecause === undefined);
  if (refused.length > 0) throw new DowngradeRefusedError(refused);
}

function liveContainerTag(obj: KubeObject, imagePath: readonly (string | number)[], container: string): string | undefined {
  // The image path points at containers[i].image; in the live object look the container up by name.
  const containersPath = imagePath.slice(0, -2);
  let node: unknown = obj;
  for (const seg of containersPath) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  if (!Array.isArray(node)) return undefined;
  const c = (node as Array<{ name?: string; image?: string }>).find((x) => x.name === container);
  return c?.image ? tagOf(c.image) : undefined;
}
