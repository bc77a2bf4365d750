import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { OUTPUT_MANIFEST, OutputDirectoryError, writeManifests } from '../../../reconciler/synth/write-manifests';

const files = (names: string[], tag = 'v1') => names.map((fileName) => ({ fileName, yaml: `# ${fileName} ${tag}\n` }));
const list = (dir: string) => fs.readdirSync(dir).sort();

describe('synth --out: writeManifests', () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-out-'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('writes the files and a record of them into a new directory', () => {
    const dir = path.join(base, 'out');
    const r = writeManifests(files(['000-namespace-cluster-a.yaml', '001-deployment-a-web.yaml']), dir);
    expect(list(dir)).toEqual([OUTPUT_MANIFEST, '000-namespace-cluster-a.yaml', '001-deployment-a-web.yaml'].sort());
    expect(r.written).toEqual([path.join(dir, '000-namespace-cluster-a.yaml'), path.join(dir, '001-deployment-a-web.yaml')]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_MANIFEST), 'utf8')).files).toEqual(['000-namespace-cluster-a.yaml', '001-deployment-a-web.yaml']);
  });

  it('removes only files it wrote before, never a user file that looks like one', () => {
    const dir = path.join(base, 'out');
    writeManifests(files(['000-namespace-cluster-a.yaml', '001-deployment-a-old.yaml']), dir);
    fs.writeFileSync(path.join(dir, '007-deployment-a-mine.yaml'), 'user file\n');
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: []\n');
    fs.mkdirSync(path.join(dir, 'patches'));
    fs.writeFileSync(path.join(dir, 'patches', 'p.yaml'), 'patch\n');
    const inode = fs.statSync(path.join(dir, '007-deployment-a-mine.yaml')).ino;
    const r = writeManifests(files(['000-namespace-cluster-a.yaml', '001-deployment-a-new.yaml'], 'v2'), dir);
    expect(r.removed).toEqual([path.join(dir, '001-deployment-a-old.yaml')]);
    expect(list(dir)).toEqual([OUTPUT_MANIFEST, '000-namespace-cluster-a.yaml', '001-deployment-a-new.yaml', '007-deployment-a-mine.yaml', 'kustomization.yaml', 'patches'].sort());
    expect(fs.readFileSync(path.join(dir, '007-deployment-a-mine.yaml'), 'utf8')).toBe('user file\n');
    expect(fs.statSync(path.join(dir, '007-deployment-a-mine.yaml')).ino).toBe(inode);
    expect(fs.readFileSync(path.join(dir, 'patches', 'p.yaml'), 'utf8')).toBe('patch\n');
    expect(fs.readFileSync(path.join(dir, '000-namespace-cluster-a.yaml'), 'utf8')).toContain('v2');
    // no temporary directories are left next to it
    expect(list(base)).toEqual(['out']);
  });

  it('refuses to overwrite a file it did not write, and changes nothing', () => {
    const dir = path.join(base, 'out');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '000-namespace-cluster-a.yaml'), 'mine\n');
    expect(() => writeManifests(files(['000-namespace-cluster-a.yaml']), dir)).toThrow(OutputDirectoryError);
    expect(() => writeManifests(files(['000-namespace-cluster-a.yaml']), dir)).toThrow(/000-namespace-cluster-a\.yaml exists and was not written by fluxops synth/);
    expect(list(dir)).toEqual(['000-namespace-cluster-a.yaml']);
    expect(fs.readFileSync(path.join(dir, '000-namespace-cluster-a.yaml'), 'utf8')).toBe('mine\n');
  });

  it('a corrupt record is an error, not a licence to delete', () => {
    const dir = path.join(base, 'out');
    writeManifests(files(['000-a.yaml']), dir);
    fs.writeFileSync(path.join(dir, OUTPUT_MANIFEST), '{"files": ["../../etc/passwd"]');
    expect(() => writeManifests(files(['001-b.yaml']), dir)).toThrow(/\.fluxops-synth\.json is corrupt/);
    expect(list(dir)).toEqual([OUTPUT_MANIFEST, '000-a.yaml'].sort());
  });

  it('the swap is atomic: a reader sees the old set or the new set', () => {
    const dir = path.join(base, 'out');
    writeManifests(files(['000-a.yaml', '001-b.yaml']), dir);
    const old = fs.statSync(dir).ino;
    writeManifests(files(['000-a.yaml', '002-c.yaml'], 'v2'), dir);
    // A new directory replaced the old one by rename (a different inode), never a half-written one.
    expect(fs.statSync(dir).ino).not.toBe(old);
    expect(list(dir)).toEqual([OUTPUT_MANIFEST, '000-a.yaml', '002-c.yaml'].sort());
  });

  it('refuses file names that escape the directory', () => {
    expect(() => writeManifests([{ fileName: '../x.yaml', yaml: '' }], path.join(base, 'out'))).toThrow(/refusing to write the file name/);
    expect(fs.existsSync(path.join(base, 'out'))).toBe(false);
  });
});
