import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ImageContentError } from '../../image/errors';
import { appFiles, dependencyFiles, sourceRevision } from '../../image/fluxops-files';
import type { TarEntry } from '../../image/oci/tar';

/** What of a repository goes into the image: tracked product files and production dependencies (real git, temp repos). */

describe('FluxOps files for the image', () => {
  let repo: string;
  const write = (rel: string, text = 'x', mode = 0o644) => {
    const f = path.join(repo, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text, { mode });
  };
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
  const paths = (entries: TarEntry[]) => entries.map((e) => `${e.type}:${e.path}`).sort();

  const lock = (packages: Record<string, object>) =>
    write('package-lock.json', JSON.stringify({ name: 'fluxops', lockfileVersion: 3, packages: { '': { name: 'fluxops' }, ...packages } }));
  const dep = (name: string, version: string, files: Record<string, string> = {}) => {
    write(`node_modules/${name}/package.json`, JSON.stringify({ name, version }));
    for (const [rel, text] of Object.entries(files)) write(`node_modules/${name}/${rel}`, text);
  };

  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-files-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('packages the tracked product files as they are in the working tree, executable bits normalized', async () => {
    write('bin/fluxops', '#!/usr/bin/env node\n', 0o775);
    write('cli/main.ts', 'export {};\n', 0o664);
    write('reconciler/loop.ts', 'v1');
    write('dev/cluster/index.ts', 'dev only');
    write('test/a.test.ts', 'test');
    write('package.json', '{"version":"1.2.3"}');
    git('add', '.');
    git('commit', '-qm', 'one');
    write('cli/untracked.ts', 'not in git');
    write('reconciler/loop.ts', 'v2 (uncommitted)');
    const app = await appFiles(repo);
    expect(paths(app.entries)).toEqual(['file:fluxops/bin/fluxops', 'file:fluxops/cli/main.ts', 'file:fluxops/package.json', 'file:fluxops/reconciler/loop.ts']);
    const byPath = new Map(app.entries.map((e) => [e.path, e]));
    expect(byPath.get('fluxops/bin/fluxops')).toMatchObject({ mode: 0o755 });
    expect(byPath.get('fluxops/cli/main.ts')).toMatchObject({ mode: 0o644 });
    expect(byPath.get('fluxops/reconciler/loop.ts')).toMatchObject({ content: { kind: 'host-file', size: 'v2 (uncommitted)'.length } });

    const rev = await sourceRevision(repo);
    expect(rev).toMatchObject({ dirty: true, revision: `${rev.commit}-dirty` });
    expect(rev.commitTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(rev.originUrl).toBeUndefined();
    git('commit', '-qam', 'two');
    git('remote', 'add', 'origin', 'https://git.example.com/fluxops.git');
    expect(await sourceRevision(repo)).toMatchObject({ dirty: false, originUrl: 'https://git.example.com/fluxops.git' });
  });

  it('takes only non-dev packages from node_modules, nested ones too, and prunes what Node never loads', () => {
    lock({
      'node_modules/yaml': { version: '2.9.1' },
      'node_modules/jest': { version: '30.5.2', dev: true },
      'node_modules/a': { version: '1.0.0' },
      'node_modules/a/node_modules/b': { version: '2.0.0' },
      'node_modules/a/node_modules/c': { version: '3.0.0', dev: true },
    });
    dep('yaml', '2.9.1', { 'dist/index.js': 'js', 'dist/index.d.ts': 'types', 'dist/index.js.map': 'map', 'README.md': 'readme', 'LICENSE.md': 'licence' });
    dep('jest', '30.5.2', { 'build/index.js': 'dev' });
    dep('a', '1.0.0', { 'index.js': 'a' });
    dep('a/node_modules/b', '2.0.0', { 'index.js': 'b' });
    dep('a/node_modules/c', '3.0.0', { 'index.js': 'c' });
    const deps = dependencyFiles(repo);
    expect(deps.packages).toBe(3);
    expect(paths(deps.entries)).toEqual(
      [
        'dir:fluxops/node_modules/yaml/dist',
        'file:fluxops/node_modules/a/index.js',
        'file:fluxops/node_modules/a/node_modules/b/index.js',
        'file:fluxops/node_modules/a/node_modules/b/package.json',
        'file:fluxops/node_modules/a/package.json',
        'file:fluxops/node_modules/yaml/LICENSE.md',
        'file:fluxops/node_modules/yaml/dist/index.js',
        'file:fluxops/node_modules/yaml/package.json',
      ].sort(),
    );
    expect(deps.prunedFiles).toBe(3);
  });

  it('refuses native modules, platform-specific packages and a node_modules that does not match the lock', () => {
    lock({ 'node_modules/native': { version: '1.0.0' } });
    dep('native', '1.0.0', { 'build/Release/addon.node': 'ELF' });
    expect(() => dependencyFiles(repo)).toThrow(expect.objectContaining({ name: 'ImageContentError', reason: expect.stringContaining('native Node module') }));

    lock({ 'node_modules/@esbuild/linux-arm64': { version: '0.25.0', os: ['linux'], cpu: ['arm64'], optional: true } });
    expect(() => dependencyFiles(repo)).toThrow(/platform-specific/);

    lock({ 'node_modules/native': { version: '2.0.0' } });
    let err: unknown;
    try {
      dependencyFiles(repo);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageContentError);
    expect((err as ImageContentError).reason).toMatch(/node_modules has 1\.0\.0, package-lock\.json says 2\.0\.0/);
  });

  it("finds this repository's production dependencies free of native code", () => {
    const deps = dependencyFiles(path.join(__dirname, '..', '..'));
    expect(deps.packages).toBeGreaterThan(100);
    const files = new Set(deps.entries.map((e) => e.path));
    expect(files.has('fluxops/node_modules/ts-node/package.json')).toBe(true);
    expect(files.has('fluxops/node_modules/typescript/lib/typescript.js')).toBe(true);
    expect(files.has('fluxops/node_modules/jest/package.json')).toBe(false);
    expect([...files].some((f) => f.endsWith('.d.ts'))).toBe(false);
  });
});
