import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { FluxOpsError } from '../../errors';

/** The record of the files `synth --out` wrote into a directory (the only files it ever deletes). */
export const OUTPUT_MANIFEST = '.fluxops-synth.json';

/** A file to write: name (no directory part) and contents. */
export interface ManifestFile {
  readonly fileName: string;
  readonly yaml: string;
}

/** What {@link writeManifests} did. */
export interface WriteManifestsResult {
  /** Files written (absolute paths), in apply order. */
  readonly written: readonly string[];
  /** Files of an earlier run that are no longer produced, removed. */
  readonly removed: readonly string[];
  /** Other files in the directory, left exactly as they were. */
  readonly kept: readonly string[];
}

/** `synth --out` cannot write the directory; nothing in it was changed. */
export class OutputDirectoryError extends FluxOpsError {
  override readonly name = 'OutputDirectoryError';
  constructor(
    readonly dir: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('output-directory', `${dir}: ${reason}; nothing was changed`, options);
  }
}

interface OutputRecord {
  readonly generator: 'fluxops synth';
  readonly files: readonly string[];
}

/**
 * Writes one file per object into `dir`, atomically: the new contents are assembled in a
 * temporary directory next to it, which then replaces `dir` by rename, so a reader sees either
 * the old set or the new set. Files this function wrote before (recorded in
 * {@link OUTPUT_MANIFEST}) and no longer produced are removed; every other file in `dir` (also a
 * user's own `NNN-*.yaml`) is carried over untouched (hard-linked, same inode). A name that
 * collides with a file FluxOps did not write is refused.
 */
export function writeManifests(files: readonly ManifestFile[], dirArg: string): WriteManifestsResult {
  const requested = path.resolve(dirArg);
  const dir = fs.existsSync(requested) ? fs.realpathSync(requested) : requested;
  const exists = fs.existsSync(dir);
  if (exists && !fs.statSync(dir).isDirectory()) throw new OutputDirectoryError(dir, 'exists and is not a directory');
  for (const f of files) {
    if (f.fileName !== path.basename(f.fileName) || f.fileName === OUTPUT_MANIFEST || f.fileName.startsWith('.')) {
      throw new OutputDirectoryError(dir, `refusing to write the file name ${JSON.stringify(f.fileName)}`);
    }
  }
  const previous = exists ? readRecord(dir) : [];
  const entries = exists ? fs.readdirSync(dir).filter((e) => e !== OUTPUT_MANIFEST) : [];
  const ours = new Set(previous);
  const foreign = entries.filter((e) => !ours.has(e));
  const wanted = new Set(files.map((f) => f.fileName));
  const clash = foreign.find((e) => wanted.has(e));
  if (clash !== undefined) throw new OutputDirectoryError(dir, `${clash} exists and was not written by fluxops synth; move it away or choose another --out`);

  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.fluxops-${randomBytes(4).toString('hex')}.tmp`);
  const old = `${tmp.slice(0, -4)}.old`;
  const moved: string[] = [];
  try {
    fs.mkdirSync(tmp, { mode: exists ? fs.statSync(dir).mode & 0o7777 : 0o755 });
    for (const f of files) fs.writeFileSync(path.join(tmp, f.fileName), f.yaml);
    const record: OutputRecord = { generator: 'fluxops synth', files: files.map((f) => f.fileName) };
    fs.writeFileSync(path.join(tmp, OUTPUT_MANIFEST), JSON.stringify(record, null, 2) + '\n');
    for (const e of foreign) {
      const from = path.join(dir, e);
      if (fs.lstatSync(from).isDirectory()) continue;
      fs.linkSync(from, path.join(tmp, e));
    }
    // Sub-directories cannot be hard-linked: they move across at the last moment.
    for (const e of foreign) {
      const from = path.join(dir, e);
      if (fs.existsSync(from) && fs.lstatSync(from).isDirectory()) {
        fs.renameSync(from, path.join(tmp, e));
        moved.push(e);
      }
    }
    if (exists) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
  } catch (err) {
    // Put everything back where it was: the old directory, then the sub-directories moved out of it.
    if (exists && !fs.existsSync(dir) && fs.existsSync(old)) fs.renameSync(old, dir);
    for (const e of moved) if (fs.existsSync(path.join(tmp, e))) fs.renameSync(path.join(tmp, e), path.join(dir, e));
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err instanceof FluxOpsError ? err : new OutputDirectoryError(dir, `could not write (${(err as Error).message})`, { cause: err });
  }
  fs.rmSync(old, { recursive: true, force: true });
  return {
    written: files.map((f) => path.join(dir, f.fileName)),
    removed: previous.filter((p) => !wanted.has(p)).map((p) => path.join(dir, p)),
    kept: foreign.map((e) => path.join(dir, e)),
  };
}

function readRecord(dir: string): string[] {
  const file = path.join(dir, OUTPUT_MANIFEST);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new OutputDirectoryError(dir, `cannot read ${OUTPUT_MANIFEST} (${(err as Error).message})`, { cause: err });
  }
  try {
    const data = JSON.parse(text) as Partial<OutputRecord>;
    if (data.generator !== 'fluxops synth' || !Array.isArray(data.files) || !data.files.every((f) => typeof f === 'string' && f === path.basename(f) && !f.startsWith('.'))) {
      throw new Error('unexpected contents');
    }
    return [...data.files];
  } catch (err) {
    throw new OutputDirectoryError(dir, `${OUTPUT_MANIFEST} is corrupt (${(err as Error).message}); delete it only if the directory holds no files of yours`, { cause: err });
  }
}
