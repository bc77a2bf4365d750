import { stringify } from 'yaml';
import { compareCodePoints } from '../compare-code-points';
import { ImageLock, ImageLockEntry } from './image-lock';
import { validateImageLock } from './parse-image-lock';

const HEADER = [
  '# FluxOps image lock: the images this fleet runs, one entry per image policy.',
  '# Written by image automation and read by synthesis; edit by hand only to roll back.',
].join('\n');

/**
 * Renders a lock deterministically: fixed header, policies and sites sorted by name, entry
 * fields in a fixed order, YAML 1.1-safe quoting. Invalid locks are rejected, never written.
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

