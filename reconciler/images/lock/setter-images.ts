import { ImageLock, findLockEntry } from '../../../constructs/lock';
import { SetterImage } from './update-setters';

/**
 * The image map `updateSetters` takes, from a lock: one `<namespace>:<policy>` entry per policy,
 * the site's own entry when it has one, else the fleet-wide entry (as synthesis resolves images).
 * `namespace` is the namespace in the markers, normally the fleet's Flux namespace.
 */
export function setterImages(lock: ImageLock, options: { readonly namespace: string; readonly site?: string }): Record<string, SetterImage> {
  const policies = new Set([...Object.keys(lock.policies), ...(options.site !== undefined ? Object.keys(lock.sites[options.site] ?? {}) : [])]);
  const out: Record<string, SetterImage> = {};
  for (const policy of [...policies].sort()) {
    const found = findLockEntry(lock, policy, options.site);
    if (found) out[`${options.namespace}:${policy}`] = { name: found.entry.image, tag: found.entry.tag, digest: found.entry.digest };
  }
  return out;
}
