import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SynthResult } from './synthesize';

/** File names {@link writeManifests} owns in an output directory. */
const OWNED_FILE = /^[0-9]{3,}-[a-z0-9_.-]+\.yaml$/;

/** What {@link writeManifests} did. */
export interface WriteManifestsResult {
  /** Files written (absolute paths), in apply order. */
  readonly written: readonly string[];
  /** Stale object files removed (from an earlier synthesis). */
  readonly removed: readonly string[];
}

/**
 * Writes one file per object into `dir` (created if needed) and removes object files an
 * earlier synthesis left there, so the directory mirrors the result exactly. Files that do not
 * look like object files (`<order>-<kind>-<namespace>-<name>.yaml`) are left alone.
 */
export function writeManifests(result: SynthResult, dir: string): WriteManifestsResult {
  fs.mkdirSync(dir, { recursive: true });
  const wanted = new Set(result.objects.map((o) => o.fileName));
  const removed: string[] = [];
  for (const entry of fs.readdirSync(dir).sort()) {
    if (OWNED_FILE.test(entry) && !wanted.has(entry)) {
      fs.rmSync(path.join(dir, entry));
      removed.push(path.resolve(dir, entry));
    }
  }
  const written = result.objects.map((o) => {
    const file = path.resolve(dir, o.fileName);
    fs.writeFileSync(file, o.yaml);
    return file;
  });
  return { written, removed };
}
