import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { readTree } from './fixture-tree';
import { parseImageLock, synthesize } from '../../../../constructs';
import exampleFleet from '../../../../examples/edge-fleet/fleet';
import { SetterImage, SetterInputError, SetterYamlError, isSetterCandidate, parseSetterName, readSetterComment, setterImages, updateLockText, updateSetters } from '../../../../reconciler/images/lock';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/lock-rewrite/setters');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

const GW: Record<string, SetterImage> = { 'flux-system:gw': { name: 'registry.local:5000/edge/gateway', tag: '1.5.0', digest: `sha256:${'b'.repeat(64)}` } };

describe('updateSetters: golden before/after directories', () => {
  const cases = fs.readdirSync(FIXTURES).sort();

  test('the fixture table is complete', () => {
    expect(cases.length).toBeGreaterThanOrEqual(6);
  });

  test.each(cases)('%s', (name) => {
    const before = readTree(path.join(FIXTURES, name, 'before'));
    const after = readTree(path.join(FIXTURES, name, 'after'));
    const images = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'images.json'), 'utf8')) as Record<string, SetterImage>;
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8')) as {
      changedFiles: string[];
      changes: unknown[];
      problems: unknown[];
    };

    const result = updateSetters(before, images);

    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const file of Object.keys(before)) {
      if (after[file] === before[file]) expect(result.files).not.toHaveProperty([file]);
      else expect(result.files[file]).toBe(after[file]);
    }
    expect(Object.keys(result.files).sort()).toEqual(expected.changedFiles);
    expect(result.changes).toEqual(expected.changes);
    expect(result.problems.map(({ comment: _c, ...p }) => p)).toEqual(expected.problems);
    // Every problem about a marker quotes the comment it is about.
    for (const p of result.problems) if (p.code !== 'not-a-resource-file') expect(p.comment).toContain('$imagepolicy');
    // Applying the same images again changes nothing more.
    expect(updateSetters({ ...before, ...result.files }, images).files).toEqual({});
  });

  test('outside the marked scalars, changed files are byte-identical', () => {
    for (const name of fs.readdirSync(FIXTURES)) {
      const before = readTree(path.join(FIXTURES, name, 'before'));
      const images = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'images.json'), 'utf8')) as Record<string, SetterImage>;
      const result = updateSetters(before, images);
      for (const [file, text] of Object.entries(result.files)) {
        const changes = result.changes.filter((c) => c.file === file);
        const oldLines = before[file].split('\n');
        const newLines = text.split('\n');
        expect(newLines.length).toBe(oldLines.length);
        const changedLines = oldLines.map((l, i) => (l === newLines[i] ? -1 : i + 1)).filter((i) => i > 0);
        expect(changedLines).toEqual([...new Set(changes.map((c) => c.line))].sort((a, b) => a - b));
      }
    }
  });
});

