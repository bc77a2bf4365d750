/**
 * A minimal, deterministic ustar writer: enough to build real image layers without Docker.
 * Every header field that could vary between runs (owner, times) is fixed, so the same entries
 * always produce byte-identical archives and therefore the same layer digests.
 */

/** One file or directory inside a layer tarball. */
export type TarEntry =
  | { readonly type: 'file'; readonly path: string; readonly content: Buffer | string; /** @default 0o644 */ readonly mode?: number }
  | { readonly type: 'dir'; readonly path: string; /** @default 0o755 */ readonly mode?: number };

/** An entry that ustar cannot represent (path too long, absolute or with `..`). */
export class InvalidTarEntryError extends Error {
  override readonly name = 'InvalidTarEntryError';
  constructor(readonly entryPath: string, reason: string) {
    super(`tar entry ${JSON.stringify(entryPath)}: ${reason}`);
  }
}

const BLOCK = 512;

/** Builds an uncompressed tar archive (ustar format, two zero blocks at the end). */
export function createTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = normalizeEntryPath(entry);
    const content = entry.type === 'file' ? toBuffer(entry.content) : Buffer.alloc(0);
    const mode = entry.mode ?? (entry.type === 'file' ? 0o644 : 0o755);
    parts.push(header(name, entry.type, mode, content.length));
    if (content.length > 0) {
      parts.push(content);
      const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function toBuffer(content: Buffer | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

function normalizeEntryPath(entry: TarEntry): string {
  // Layers name files relative to the root; a leading slash is the user's way of saying "absolute in the image".
  let p = entry.path.replace(/^\/+/, '');
  if (p === '' || p.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw new InvalidTarEntryError(entry.path, 'must be a non-empty path without "." or ".." segments');
  }
  if (entry.type === 'dir' && !p.endsWith('/')) p += '/';
  if (Buffer.byteLength(p, 'utf8') > 100) {
    // ustar's prefix field would allow 255 bytes, but test layers never need it; refuse rather than truncate.
    throw new InvalidTarEntryError(entry.path, 'longer than 100 bytes');
  }
  return p;
}

function header(name: string, type: 'file' | 'dir', mode: number, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, 0); // mtime: the epoch, so archives do not depend on the clock
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write(type === 'file' ? '0' : '5', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}
