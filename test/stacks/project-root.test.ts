import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { PulumiProjectNotFoundError, pulumiProjectRoot } from '../../stacks/project-root';

/**
 * Where `stacks/program.ts` finds the Pulumi project it runs for: FluxOps' own, or a config
 * repository that runs it from node_modules (copied by npm, or symlinked for `file:`).
 */
describe('pulumiProjectRoot', () => {
  let tmp: string;
  const project = (dir: string, name: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'Pulumi.yaml'), `name: "${name}"\nruntime: nodejs\n`);
    return dir;
  };

  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-project-root-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('FluxOps itself: the nearest Pulumi.yaml above stacks/', () => {
    const fluxops = project(path.join(tmp, 'fluxops'), 'fluxops');
    fs.mkdirSync(path.join(fluxops, 'stacks'));
    expect(pulumiProjectRoot('fluxops', { cwd: path.join(fluxops, 'stacks'), env: {} })).toBe(fluxops);
  });

  it('an installed FluxOps: the repository holding node_modules, not FluxOps\' own Pulumi.yaml inside it', () => {
    const repo = project(path.join(tmp, 'fleet'), 'acme');
    const installed = project(path.join(repo, 'node_modules', 'fluxops'), 'fluxops');
    fs.mkdirSync(path.join(installed, 'stacks'));
    // Wherever the user ran pulumi from (pulumi -C).
    expect(pulumiProjectRoot('acme', { cwd: path.join(installed, 'stacks'), env: { PWD: '/' } })).toBe(repo);
  });

  it('a symlinked FluxOps (file: dependency): found from $PWD, where pulumi was run', () => {
    const fluxops = project(path.join(tmp, 'fluxops'), 'fluxops');
    fs.mkdirSync(path.join(fluxops, 'stacks'));
    const repo = project(path.join(tmp, 'fleet'), 'acme');
    fs.mkdirSync(path.join(repo, 'sub'));
    expect(pulumiProjectRoot('acme', { cwd: path.join(fluxops, 'stacks'), env: { PWD: path.join(repo, 'sub') } })).toBe(repo);
  });

  it('the root a newer language host reports comes first', () => {
    const repo = project(path.join(tmp, 'fleet'), 'acme');
    const other = project(path.join(tmp, 'other'), 'acme');
    expect(pulumiProjectRoot('acme', { cwd: other, env: { PULUMI_NODEJS_ROOT_DIRECTORY: repo } })).toBe(repo);
  });

  it('never settles for another project\'s Pulumi.yaml: a clear error naming what it found', () => {
    const fluxops = project(path.join(tmp, 'fluxops'), 'fluxops');
    fs.mkdirSync(path.join(fluxops, 'stacks'));
    let err: unknown;
    try {
      pulumiProjectRoot('acme', { cwd: path.join(fluxops, 'stacks'), env: { PWD: '/' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PulumiProjectNotFoundError);
    expect(err).toMatchObject({ code: 'pulumi-project-not-found', project: 'acme', searched: [fluxops] });
    expect((err as Error).message).toMatch(/run pulumi from the directory of that Pulumi.yaml/);
  });
});
