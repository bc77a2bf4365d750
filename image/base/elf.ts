import * as fs from 'node:fs';

import { FluxOpsError } from '../../errors';

/**
 * Just enough of ELF to assemble a minimal root file system: an executable's architecture, its
 * program interpreter (the dynamic loader) and the shared libraries it needs (`DT_NEEDED`).
 * 64-bit little-endian only, which covers both image platforms (x86-64 and AArch64).
 */

/** What the image builder needs to know about one ELF file. */
export interface ElfInfo {
  /** `e_machine` (62 = x86-64, 183 = AArch64). */
  readonly machine: number;
  /** `e_type`: 2 = executable, 3 = shared object or position-independent executable. */
  readonly type: number;
  /** Path of the program interpreter (`PT_INTERP`), absent for static binaries and plain libraries. */
  readonly interpreter?: string;
  /** Sonames from `DT_NEEDED`, in file order. */
  readonly needed: readonly string[];
}

/** A file that starts like ELF but cannot be read as a 64-bit little-endian ELF file. */
export class ElfFormatError extends FluxOpsError {
  override readonly name = 'ElfFormatError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super('elf-format', `${file}: not a readable ELF64 little-endian file: ${reason}`);
  }
}

const MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const PT_INTERP = 3;
const SHT_DYNAMIC = 6;
const DT_NULL = 0;
const DT_NEEDED = 1;

/** Whether `file` starts with the ELF magic (reads 4 bytes). */
export function isElfFile(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return fs.readSync(fd, head, 0, 4, 0) === 4 && head.equals(MAGIC);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads the architecture, interpreter and needed libraries of the ELF file at `file` (headers only). */
export function readElf(file: string): ElfInfo {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    return parseElfWith(size, file, (offset, length) => {
      const out = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      fs.readSync(fd, out, 0, out.length, offset);
      return out;
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses an ELF image held in memory; `name` is used in errors. */
export function parseElf(buf: Buffer, name: string): ElfInfo {
  return parseElfWith(buf.length, name, (offset, length) => buf.subarray(offset, offset + length));
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
type ReadAt = (offset: number, length: number) => Buffer;

function parseElfWith(fileSize: number, name: string, read: ReadAt): ElfInfo {
  const eh = read(0, 64);
  if (eh.length < 64 || !eh.subarray(0, 4).equals(MAGIC)) throw new ElfFormatError(name, 'no ELF header');
  if (eh[4] !== 2) throw new ElfFormatError(name, 'not 64-bit (EI_CLASS)');
  if (eh[5] !== 1) throw new ElfFormatError(name, 'not little-endian (EI_DATA)');
  const type = eh.readUInt16LE(16);
  const machine = eh.readUInt16LE(18);
  const phoff = offsetIn(eh.readBigUInt64LE(32), fileSize, name, 'e_phoff');
  const shoff = offsetIn(eh.readBigUInt64LE(40), fileSize, name, 'e_shoff');
  const phentsize = eh.readUInt16LE(54);
  const phnum = eh.readUInt16LE(56);
  const shentsize = eh.readUInt16LE(58);
  const shnum = eh.readUInt16LE(60);
  const exact = (offset: number, length: number, what: string): Buffer => {
    const b = read(offset, length);
    if (b.length !== length) throw new ElfFormatError(name, `${what} past the end of the file`);
    return b;
  };

  let interpreter: string | undefined;
  if (phnum > 0) {
    const table = exact(phoff, phnum * phentsize, 'program header table');
    for (let i = 0; i < phnum; i++) {
      const ph = i * phentsize;
      if (table.readUInt32LE(ph) !== PT_INTERP) continue;
      const off = offsetIn(table.readBigUInt64LE(ph + 8), fileSize, name, 'PT_INTERP offset');
      const size = Number(table.readBigUInt64LE(ph + 32));
      interpreter = cString(exact(off, size, 'PT_INTERP'), 0, name);
    }
  }

  const needed: string[] = [];
  if (shoff !== 0 && shnum > 0) {
    const table = exact(shoff, shnum * shentsize, 'section header table');
    const section = (index: number) => {
      if (index >= shnum) throw new ElfFormatError(name, `section ${index} does not exist`);
      const sh = index * shentsize;
      // Offsets are checked only for the sections read: NOBITS sections may point anywhere.
      return {
        type: table.readUInt32LE(sh + 4),
        offset: () => offsetIn(table.readBigUInt64LE(sh + 24), fileSize, name, 'sh_offset'),
        size: Number(table.readBigUInt64LE(sh + 32)),
        link: table.readUInt32LE(sh + 40),
      };
    };
    for (let i = 0; i < shnum; i++) {
      const dyn = section(i);
      if (dyn.type !== SHT_DYNAMIC) continue;
      const strtabHeader = section(dyn.link);
      const strtab = exact(strtabHeader.offset(), strtabHeader.size, 'dynamic string table');
      const entries = exact(dyn.offset(), dyn.size, 'dynamic section');
      for (let off = 0; off + 16 <= entries.length; off += 16) {
        const tag = Number(entries.readBigInt64LE(off));
        if (tag === DT_NULL) break;
        if (tag === DT_NEEDED) needed.push(cString(strtab, Number(entries.readBigUInt64LE(off + 8)), name));
      }
    }
  }
  return { machine, type, ...(interpreter !== undefined ? { interpreter } : {}), needed };
}

function offsetIn(v: bigint, fileSize: number, name: string, field: string): number {
  if (v > BigInt(fileSize)) throw new ElfFormatError(name, `${field} ${v} is past the end of the file`);
  return Number(v);
}

function cString(buf: Buffer, start: number, name: string): string {
  const nul = buf.indexOf(0, start);
  if (start >= buf.length || nul < 0) throw new ElfFormatError(name, `unterminated string at offset ${start}`);
  return buf.toString('utf8', start, nul);
}