describe('updateSetters: behaviour', () => {
  test('the whole reference keeps a digest only when it had one; tag, name and digest markers set one part', () => {
    const files = {
      'a.yaml': [
        'a: registry.local:5000/edge/gateway:1.0 # {"$imagepolicy": "flux-system:gw"}',
        `b: registry.local:5000/edge/gateway:1.0@sha256:${'a'.repeat(64)} # {"$imagepolicy": "flux-system:gw"}`,
        'c: "1.0" # {"$imagepolicy": "flux-system:gw:tag"}',
        'd: old/name # {"$imagepolicy": "flux-system:gw:name"}',
        `e: sha256:${'a'.repeat(64)} # {"$imagepolicy": "flux-system:gw:digest"}`,
        '',
      ].join('\n'),
    };
    const r = updateSetters(files, GW);
    expect(r.files['a.yaml']).toBe(
      [
        'a: registry.local:5000/edge/gateway:1.5.0 # {"$imagepolicy": "flux-system:gw"}',
        `b: registry.local:5000/edge/gateway:1.5.0@sha256:${'b'.repeat(64)} # {"$imagepolicy": "flux-system:gw"}`,
        'c: "1.5.0" # {"$imagepolicy": "flux-system:gw:tag"}',
        'd: registry.local:5000/edge/gateway # {"$imagepolicy": "flux-system:gw:name"}',
        `e: sha256:${'b'.repeat(64)} # {"$imagepolicy": "flux-system:gw:digest"}`,
        '',
      ].join('\n'),
    );
    expect(r.changes.map((c) => [c.line, c.column, c.field, c.policy])).toEqual([
      [1, 4, 'image', 'flux-system:gw'],
      [2, 4, 'image', 'flux-system:gw'],
      [3, 4, 'tag', 'flux-system:gw'],
      [4, 4, 'name', 'flux-system:gw'],
      [5, 4, 'digest', 'flux-system:gw'],
    ]);
    expect(r.problems).toEqual([]);
  });

  test('a pinned reference loses its digest when the new image has none (a stale digest would win over the tag)', () => {
    const r = updateSetters({ 'a.yaml': `a: r/x:1.0@sha256:${'a'.repeat(64)} # {"$imagepolicy": "ns:p"}\n` }, { 'ns:p': { name: 'r/x', tag: '2.0' } });
    expect(r.files['a.yaml']).toBe('a: r/x:2.0 # {"$imagepolicy": "ns:p"}\n');
  });

  test('values that would read as another type are double-quoted, as Flux does', () => {
    const r = updateSetters({ 'v.yaml': 'tag: v1 # {"$imagepolicy": "ns:p:tag"}\nlist: [v1, # {"$imagepolicy": "ns:p:tag"}\n  x]\n' }, { 'ns:p': { name: 'r/x', tag: '1.10' } });
    expect(r.files['v.yaml']).toBe('tag: "1.10" # {"$imagepolicy": "ns:p:tag"}\nlist: ["1.10", # {"$imagepolicy": "ns:p:tag"}\n  x]\n');
  });

  test('unchanged values are not reported and unchanged files are not returned', () => {
    const text = 'a: registry.local:5000/edge/gateway:1.5.0 # {"$imagepolicy": "flux-system:gw"}\n';
    expect(updateSetters({ 'a.yaml': text }, GW)).toEqual({ files: {}, changes: [], problems: [] });
  });

  test('files without the "$imagepolicy" token are never parsed (Helm templates, broken files)', () => {
    const r = updateSetters({ 'chart/templates/x.yaml': '{{ if .Values.x }}\n: : :\n', 'b.yaml': 'x: [\n' }, GW);
    expect(r).toEqual({ files: {}, changes: [], problems: [] });
  });

  test('a marker naming an unknown policy is a problem, not an exception, and other markers still apply', () => {
    const r = updateSetters(
      { 'a.yaml': 'a: r/x:1 # {"$imagepolicy": "flux-system:other"}\nb: r/x:1 # {"$imagepolicy": "flux-system:gw:tag"}\n' },
      GW,
    );
    expect(r.problems).toEqual([
      {
        code: 'unknown-policy',
        file: 'a.yaml',
        line: 1,
        column: 10,
        comment: '# {"$imagepolicy": "flux-system:other"}',
        setter: 'flux-system:other',
        reason: 'no image policy "flux-system:other" is being applied',
      },
    ]);
    expect(r.changes).toHaveLength(1);
    expect(r.files['a.yaml']).toBe('a: r/x:1 # {"$imagepolicy": "flux-system:other"}\nb: 1.5.0 # {"$imagepolicy": "flux-system:gw:tag"}\n');
  });

  test('a marker on a mapping is a problem naming file and line', () => {
    const r = updateSetters({ 'm.yaml': 'x: 1\nimage: # {"$imagepolicy": "flux-system:gw"}\n  repository: r/x\n' }, GW);
    expect(r.files).toEqual({});
    expect(r.problems).toEqual([expect.objectContaining({ code: 'marker-not-on-scalar', file: 'm.yaml', line: 2, column: 8 })]);
  });

  test('multi-document files report the document and the object of each change', () => {
    const r = updateSetters(
      {
        'm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n  namespace: n\nspec:\n  image: r/x:1 # {"$imagepolicy": "flux-system:gw"}\n',
      },
      GW,
    );
    expect(r.changes).toEqual([
      expect.objectContaining({ document: 1, line: 11, object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'b', namespace: 'n' } }),
    ]);
  });

  test('CRLF and BOM are kept, lines are counted from the BOM-less start', () => {
    const r = updateSetters({ 'w.yaml': '\uFEFFa: r/x:1 # {"$imagepolicy": "flux-system:gw"}\r\nb: 2\r\n' }, GW);
    expect(r.files['w.yaml']).toBe('\uFEFFa: registry.local:5000/edge/gateway:1.5.0 # {"$imagepolicy": "flux-system:gw"}\r\nb: 2\r\n');
    expect(r.changes[0]).toMatchObject({ line: 1, column: 4 });
  });
});

