import { stringify } from 'yaml';
import { compareCodePoints } from '../compare-code-points';
import { ImageLock, ImageLockBadTag, ImageLockEntry, ImageLockHold, compareBadTags } from './image-lock';
import { validateImageLock } from './parse-image-lock';

const HEADER = [
  '# FluxOps image lock: the images this fleet runs, one entry per image policy.',
  '# Written by image automation and read by synthesis; edit by hand only to roll back.',
].join('\n');

/**
 * Renders a lock deterministically: fixed header; sections in the order `schemaVersion`,
 * `policies`, `sites`, `holds`, `siteHolds`, `badTags` (empty optional sections left out);
 * policies and sites sorted by name; fields in a fixed order; bad tags by `since`, then tag;
 * YAML 1.1-safe quoting. Invalid locks are rejected, never written.
 */
export function serializeImageLock(lock: ImageLock): string {
  const valid = validateImageLock(lock, 'serializeImageLock(lock)');
  const data: Record<string, unknown> = {
    schemaVersion: valid.schemaVersion,
    policies: sortedEntries(valid.policies),
  };
  const sites = Object.keys(valid.sites)
    .filter((s) => Object.keys(valid.sites[s]).length > 0)
    .sort(compareCodePoints);
  if (sites.length > 0) data.sites = Object.fromEntries(sites.map((s) => [s, sortedEntries(valid.sites[s])]));
  const holds = sortedHolds(valid.holds ?? {});
  if (Object.keys(holds).length > 0) data.holds = holds;
  const siteHolds = Object.keys(valid.siteHolds ?? {})
    .filter((s) => Object.keys(valid.siteHolds![s]).length > 0)
    .sort(compareCodePoints);
  if (siteHolds.length > 0) data.siteHolds = Object.fromEntries(siteHolds.map((s) => [s, sortedHolds(valid.siteHolds![s])]));
  const badTags = Object.keys(valid.badTags ?? {})
    .filter((p) => valid.badTags![p].length > 0)
    .sort(compareCodePoints);
  if (badTags.length > 0) data.badTags = Object.fromEntries(badTags.map((p) => [p, [...valid.badTags![p]].sort(compareBadTags).map(note)]));
  const body = stringify(data, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false, indent: 2 });
  return `${HEADER}\n${body}`;
}

function sortedEntries(entries: Readonly<Record<string, ImageLockEntry>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(entries)
      .sort(compareCodePoints)
      .map((k) => {
        const e = entries[k];
        return [
          k,
          {
            image: e.image,
            tag: e.tag,
            digest: e.digest,
            updatedAt: e.updatedAt,
            ...(e.platforms !== undefined ? { platforms: [...e.platforms] } : {}),
          },
        ];
      }),
  );
}


/** Hold and bad-tag fields in the order the lock writes them. */
function note(n: ImageLockHold | ImageLockBadTag): Record<string, string> {
  return { tag: n.tag, reason: n.reason, since: n.since };
}

function sortedHolds(holds: Readonly<Record<string, ImageLockHold>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(holds)
      .sort(compareCodePoints)
      .map((k) => [k, note(holds[k])]),
  );
}
