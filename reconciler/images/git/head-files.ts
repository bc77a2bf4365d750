import { GitClient } from '../../git';
import { IMAGE_POLICY_SHORTHAND, isSetterCandidate } from '../lock';
import { WriteBackInputError } from './write-back-errors';

/** One file of a commit's tree. */
export interface TreeFile {
  /** `100644`, `100755`, `120000` (symlink), `160000` (submodule). */
  readonly mode: string;
  /** Blob id. */
  readonly oid: string;
}

/** What a write-back reads at a head: the lock and the files that may hold setter markers. */
export interface HeadFiles {
  /** Text of the lock file; `undefined` when the commit has none. */
  readonly lockText: string | undefined;
  /** Marker files under the update path (setter candidates containing the marker token), by path. */
  readonly files: Readonly<Record<string, string>>;
  /** Tree entries of the lock and every file in `files`, for writing them back with their mode. */
  readonly entries: ReadonlyMap<string, TreeFile>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `./clusters/` -> `clusters`; `./` or `.` -> `` (the whole tree). */
export function treePrefix(repoPath: string): string {
  return repoPath.replace(/^\.\/?/, '').replace(/\/+$/, '');
}

/**
 * Reads the lock file and the setter candidates under `updatePath` at `commit` from the object
 * database (no work tree, so no line-ending or filter conversion: the bytes are the commit's).
 * Only files that contain the marker token are returned, like Flux reads them.
 */
export async function readHeadFiles(client: GitClient, gitDir: string, commit: string, lockFile: string, updatePath: string): Promise<HeadFiles> {
  const prefix = treePrefix(updatePath);
  const listing = await client.local('read', ['--git-dir', gitDir, 'ls-tree', '-r', '-z', '--full-tree', commit, '--', lockFile, ...(prefix === '' ? [] : [prefix])], { ref: commit });
  const entries = new Map<string, TreeFile>();
  let lockEntry: TreeFile | undefined;
  for (const record of listing.stdout.toString('utf8').split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode, type, oid] = record.slice(0, tab).split(' ') as [string, string, string];
    const file = record.slice(tab + 1);
    if (file === lockFile) {
      if (type !== 'blob' || (mode !== '100644' && mode !== '100755')) {
        throw new WriteBackInputError({ repository: client.display, commit, file, reason: `must be a regular file, not ${mode === '120000' ? 'a symlink' : type}` });
      }
      lockEntry = { mode, oid };
      continue;
    }
    if (type !== 'blob' || (mode !== '100644' && mode !== '100755') || !isSetterCandidate(file)) continue;
    entries.set(file, { mode, oid });
  }
  const wanted = [...(lockEntry ? [lockEntry.oid] : []), ...[...entries.values()].map((e) => e.oid)];
  const blobs = wanted.length > 0 ? await readBlobs(client, gitDir, [...new Set(wanted)], commit) : new Map<string, Buffer>();

  let lockText: string | undefined;
  if (lockEntry) {
    try {
      lockText = utf8.decode(blobs.get(lockEntry.oid) as Buffer);
    } catch {
      throw new WriteBackInputError({ repository: client.display, commit, file: lockFile, reason: 'is not UTF-8 text' });
    }
    entries.set(lockFile, lockEntry);
  }
  const files: Record<string, string> = {};
  for (const [file, entry] of entries) {
    if (file === lockFile) continue;
    const bytes = blobs.get(entry.oid) as Buffer;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      entries.delete(file); // not text: no markers to set
      continue;
    }
    // Files that only mention $imagepolicy unquoted go along too: updateSetters reports them.
    if (text.includes(IMAGE_POLICY_SHORTHAND)) files[file] = text;
    else entries.delete(file);
  }
  return { lockText, files, entries };
}

/** Reads blobs with one `git cat-file --batch`. */
async function readBlobs(client: GitClient, gitDir: string, oids: readonly string[], commit: string): Promise<Map<string, Buffer>> {
  const r = await client.local('read', ['--git-dir', gitDir, 'cat-file', '--batch'], { input: `${oids.join('\n')}\n`, ref: commit });
  const out = new Map<string, Buffer>();
  const buf = r.stdout;
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    const header = buf.subarray(pos, nl).toString('utf8');
    const [oid, type, size] = header.split(' ') as [string, string, string];
    if (type !== 'blob') throw new WriteBackInputError({ repository: client.display, commit, file: oid, reason: `object is ${type ?? 'missing'}, not a blob` });
    const len = Number.parseInt(size, 10);
    out.set(oid, buf.subarray(nl + 1, nl + 1 + len));
    pos = nl + 1 + len + 1;
  }
  return out;
}
