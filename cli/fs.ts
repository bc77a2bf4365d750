import * as fs from 'node:fs';

/** Creates `dir` (and parents) if needed and returns it. */
export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
