import * as fs from 'node:fs';

import { FluxOpsError } from '../../errors';

/**
 * A deterministic tar writer for image layers (POSIX ustar, with pax extended headers for paths
 * and link targets longer than ustar allows). Every header field that could vary between runs or
 * machines (times, owner names, device numbers) is fixed, so the same entries always produce
 * byte-identical archives and therefore the same layer digests.
 *
 * Two front ends share the header code: {@link createTar} builds a small archive in memory (test
 * images), {@link tarChunks} streams a large one (the FluxOps image: hundreds of MB of binaries),
 * reading host files as it goes.
 */

/** File content that stays on disk until the archive is streamed; `size` is checked when read. */
export interface HostFileContent {
  readonly kind: 'host-file';
  /** Absolute path on the build machine. */
  readonly path: string;
  /** Size in bytes when the entry list was made; a file that changed size since is an error. */
  readonly size: number;
}

/** Ownership and permissions of an entry. Owner names are never written, only numeric ids. */
interface EntryMeta {
  /** Path inside the archive, relative to the image root (a leading `/` is ignored). */
  readonly path: string;
  /** Permission bits; setuid/setgid are dropped. @default 0o644 for files, 0o755 for directories, 0o777 for symlinks */
  readonly mode?: number;
  /** @default 0 */
  readonly uid?: number;
  /** @default 0 */
  readonly gid?: number;
}

/** One entry of a layer tarball. */
export type TarEntry =
  | (EntryMeta & { readonly type: 'file'; readonly content: Buffer | string | HostFileContent })
  | (EntryMeta & { readonly type: 'dir' })
  | (EntryMeta & { readonly type: 'symlink'; /** Link target, as stored (relative or absolute). */ readonly target: string });

/** An entry that tar cannot represent (absolute after normalization, `..`/`.` segments, empty). */
export class InvalidTarEntryError extends FluxOpsError {
  override readonly name = 'InvalidTarEntryError';
  constructor(
    readonly entryPath: string,
    readonly reason: string,
  ) {
    super('invalid-tar-entry', `tar entry ${JSON.stringify(entryPath)}: ${reason}`);
  }
}

/** A host file whose size changed between listing and archiving (the layer would not match its listing). */
export class HostFileChangedError extends FluxOpsError {
  override readonly name = 'HostFileChangedError';
  constructor(
    readonly file: string,
    readonly expectedSize: number,
    readonly actualSize: number,
  ) {
    super('host-file-changed', `${file} changed while the layer was written: expected ${expectedSize} bytes, read ${actualSize}`);
  }
}

const BLOCK = 512;
const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);
/** Name of every pax extended header (fixed, unlike GNU tar's pid-based names). */
const PAX_HEADER_NAME = 'PaxHeader';

/** The path as stored in the archive: no leading slash, directories end with `/`. Throws {@link InvalidTarEntryError}. */
export function normalizeTarPath(entryPath: string, type: TarEntry['type']): string {
  const p = entryPath.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '' || p.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) {
    throw new InvalidTarEntryError(entryPath, 'must be a non-empty path without empty, "." or ".." segments');
  }
  if (p.includes('\0')) throw new InvalidTarEntryError(entryPath, 'must not contain NUL');
  return type === 'dir' ? `${p}/` : p;
}

