import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { assembleBase, type UnpackedDebianPackage } from '../../image/base';
import { globToRegExp, type PackageSelection } from '../../image/base/base-spec';
import { ElfFormatError, parseElf, readElf } from '../../image/base/elf';
import { ImageContentError } from '../../image/errors';
import { imagePlatform } from '../../image/platforms';

/**
 * The ELF reader and the base assembly against real binaries of this (amd64 Debian) machine:
 * dash and the C library it loads are laid out as two "unpacked packages".
 */

const HOST_DASH = '/usr/bin/dash';
const HOST_LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
const HOST_LD = '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2';
const onAmd64Debian = process.arch === 'x64' && [HOST_DASH, HOST_LIBC, HOST_LD].every((f) => fs.existsSync(f));
const describeHost = onAmd64Debian ? describe : describe.skip;

describe('readElf', () => {
  (onAmd64Debian ? it : it.skip)('reads the machine, interpreter and needed libraries of a dynamic executable', () => {
    expect(readElf(HOST_DASH)).toEqual({ machine: 62, type: 3, interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6'] });
    const libc = readElf(HOST_LIBC);
    expect(libc.machine).toBe(62);
    expect(libc.needed).toEqual(['ld-linux-x86-64.so.2']);
  });

  it('reads Node itself (a dynamic C++ executable)', () => {
    const node = readElf(process.execPath);
    expect(node.needed).toEqual(expect.arrayContaining(['libc.so.6']));
    expect(node.interpreter).toMatch(/^\/lib.*\/ld-linux/);
  });

  it('rejects what is not a 64-bit little-endian ELF file, naming it', () => {
    expect(() => parseElf(Buffer.from('#!/bin/sh\necho hi\n'.repeat(8)), 'script')).toThrow(ElfFormatError);
    const header = fs.readFileSync(process.execPath).subarray(0, 4096);
    const elf32 = Buffer.from(header);
    elf32[4] = 1;
    expect(() => parseElf(elf32, 'elf32')).toThrow(/elf32: .*not 64-bit/);
    // A header whose tables point past the end of the data.
    expect(() => parseElf(header.subarray(0, 64), 'truncated')).toThrow(ElfFormatError);
  });
});

describe('globToRegExp', () => {
  it.each([
    ['usr/lib/git-core/**', 'usr/lib/git-core/mergetools/meld', true],
    ['usr/lib/git-core/*', 'usr/lib/git-core/mergetools/meld', false],
    ['usr/bin/git', 'usr/bin/git-shell', false],
    ['usr/share/ca-certificates/*/*.crt', 'usr/share/ca-certificates/mozilla/A.crt', true],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (glob, p, expected) => {
    expect(globToRegExp(glob).test(p)).toBe(expected);
  });
});

describeHost('assembleBase', () => {
  let tmp: string;
  let packages: UnpackedDebianPackage[];
  const spec: PackageSelection[] = [
    { package: 'dash', reason: 'test', include: ['bin/*'], exclude: ['bin/unwanted'], symlinks: { 'bin/sh': 'dash' } },
    { package: 'libc6', reason: 'test', include: [] },
  ];

  const unpacked = (name: string, files: Record<string, string | { link: string }>): UnpackedDebianPackage => {
    const root = path.join(tmp, name);
    for (const [rel, src] of Object.entries(files)) {
      const dest = path.join(root, rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (typeof src === 'string') fs.copyFileSync(src, dest);
      else fs.symlinkSync(src.link, dest);
    }
    fs.mkdirSync(path.join(root, 'usr/share/doc', name), { recursive: true });
    fs.writeFileSync(path.join(root, 'usr/share/doc', name, 'copyright'), `${name} licence\n`);
    return {
      locked: { name, version: '1.0-1', architecture: 'amd64', sha256: '0'.repeat(64), size: 1 },
      deb: '/dev/null',
      root,
      control: `Package: ${name}\nVersion: 1.0-1\nArchitecture: amd64\n`,
    };
  };

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-base-'));
    packages = [
      unpacked('dash', { 'bin/dash': HOST_DASH, 'bin/unwanted': HOST_DASH, 'usr/share/man/man1/dash.1': HOST_DASH }),
      unpacked('libc6', {
        'lib/x86_64-linux-gnu/libc.so.6': HOST_LIBC,
        'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2': HOST_LD,
        'lib/x86_64-linux-gnu/libunused.so.1': HOST_LIBC,
        'lib64/ld-linux-x86-64.so.2': { link: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
      }),
    ];
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('takes the selected programs and exactly the libraries and loader they need, plus the distroless files', () => {
    const base = assembleBase({ platform: imagePlatform('linux/amd64'), packages, extraPrograms: [], spec });
    const byPath = new Map(base.entries.map((e) => [e.path.replace(/^\/+/, ''), e]));
    expect([...byPath.keys()].sort()).toEqual(
      [
        'bin/dash',
        'bin/sh',
        'etc/group',
        'etc/nsswitch.conf',
        'etc/passwd',
        'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
        'lib/x86_64-linux-gnu/libc.so.6',
        'lib64/ld-linux-x86-64.so.2',
        'root',
        'tmp',
        'usr/local/bin',
        'usr/share/doc/dash/copyright',
        'usr/share/doc/libc6/copyright',
        'var/lib/dpkg/status.d/dash',
        'var/lib/dpkg/status.d/libc6',
        'var/lib/fluxops',
      ].sort(),
    );
    expect(byPath.get('bin/sh')).toEqual({ type: 'symlink', path: 'bin/sh', target: 'dash' });
    expect(byPath.get('lib64/ld-linux-x86-64.so.2')).toMatchObject({ type: 'symlink', target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' });
    expect(byPath.get('var/lib/fluxops')).toMatchObject({ uid: 65532, gid: 65532 });
    expect(byPath.get('etc/passwd')).toMatchObject({ content: expect.stringContaining('fluxops:x:65532:65532:FluxOps:/var/lib/fluxops:') });
    expect(byPath.get('var/lib/dpkg/status.d/libc6')).toMatchObject({ content: 'Package: libc6\nVersion: 1.0-1\nArchitecture: amd64\n' });
    expect(base.libraries).toEqual(['/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
    expect(base.packages.map((p) => p.name)).toEqual(['dash', 'libc6']);
  });

  it('resolves the libraries of programs from other layers too', () => {
    const withoutDash = assembleBase({ platform: imagePlatform('linux/amd64'), packages, spec: [spec[1] as PackageSelection], extraPrograms: [{ imagePath: '/usr/local/bin/sh2', hostPath: HOST_DASH }] });
    expect(withoutDash.libraries).toContain('/lib/x86_64-linux-gnu/libc.so.6');
    expect(withoutDash.entries.some((e) => e.path === 'bin/dash')).toBe(false);
  });

  it('fails on a library no package provides, naming the program and the soname', () => {
    fs.rmSync(path.join(tmp, 'libc6', 'lib/x86_64-linux-gnu/libc.so.6'));
    expect(() => assembleBase({ platform: imagePlatform('linux/amd64'), packages, extraPrograms: [], spec })).toThrow(
      expect.objectContaining({ name: 'ImageContentError', subject: '/bin/dash', reason: expect.stringContaining('needs libc.so.6') }),
    );
  });

  it('fails on a program built for another architecture', () => {
    let err: unknown;
    try {
      assembleBase({ platform: imagePlatform('linux/arm64'), packages, extraPrograms: [], spec });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageContentError);
    expect((err as ImageContentError).reason).toMatch(/ELF machine 62, not 183/);
  });

  it('fails on a selected package missing from the lock', () => {
    expect(() => assembleBase({ platform: imagePlatform('linux/amd64'), packages: [packages[0] as UnpackedDebianPackage], extraPrograms: [], spec })).toThrow(/libc6: is in the base selection but not in the Debian lock/);
  });
});
