import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ensureNodeRuntime, hostImagePlatform, readImagePins } from '../../image';

/**
 * The image ships Node 24 LTS, so the reconciler's tests also run under that exact Node build
 * (the one `npm run test:node24` uses, from the image's pinned npm package, cached by setup): a
 * representative subset here, so every CI run exercises it. The full set: `npm run test:node24`.
 */

const REPO = path.join(__dirname, '..', '..');
const PKG_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Reconciler tests run under Node 24, in one jest run (one start-up): pure logic (policies, no
 * downgrade, diffs, webhook signatures), isolated synthesis in a child process, and a small apply
 * through Pulumi against a real local cluster. Selected by file and by name; a renamed test makes
 * the count assertions below fail, never pass silently.
 */
const SUBSET = {
  files: [
    'test/reconciler/images/policy/tag-policy.test.ts',
    'test/reconciler/images/policy/select-image.test.ts',
    'test/reconciler/deploy/no-downgrade.test.ts',
    'test/reconciler/deploy/object-diff.test.ts',
    'test/reconciler/http/signatures.test.ts',
    'test/reconciler/synth/synthesize-isolated.int.test.ts',
    'test/reconciler/deploy/apply-site.int.test.ts',
  ],
  names: [
    '^latest\\(\\)',
    '^rank\\(\\)',
    '^selectImage',
    '^no downgrade',
    '^object diff',
    '^diff rendering',
    '^HMAC-SHA256 signatures',
    '^isolated synthesis.*(second load after a new commit|a fleet that throws|deploys the locked tag by digest)',
    '^apply engine.*(first apply|no change)',
  ].join('|'),
};

interface JestResult {
  numFailedTests: number;
  numPassedTests: number;
  numTotalTests: number;
  testResults: { name: string; status: string; assertionResults: { status: string; fullName: string }[] }[];
}

// Runs of the image's binaries under emulation and the CLI builds take longer than jest's default.
jest.setTimeout(300_000);

const platform = hostImagePlatform();
(platform ? describe : describe.skip)('reconciler tests under the Node 24 LTS the image ships', () => {
  let node24: string;
  let tmp: string;
  beforeAll(async () => {
    node24 = (await ensureNodeRuntime(platform!, { offline: true })).binary;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-node24-'));
  });
  afterAll(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  const jest = (args: string[], out: string): JestResult => {
    const r = spawnSync(node24, [path.join(REPO, 'node_modules/jest/bin/jest.js'), '--ci', '--runInBand', '--json', `--outputFile=${out}`, ...args], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 280_000,
      // Anything the tests start as `node` is Node 24 too.
      env: { ...process.env, PATH: `${path.dirname(node24)}:${process.env.PATH ?? ''}` },
    });
    if (!fs.existsSync(out)) throw new Error(`jest under ${node24} wrote no result (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as JestResult;
    if (r.status !== 0) throw new Error(`jest under Node 24 failed:\n${r.stderr.slice(-4000)}`);
    return result;
  };

  it('is the pinned Node 24 and runs the FluxOps CLI', () => {
    const version = spawnSync(node24, ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toBe(`v${readImagePins().nodeVersion}\n`);
    const cli = spawnSync(node24, [path.join(REPO, 'bin/fluxops'), '--version'], { encoding: 'utf8' });
    expect(cli).toMatchObject({ status: 0, stdout: `${PKG_VERSION}\n` });
    // What `npm run test:node24` asks for.
    const nodePath = spawnSync(process.execPath, [path.join(REPO, 'bin/fluxops'), 'image', 'node-path', '--offline'], { encoding: 'utf8' });
    expect(nodePath).toMatchObject({ status: 0, stdout: `${node24}\n` });
  });

  it('passes policy, diff and signature tests, isolated synthesis, and a Pulumi apply against a real local cluster', () => {
    const result = jest([...SUBSET.files, '--selectProjects', 'unit', 'integration', '--testNamePattern', SUBSET.names], path.join(tmp, 'result.json'));
    expect(result.numFailedTests).toBe(0);
    const passed = new Map<string, string[]>();
    for (const f of result.testResults) {
      passed.set(path.relative(REPO, f.name), f.assertionResults.filter((a) => a.status === 'passed').map((a) => a.fullName));
    }
    for (const file of SUBSET.files.filter((f) => !f.endsWith('.int.test.ts'))) expect(passed.get(file)?.length ?? 0).toBeGreaterThan(0);
    expect(passed.get('test/reconciler/synth/synthesize-isolated.int.test.ts')).toHaveLength(3);
    expect(passed.get('test/reconciler/deploy/apply-site.int.test.ts')).toEqual([
      expect.stringMatching(/first apply/),
      expect.stringMatching(/no change/),
    ]);
  }, 300_000);
});