/** Builds an uncompressed tar archive in memory (host-file contents are read synchronously). */
export function createTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? contentBuffer(entry.content) : Buffer.alloc(0);
    parts.push(...headerBlocks(entry, content.length));
    if (content.length > 0) parts.push(content, padding(content.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/**
 * Streams the archive for `entries` in order: header blocks, then content (large host files read
 * in 1 MiB chunks), then the two end blocks. Throws {@link HostFileChangedError} if a host file's
 * size differs from its entry.
 */
export async function* tarChunks(entries: Iterable<TarEntry>): AsyncGenerator<Buffer> {
  // Small entries are gathered into chunks of about 1 MiB: a layer of node_modules has thousands
  // of tiny files, and one await per file part would dominate the time spent hashing and gzipping.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const push = (b: Buffer) => {
    pending.push(b);
    pendingBytes += b.length;
  };
  const take = (): Buffer => {
    const out = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    return out;
  };
  for (const entry of entries) {
    const host = entry.type === 'file' && typeof entry.content === 'object' && !Buffer.isBuffer(entry.content) ? entry.content : undefined;
    if (!host || host.size <= SMALL_FILE) {
      const content = entry.type === 'file' ? (host ? await readHostFile(host) : contentBuffer(entry.content)) : Buffer.alloc(0);
      for (const b of headerBlocks(entry, content.length)) push(b);
      if (content.length > 0) push(content);
      if (content.length % BLOCK !== 0) push(padding(content.length));
      if (pendingBytes >= CHUNK) yield take();
      continue;
    }
    for (const b of headerBlocks(entry, host.size)) push(b);
    yield take();
    let read = 0;
    for await (const chunk of fs.createReadStream(host.path, { highWaterMark: CHUNK })) {
      const buf = chunk as Buffer;
      read += buf.length;
      if (read > host.size) throw new HostFileChangedError(host.path, host.size, read);
      yield buf;
    }
    if (read !== host.size) throw new HostFileChangedError(host.path, host.size, read);
    if (host.size % BLOCK !== 0) push(padding(host.size));
  }
  push(END_OF_ARCHIVE);
  yield take();
}

const CHUNK = 1 << 20;
/** Host files up to this size are read whole (one read instead of a stream). */
const SMALL_FILE = 4 << 20;

async function readHostFile(host: HostFileContent): Promise<Buffer> {
  const data = await fs.promises.readFile(host.path);
  if (data.length !== host.size) throw new HostFileChangedError(host.path, host.size, data.length);
  return data;
}

/** Size in bytes of the content of `entry` (0 for directories and symlinks). */
export function tarEntrySize(entry: TarEntry): number {
  if (entry.type !== 'file') return 0;
  const c = entry.content;
  if (typeof c === 'string') return Buffer.byteLength(c, 'utf8');
  return Buffer.isBuffer(c) ? c.length : c.size;
}

function contentBuffer(content: Buffer | string | HostFileContent): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (Buffer.isBuffer(content)) return content;
  const data = fs.readFileSync(content.path);
  if (data.length !== content.size) throw new HostFileChangedError(content.path, content.size, data.length);
  return data;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

const TYPE_FLAG: Record<TarEntry['type'], string> = { file: '0', dir: '5', symlink: '2' };
const DEFAULT_MODE: Record<TarEntry['type'], number> = { file: 0o644, dir: 0o755, symlink: 0o777 };

/** The header block(s) of one entry: a pax header first when the path or link target does not fit ustar. */
function headerBlocks(entry: TarEntry, size: number): Buffer[] {
  const name = normalizeTarPath(entry.path, entry.type);
  const target = entry.type === 'symlink' ? entry.target : '';
  if (entry.type === 'symlink' && (target === '' || target.includes('\0'))) {
    throw new InvalidTarEntryError(entry.path, 'symlink target must be non-empty and without NUL');
  }
  const uid = entry.uid ?? 0;
  const gid = entry.gid ?? 0;
  for (const [field, id] of [['uid', uid], ['gid', gid]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > 0o7777777) throw new InvalidTarEntryError(entry.path, `${field} ${id} is not a valid id`);
  }
  if (!Number.isInteger(size) || size < 0) throw new InvalidTarEntryError(entry.path, `size ${size} is not a byte count`);
  // setuid/setgid never make it into an image; the sticky bit (/tmp) does.
  const mode = (entry.mode ?? DEFAULT_MODE[entry.type]) & 0o1777;
  const pax: [string, string][] = [];
  if (!fitsUstar(name)) pax.push(['path', name]);
  if (!fitsUstar(target)) pax.push(['linkpath', target]);
  const blocks: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
    blocks.push(header({ name: PAX_HEADER_NAME, type: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, linkname: '' }), body, padding(body.length));
  }
  blocks.push(
    header({
      name: fitsUstar(name) ? name : asciiPrefix(name),
      type: TYPE_FLAG[entry.type],
      mode,
      uid,
      gid,
      size,
      linkname: fitsUstar(target) ? target : asciiPrefix(target),
    }),
  );
  return blocks;
}

function fitsUstar(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') <= 100 && /^[\x20-\x7e]*$/.test(s);
}

/** The ustar name of an entry that has its real name in a pax header: a stable, ASCII, truncated form. */
function asciiPrefix(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}

/** One pax record, `<length> <key>=<value>\n`, where length counts the whole record including itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restLen = Buffer.byteLength(rest, 'utf8');
  let len = restLen + 1;
  while (String(len).length + restLen !== len) len = String(len).length + restLen;
  return `${len}${rest}`;
}

interface HeaderFields {
  readonly name: string;
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly linkname: string;
}

function header(f: HeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(f.name, 0, 100, 'utf8');
  writeOctal(h, 100, 8, f.mode, f.name);
  writeOctal(h, 108, 8, f.uid, f.name);
  writeOctal(h, 116, 8, f.gid, f.name);
  writeOctal(h, 124, 12, f.size, f.name);
  writeOctal(h, 136, 12, 0, f.name); // mtime: the epoch, so archives do not depend on the clock
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write(f.type, 156, 1, 'ascii');
  h.write(f.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  // Owner names only for root (what every image tool writes); other owners are numeric only.
  if (f.uid === 0) h.write('root', 265, 32, 'ascii');
  if (f.gid === 0) h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number, entryPath: string): void {
  if (value >= 8 ** (length - 1)) throw new InvalidTarEntryError(entryPath, `${value} does not fit a ${length - 1}-digit octal header field`);
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}
