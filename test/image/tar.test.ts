import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { createTar, HostFileChangedError, InvalidTarEntryError, tarChunks, type TarEntry } from '../../image/oci/tar';

/** The tar writer against GNU tar (the reader every container runtime's unpacker agrees with). */

async function collect(entries: TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of tarChunks(entries)) parts.push(c);
  return Buffer.concat(parts);
}

function gnuTar(args: string[], input: Buffer): string {
  const r = spawnSync('tar', args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('tar writer', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-tar-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const longDir = `fluxops/node_modules/@kubernetes/client-node/dist/gen/models/${'v1beta1-very-long-segment-name/'.repeat(3)}`;
  const longFile = `${longDir}V1beta1ValidatingAdmissionPolicyBindingSpec.js`;

  it('writes files, directories, symlinks, long paths (pax) and owners that GNU tar reads back exactly', () => {
    const tar = createTar([
      { type: 'dir', path: 'var/lib/fluxops', uid: 65532, gid: 65532, mode: 0o755 },
      { type: 'dir', path: 'tmp', mode: 0o1777 },
      { type: 'file', path: '/usr/local/bin/node', content: 'ELF', mode: 0o4755 },
      { type: 'symlink', path: 'bin/sh', target: 'dash' },
      { type: 'symlink', path: 'long/link', target: `../${longFile}` },
      { type: 'file', path: longFile, content: 'module.exports = 1;\n' },
      { type: 'file', path: 'etc/ünïcode.txt', content: 'x' },
    ]);
    expect(tar.length % 512).toBe(0);
    const listing = gnuTar(['--numeric-owner', '-tvf', '-'], tar).trim().split('\n');
    expect(listing.map((l) => l.replace(/\s+/g, ' ').replace(/ 1970-01-01 00:00 /, ' EPOCH '))).toEqual([
      'drwxr-xr-x 65532/65532 0 EPOCH var/lib/fluxops/',
      'drwxrwxrwt 0/0 0 EPOCH tmp/',
      // setuid is dropped: nothing in an image runs with raised privileges.
      '-rwxr-xr-x 0/0 3 EPOCH usr/local/bin/node',
      'lrwxrwxrwx 0/0 0 EPOCH bin/sh -> dash',
      `lrwxrwxrwx 0/0 0 EPOCH long/link -> ../${longFile}`,
      `-rw-r--r-- 0/0 20 EPOCH ${longFile}`,
      '-rw-r--r-- 0/0 1 EPOCH etc/ünïcode.txt',
    ]);
    expect(gnuTar(['-xOf', '-', longFile], tar)).toBe('module.exports = 1;\n');
  });

  it('streams host files in chunks and gives the same bytes as the in-memory writer', async () => {
    const big = path.join(tmp, 'big.bin');
    const data = Buffer.alloc(3 * (1 << 20) + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    fs.writeFileSync(big, data);
    const entries: TarEntry[] = [
      { type: 'dir', path: 'opt' },
      { type: 'file', path: 'opt/big.bin', mode: 0o755, content: { kind: 'host-file', path: big, size: data.length } },
      { type: 'file', path: 'opt/small', content: Buffer.from('abc') },
    ];
    const streamed = await collect(entries);
    expect(streamed.equals(createTar(entries))).toBe(true);
    expect(streamed.equals(await collect(entries))).toBe(true);
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    gnuTar(['-xf', '-', '-C', out], streamed);
    expect(fs.readFileSync(path.join(out, 'opt/big.bin')).equals(data)).toBe(true);
  });

  it('refuses a host file whose size changed since it was listed', async () => {
    const f = path.join(tmp, 'f');
    fs.writeFileSync(f, 'four');
    await expect(collect([{ type: 'file', path: 'f', content: { kind: 'host-file', path: f, size: 3 } }])).rejects.toThrow(HostFileChangedError);
    await expect(collect([{ type: 'file', path: 'f', content: { kind: 'host-file', path: f, size: 5 } }])).rejects.toThrow(HostFileChangedError);
  });

  it.each([['../etc/passwd'], ['a/./b'], ['a//b'], [''], ['/']])('refuses the path %j', (p) => {
    expect(() => createTar([{ type: 'file', path: p, content: '' }])).toThrow(InvalidTarEntryError);
  });

  it('refuses ids tar cannot store and empty symlink targets', () => {
    expect(() => createTar([{ type: 'file', path: 'a', content: '', uid: -1 }])).toThrow(InvalidTarEntryError);
    expect(() => createTar([{ type: 'symlink', path: 'a', target: '' }])).toThrow(InvalidTarEntryError);
  });
});
