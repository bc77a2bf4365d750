import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { InitConflictError, InitOptionError, ScaffoldWriteError } from './errors';
import type { PlannedFile } from './plan';

/** What happened to one file. */
export type ScaffoldFileAction = 'created' | 'overwritten' | 'unchanged';

/** The outcome of {@link writeScaffold}: every file, in the order written, and what happened to it. */
export interface ScaffoldResult {
  /** Absolute target directory. */
  readonly dir: string;
  readonly files: ReadonlyArray<{ readonly path: string; readonly action: ScaffoldFileAction }>;
}

/**
 * Writes the planned files into `dir` (created if needed). Without `force`, a single existing
 * file refuses the whole scaffold before anything is written. With `force`, existing files are
 * replaced (`overwritten`, or `unchanged` when the bytes are already the same). Each file is
 * written to a temporary name and renamed into place, so a file is never half written and a
 * symlink in the way is replaced, not written through.
 *
 * @throws InitOptionError when `dir` exists and is not a directory
 * @throws InitConflictError listing the existing files (nothing written)
 * @throws ScaffoldWriteError naming the file that failed and those written before it
 */
export function writeScaffold(dirArg: string, files: readonly PlannedFile[], opts: { readonly force?: boolean } = {}): ScaffoldResult {
  const dir = path.resolve(dirArg);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new InitOptionError([{ option: 'DIR', value: dirArg, reason: 'exists and is not a directory' }]);

  const existing: string[] = [];
  const blocked: string[] = [];
  for (const f of files) {
    const stat = lstatOrUndefined(path.join(dir, f.path));
    if (stat?.isDirectory()) blocked.push(`${f.path} is a directory`);
    else if (stat) existing.push(f.path);
    // A parent that is a file (".github" as a file) cannot become a directory.
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const s = lstatOrUndefined(path.join(dir, parent));
      if (s && !s.isDirectory()) blocked.push(`${parent} is not a directory`);
    }
  }
  if (blocked.length > 0) throw new InitOptionError([{ option: 'DIR', value: dirArg, reason: `cannot hold the scaffold: ${[...new Set(blocked)].join(', ')}` }]);
  if (existing.length > 0 && !opts.force) throw new InitConflictError(dir, existing);

  const done: Array<{ path: string; action: ScaffoldFileAction }> = [];
  for (const f of files) {
    const target = path.join(dir, f.path);
    try {
      const before = lstatOrUndefined(target);
      if (before?.isFile() && fs.readFileSync(target, 'utf8') === f.contents) {
        done.push({ path: f.path, action: 'unchanged' });
        continue;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const tmp = path.join(path.dirname(target), `.${path.basename(target)}.fluxops-init-${randomBytes(4).toString('hex')}.tmp`);
      try {
        fs.writeFileSync(tmp, f.contents, { mode: 0o644, flag: 'wx' });
        fs.renameSync(tmp, target);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      done.push({ path: f.path, action: before ? 'overwritten' : 'created' });
    } catch (err) {
      throw new ScaffoldWriteError(dir, f.path, done.filter((d) => d.action !== 'unchanged').map((d) => d.path), { cause: err });
    }
  }
  return { dir, files: done };
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}