describe('updateSetters: bad input changes nothing', () => {
  test('invalid YAML in any marked file throws one typed error naming every bad file, and nothing changes', () => {
    const files = {
      'good.yaml': 'a: r/x:1 # {"$imagepolicy": "flux-system:gw"}\n',
      'z-bad.yaml': 'a: r/x:1 # {"$imagepolicy": "flux-system:gw"}\nb: [\n',
      'dup.yaml': 'a: r/x:1 # {"$imagepolicy": "flux-system:gw"}\na: 2\n',
    };
    const err = thrown(() => updateSetters(files, GW));
    expect(err).toBeInstanceOf(SetterYamlError);
    const e = err as SetterYamlError;
    expect(e.code).toBe('invalid-yaml');
    expect(e.files.map((f) => [f.file, f.line])).toEqual([
      ['dup.yaml', 2],
      ['z-bad.yaml', 3],
    ]);
    expect(e.file).toBe('dup.yaml');
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/^dup\.yaml:2:1: invalid YAML: Map keys must be unique.*\(and 1 more file\); no file was changed$/);
  });

  test.each([
    ['a key without namespace', { gateway: { name: 'r/x', tag: '1' } }, 'key'],
    ['a bad namespace', { 'Flux System:gw': { name: 'r/x', tag: '1' } }, 'key'],
    ['a name with a tag', { 'ns:gw': { name: 'r/x:1', tag: '1' } }, 'name'],
    ['a bad tag', { 'ns:gw': { name: 'r/x', tag: '-1' } }, 'tag'],
    ['a bad digest', { 'ns:gw': { name: 'r/x', tag: '1', digest: 'sha256:x' } }, 'digest'],
  ])('an image with %s throws SetterInputError naming the policy and field', (_what, images, field) => {
    const err = thrown(() => updateSetters({ 'a.yaml': 'a: r/x:1 # {"$imagepolicy": "ns:gw"}\n' }, images as Record<string, SetterImage>));
    expect(err).toBeInstanceOf(SetterInputError);
    expect((err as SetterInputError).field).toBe(field);
    expect((err as SetterInputError).input).toBe('images');
    expect((err as SetterInputError).message).toContain(`images[${JSON.stringify(Object.keys(images)[0])}].${field}`);
  });

  test('a file whose content is not text throws without echoing the content', () => {
    const err = thrown(() => updateSetters({ 'a.yaml': Buffer.from('secret') as unknown as string }, GW));
    expect(err).toBeInstanceOf(SetterInputError);
    expect((err as SetterInputError).message).toBe('files["a.yaml"].content: must be the file text (a string)');
    expect(JSON.stringify((err as SetterInputError).toJSON())).not.toContain('secret');
  });
});

describe('setter markers', () => {
  test.each([
    ['# {"$imagepolicy": "ns:p"}', { kind: 'marker', setter: 'ns:p' }],
    ['#{"$imagepolicy":"ns:p:tag"}', { kind: 'marker', setter: 'ns:p:tag' }],
    ['## {"$imagepolicy": "ns:p", "note": "x", "n": null}', { kind: 'marker', setter: 'ns:p' }],
    ['# {"$imagepolicy": "ns:p"} # trailing', { kind: 'malformed' }],
    ['# {"$imagepolicy": "ns:p", "n": 1}', { kind: 'malformed' }],
    ['# {"$imagepolicy": ""}', { kind: 'malformed' }],
    ['# ["$imagepolicy"]', { kind: 'malformed' }],
    ['# $imagepolicy: ns:p', { kind: 'malformed' }],
    ['# {"other": "x"}', { kind: 'other' }],
    ['# plain text', { kind: 'other' }],
  ])('%s', (comment, want) => {
    expect(readSetterComment(comment)).toMatchObject(want);
  });

  test.each([
    ['ns:p', { policy: 'ns:p', field: 'image' }],
    ['ns:p:tag', { policy: 'ns:p', field: 'tag' }],
    ['ns:p:name', { policy: 'ns:p', field: 'name' }],
    ['ns:p:digest', { policy: 'ns:p', field: 'digest' }],
    ['ns:p:version', undefined],
    ['p', undefined],
    ['ns::tag', undefined],
    ['a:b:c:d', undefined],
  ])('setter name %s', (name, want) => {
    expect(parseSetterName(name)).toEqual(want);
  });

  test.each([
    ['clusters/a/deploy.yaml', true],
    ['values.yml', true],
    ['overlays/prod/Kustomization', true],
    ['chart/templates/_helpers.tpl', false],
    ['README.md', false],
    ['x.yaml.bak', false],
    ['dir.yaml/file.json', false],
  ])('Flux reads %s: %s', (p, want) => {
    expect(isSetterCandidate(p)).toBe(want);
  });

  test('any comment text is read without throwing', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = readSetterComment(`#${s}`);
        expect(['marker', 'malformed', 'other']).toContain(r.kind);
      }),
    );
  });
});

describe('setterImages', () => {
  const lockFile = path.resolve(__dirname, '../../../../examples/edge-fleet/fluxops.lock.yaml');
  const lock = parseImageLock(fs.readFileSync(lockFile, 'utf8'), lockFile);

  test('a site gets its own entries, else the fleet-wide ones, keyed by marker name', () => {
    const images = setterImages(lock, { namespace: 'flux-system', site: 'warehouse-b' });
    expect(Object.keys(images)).toEqual(['flux-system:dashboard', 'flux-system:mqtt-broker', 'flux-system:sensor-gateway']);
    expect(images['flux-system:mqtt-broker']).toEqual({ name: 'registry.local:5000/edge/eclipse-mosquitto', tag: '2.0.18', digest: lock.sites['warehouse-b']['mqtt-broker'].digest });
    expect(setterImages(lock, { namespace: 'flux-system' })['flux-system:mqtt-broker'].tag).toBe('2.0.20');
  });

  test('the Flux flavor of the example fleet: markers agree with its lock, and follow a new lock', () => {
    const dir = path.resolve(__dirname, '../../../../examples/edge-fleet');
    const fleet = exampleFleet.create();
    for (const site of fleet.sites.map((x) => x.siteName)) {
      const synth = synthesize(fleet, { flavor: 'flux', lock, site });
      const files = { [`clusters/${site}/all.yaml`]: synth.yaml };
      expect(synth.yaml).toContain('{"$imagepolicy": "flux-system:sensor-gateway"}');
      // Synthesis wrote the lock's images: nothing to change.
      expect(updateSetters(files, setterImages(lock, { namespace: 'flux-system', site }))).toEqual({ files: {}, changes: [], problems: [] });
      // A new gateway image in the lock changes exactly the marked gateway image fields.
      const bumped = updateLockText(fs.readFileSync(path.join(dir, 'fluxops.lock.yaml'), 'utf8'), [
        { action: 'set', policy: 'sensor-gateway', entry: { ...lock.policies['sensor-gateway'], tag: '1.4.3', digest: `sha256:${'9'.repeat(64)}` } },
      ], { source: 'fluxops.lock.yaml' }).lock;
      const r = updateSetters(files, setterImages(bumped, { namespace: 'flux-system', site }));
      expect(r.problems).toEqual([]);
      expect(r.changes.length).toBeGreaterThan(0);
      for (const c of r.changes) {
        expect(c).toMatchObject({ policy: 'flux-system:sensor-gateway', field: 'image', to: `registry.local:5000/edge/sensor-gateway:1.4.3@sha256:${'9'.repeat(64)}` });
      }
      const changedLines = r.files[`clusters/${site}/all.yaml`].split('\n').filter((l, i) => l !== synth.yaml.split('\n')[i]);
      expect(changedLines).toHaveLength(r.changes.length);
    }
  });
});
