import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { parse, stringify } from 'yaml';

import { defaultFluxOpsDependency, readFluxOpsCheckout } from '../../cli/scaffold';
import { emptyImageLock, parseImageLock } from '../../constructs';
import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { CLUSTER_BINARIES, locateToolchain } from '../../dev/toolchain';
import { pulumiProcessEnv, resolvePulumiSettings } from '../../stacks/pulumi-env';

/**
 * `fluxops init` end to end: the CLI writes a config repository and an app repository; the
 * generated workflows go through the real actionlint (and shellcheck); the repository
 * type-checks, synthesizes, diffs against a real local cluster through the very scripts its CI
 * runs, and deploys with `pulumi up` from its own Pulumi.yaml.
 */

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');
const FLUXOPS = path.join(REPO, 'bin', 'fluxops');
const FLUXOPS_PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

// Fails the suite (never skips it) with the command that builds what is missing.
const toolchain = locateToolchain({ need: [...CLUSTER_BINARIES, 'pulumi', 'pulumi-language-nodejs', 'pulumi-resource-kubernetes'], actionlint: true });
const SHELLCHECK = spawnSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' }).stdout.trim();

const SITES = ['factory-a', 'warehouse-b'];
const SPEC = 'git+https://git.example.com/acme/fluxops.git#v0.1.0';
const CONFIG_FLAGS = [
  '--fleet', 'acme-fleet',
  '--site', 'factory-a',
  '--site', 'warehouse-b',
  '--image', 'ghcr.io/acme/sensor-gateway',
  '--git-url', 'https://git.example.com/acme/fleet-config.git',
  '--fluxops', SPEC,
];
const CONFIG_FILES = [
  '.github/workflows/fluxops-diff.yaml',
  '.gitignore',
  '.gitlab-ci.yml',
  'Pulumi.factory-a.yaml',
  'Pulumi.warehouse-b.yaml',
  'Pulumi.yaml',
  'README.md',
  'fleet.ts',
  'fluxops.lock.yaml',
  'package.json',
  'tsconfig.json',
];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function fluxops(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return run(FLUXOPS, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, maxBuffer: 64 << 20 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** Every file under `dir` (node_modules and .git left out) -> sha256 of its bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.git') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

interface LintFinding {
  message: string;
  filepath: string;
  line: number;
  kind: string;
}

/** The real actionlint on explicit files, with shellcheck for the `run:` scripts; findings as data. */
function actionlint(files: string[]): LintFinding[] {
  const r = spawnSync(toolchain.bin('actionlint'), ['-format', '{{json .}}', '-shellcheck', SHELLCHECK, '-no-color', ...files], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint failed to run (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout || '[]') as LintFinding[];
}

/**
 * The job scripts of a GitLab CI file (nested anchors flattened, as GitLab does), one bash script
 * per job; `withoutInstall` leaves out the lines of the `.install` anchor (npm would go online).
 */
function gitlabScripts(file: string, opts: { withoutInstall?: boolean } = {}): Record<string, string> {
  const doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, { script?: unknown[] } | unknown[]>;
  const install = new Set(Array.isArray(doc['.install']) ? (doc['.install'] as string[]) : []);
  const out: Record<string, string> = {};
  for (const [name, job] of Object.entries(doc)) {
    if (name.startsWith('.') || !job || Array.isArray(job) || !Array.isArray(job.script)) continue;
    out[name] = (job.script.flat(10) as string[]).filter((line) => !(opts.withoutInstall && install.has(line))).join('\n');
  }
  return out;
}

function shellcheck(script: string): string {
  const r = spawnSync(SHELLCHECK, ['-s', 'bash', '-f', 'gcc', '-'], { input: `#!/bin/bash\n${script}\n`, encoding: 'utf8' });
  return r.stdout;
}

/** Lays out node_modules the way `npm install` would for the checks: FluxOps (symlink or copy), TypeScript, @types/node. */
function installDependencies(dir: string, how: 'symlink' | 'copy'): void {
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(nm, '@types'), { recursive: true });
  fs.mkdirSync(path.join(nm, '.bin'), { recursive: true });
  if (how === 'symlink') {
    fs.symlinkSync(REPO, path.join(nm, 'fluxops'));
  } else {
    // What npm installs from a Git URL: the package files as a real directory (no symlink to
    // resolve), its own dependencies nested below it.
    const target = path.join(nm, 'fluxops');
    fs.mkdirSync(target);
    for (const entry of fs.readdirSync(REPO)) {
      if (['node_modules', '.git', 'test', 'bench', '.fluxops'].includes(entry)) continue;
      fs.cpSync(path.join(REPO, entry), path.join(target, entry), { recursive: true });
    }
    fs.symlinkSync(fs.realpathSync(path.join(REPO, 'node_modules')), path.join(target, 'node_modules'));
  }
  fs.symlinkSync(fs.realpathSync(path.join(REPO, 'node_modules', 'typescript')), path.join(nm, 'typescript'));
  fs.symlinkSync(fs.realpathSync(path.join(REPO, 'node_modules', '@types', 'node')), path.join(nm, '@types', 'node'));
  fs.symlinkSync(path.join('..', 'fluxops', 'bin', 'fluxops'), path.join(nm, '.bin', 'fluxops'));
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { encoding: 'utf8' }).trim();
}

describe('fluxops init: a config repository', () => {
  let tmp: string;
  let repo: string;
  let first: Result;

  beforeAll(async () => {
    if (!SHELLCHECK) throw new Error('shellcheck is missing: run `bash scripts/setup.sh` (it installs the Debian package shellcheck)');
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-init-')));
    repo = path.join(tmp, 'fleet-config');
    first = await fluxops(['init', repo, ...CONFIG_FLAGS]);
  }, 120_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('writes the files, lists each as created, and prints the exact next steps', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(Object.keys(tree(repo)).sort()).toEqual(CONFIG_FILES);
    for (const f of CONFIG_FILES) expect(first.stdout).toMatch(new RegExp(`^ {2}created {2}${f.replace(/\./g, '\\.')}$`, 'm'));
    expect(first.stdout).toMatch(/^FluxOps config repository for fleet acme-fleet \(sites: factory-a, warehouse-b\) in /);
    const steps = first.stdout.slice(first.stdout.indexOf('Next steps:')).split('\n').filter((l) => /^ {2}[^#\s]/.test(l)).map((l) => l.trim());
    expect(steps).toEqual([
      `cd ${path.relative(REPO, repo)}`,
      'npm install',
      'npx tsc --noEmit',
      'npx fluxops synth --all-sites --strict',
      'git init -b main',
      'git add -A && git commit -m "FluxOps config repository for acme-fleet"',
      'git remote add origin https://git.example.com/acme/fleet-config.git && git push -u origin main',
      "export PULUMI_CONFIG_PASSPHRASE='…'",
      'npx fluxops up --site factory-a --kubeconfig ~/.kube/factory-a.yaml --context factory-a',
    ]);
    // Every value was given: nothing to edit.
    expect(first.stdout).not.toContain('To edit:');
  });

  it('package.json, tsconfig.json, Pulumi.yaml, the stack files, the lock and .gitignore hold what they should', () => {
    const read = (f: string) => fs.readFileSync(path.join(repo, f), 'utf8');
    const pkg = JSON.parse(read('package.json'));
    expect(pkg).toMatchObject({
      name: 'fleet-config',
      private: true,
      dependencies: { fluxops: SPEC },
      devDependencies: { typescript: FLUXOPS_PKG.dependencies.typescript, '@types/node': FLUXOPS_PKG.devDependencies['@types/node'] },
    });
    expect(JSON.parse(read('tsconfig.json'))).toMatchObject({ compilerOptions: { strict: true, noEmit: true, module: 'commonjs', types: ['node'] }, include: ['*.ts'] });

    const project = parse(read('Pulumi.yaml'));
    expect(project).toEqual({
      name: 'acme-fleet',
      description: expect.any(String),
      runtime: { name: 'nodejs', options: { typescript: true } },
      main: 'node_modules/fluxops/stacks/program.ts',
    });
    // `main` names a file FluxOps really has, under the path npm installs it to.
    expect(fs.existsSync(path.join(REPO, project.main.replace('node_modules/fluxops/', '')))).toBe(true);
    for (const site of SITES) {
      const text = read(`Pulumi.${site}.yaml`);
      expect(parse(text)).toEqual({ config: {} });
      // No secret and no salt: `pulumi stack init` and `pulumi config set --secret` add those.
      expect(text).not.toMatch(/^\s*(encryptionsalt|secretsprovider|encryptedkey)\s*:/m);
      expect(text).not.toMatch(/secure:/);
    }

    const lock = read('fluxops.lock.yaml');
    expect(parse(lock)).toEqual({ schemaVersion: 1, policies: {}, sites: {} });
    expect(parseImageLock(lock, 'fluxops.lock.yaml')).toEqual(emptyImageLock());

    expect(read('.gitignore').split('\n')).toContain('node_modules/');
    const readme = read('README.md');
    for (const f of CONFIG_FILES.filter((x) => !x.startsWith('Pulumi.') && x !== 'README.md')) expect(readme).toContain(`| \`${f}\` |`);
    expect(readme).toContain('`Pulumi.factory-a.yaml`, `Pulumi.warehouse-b.yaml`');
    expect(readme).toContain('npx fluxops up      --site factory-a --kubeconfig ~/.kube/factory-a.yaml --context factory-a');

    const fleet = read('fleet.ts');
    expect(fleet).toContain("from 'fluxops/constructs'");
    expect(fleet).toContain("platforms: ['linux/arm64']");
  });

  it('the generated GitHub workflow passes actionlint (real binary, shellcheck on its scripts); a broken copy does not', () => {
    const workflow = path.join(repo, '.github', 'workflows', 'fluxops-diff.yaml');
    expect(actionlint([workflow])).toEqual([]);
    // The linter really looks: an unknown key and an undefined step output are reported.
    const broken = path.join(tmp, 'broken.yaml');
    fs.writeFileSync(broken, fs.readFileSync(workflow, 'utf8').replace('timeout-minutes: 20', 'timeout-minute: 20').replace('steps.diff.outputs.failed', 'steps.dif.outputs.failed'));
    const findings = actionlint([broken]);
    expect(findings.map((f) => f.kind).sort()).toEqual(['expression', 'syntax-check']);
  });

  it('the GitHub workflow: on pull requests, installs, type-checks, synthesizes strictly, diffs --ref the head branch and updates one comment', () => {
    const wf = parse(fs.readFileSync(path.join(repo, '.github', 'workflows', 'fluxops-diff.yaml'), 'utf8'));
    expect(wf.on).toEqual({ pull_request: { branches: ['main'] } });
    expect(wf.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    const job = wf.jobs.diff;
    expect(job.env).toEqual({ FLUXOPS_SITES: 'factory-a warehouse-b' });
    const steps = job.steps as Array<{ id?: string; name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string }>;
    // Every action is pinned to an exact release.
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+\.\d+\.\d+$/);
    expect(steps[0]).toMatchObject({ uses: expect.stringMatching(/^actions\/checkout@/), with: { 'fetch-depth': 0, 'persist-credentials': false } });
    const runs = steps.map((s) => s.run ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    expect(at(/npm ci/)).toBeGreaterThan(0);
    expect(at(/^npx tsc --noEmit$/m)).toBeGreaterThan(at(/npm ci/));
    expect(at(/npx fluxops synth --all-sites --strict/)).toBeGreaterThan(at(/^npx tsc --noEmit$/m));
    const diff = steps.find((s) => s.id === 'diff')!;
    expect(runs.indexOf(diff.run!)).toBeGreaterThan(at(/npx fluxops synth/));
    expect(diff.env).toEqual({ KUBECONFIG_DATA: '${{ secrets.FLUXOPS_KUBECONFIG }}', HEAD_REF: '${{ github.head_ref }}' });
    expect(diff.run).toContain('npx fluxops diff --ref "$HEAD_REF" --site "$site" --kubeconfig "$kubeconfig" --context "$site"');
    expect(diff.run).toContain('--output markdown');
    const post = steps.find((s) => s.uses?.startsWith('actions/github-script@'))!;
    expect(post.if).toBe("${{ !cancelled() && steps.diff.outputs.comment != '' }}");
    expect(String(post.with!.script)).toContain('github.rest.issues.updateComment');
    expect(steps[steps.length - 1]).toMatchObject({ if: "${{ steps.diff.outputs.failed == 'true' }}", run: 'exit 1' });
  });

  it('the GitLab pipeline (no linter for GitLab CI here): parses, has the same steps on merge requests, and its job scripts pass shellcheck', () => {
    const file = path.join(repo, '.gitlab-ci.yml');
    const doc = parse(fs.readFileSync(file, 'utf8'));
    expect(doc.workflow).toEqual({ rules: [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }] });
    expect(doc.stages).toEqual(['check', 'diff']);
    expect(doc.variables).toEqual({ FLUXOPS_SITES: 'factory-a warehouse-b' });
    expect(doc['fluxops-diff'].needs).toEqual(['fluxops-check']);
    const scripts = gitlabScripts(file);
    expect(Object.keys(scripts).sort()).toEqual(['fluxops-check', 'fluxops-diff']);
    expect(scripts['fluxops-check']).toMatch(/npm ci[\s\S]*\nnpx tsc --noEmit\nnpx fluxops synth --all-sites --strict --out manifests$/);
    expect(scripts['fluxops-diff']).toContain('npx fluxops diff --ref "$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" --site "$site" --kubeconfig "$FLUXOPS_KUBECONFIG" --context "$site"');
    for (const [job, script] of Object.entries(scripts)) expect([job, shellcheck(script)]).toEqual([job, '']);
  });

  it('type-checks with tsc --noEmit (fluxops/constructs from node_modules/fluxops = this checkout); a type error in fleet.ts fails it', () => {
    installDependencies(repo, 'symlink');
    const tsc = (cwd: string) => spawnSync(process.execPath, [path.join(cwd, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', cwd], { encoding: 'utf8' });
    const ok = tsc(repo);
    expect([ok.status, ok.stdout]).toEqual([0, '']);

    const broken = path.join(tmp, 'broken-types');
    fs.cpSync(repo, broken, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(path.join(broken, 'fleet.ts'), fs.readFileSync(path.join(repo, 'fleet.ts'), 'utf8').replace("kind: 'semver'", "kind: 'semvar'"));
    const bad = tsc(broken);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toMatch(/fleet\.ts\(\d+,\d+\): error TS2820: Type '"semvar"' is not assignable/);
  }, 120_000);

  it('fluxops synth --all-sites --strict: every site, from the empty lock (initial tag), on arm64', async () => {
    const r = await fluxops(['synth', '--all-sites', '--strict', '--output', 'json'], { cwd: repo });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.fleet).toBe('acme-fleet');
    expect(out.sites).toEqual(SITES);
    for (const site of SITES) {
      const result = out.results.find((x: { site: string }) => x.site === site);
      const dep = result.objects.find((o: { kind: string }) => o.kind === 'Deployment');
      expect(dep).toMatchObject({ namespace: 'edge-apps', name: 'sensor-gateway' });
      const pod = dep.manifest.spec.template.spec;
      expect(pod.containers[0].image).toBe('ghcr.io/acme/sensor-gateway:1.0.0');
      expect(JSON.stringify(pod.affinity)).toContain('"values":["arm64"]');
    }
    expect(out.lock.found).toBe(true);
    expect(r.stderr).toMatch(/warning: .*no lock entry for policy "sensor-gateway"; using its initialTag 1\.0\.0/);
  }, 120_000);

  it('a second init refuses to overwrite, names the files, and changes nothing, byte for byte', async () => {
    const before = tree(repo);
    const again = await fluxops(['init', repo, ...CONFIG_FLAGS, '--fleet', 'other']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain(`fluxops: ${repo}: 11 files exist (package.json, tsconfig.json, fleet.ts,`);
    expect(again.stderr).toContain('nothing was written. Move them away, choose another directory, or pass --force to overwrite them');
    expect(tree(repo)).toEqual(before);
  }, 60_000);

  it('--force overwrites (and says which files), and leaves the user\'s other files alone', async () => {
    const dir = path.join(tmp, 'forced');
    expect((await fluxops(['init', dir, ...CONFIG_FLAGS])).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'fleet.ts'), '// my edits\n');
    fs.writeFileSync(path.join(dir, 'NOTES.md'), 'mine\n');
    const before = tree(dir);
    const r = await fluxops(['init', dir, ...CONFIG_FLAGS, '--force', '--output', 'json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.files.filter((f: { action: string }) => f.action !== 'unchanged')).toEqual([{ path: 'fleet.ts', action: 'overwritten' }]);
    expect(result.files).toHaveLength(11);
    const after = tree(dir);
    expect(after['NOTES.md']).toBe(before['NOTES.md']);
    expect(after['fleet.ts']).toBe(tree(repo)['fleet.ts']);

    const text = await fluxops(['init', dir, ...CONFIG_FLAGS, '--site', 'extra-site', '--force']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}overwritten {2}fleet\.ts$/m);
    expect(text.stdout).toMatch(/^ {2}created {6}Pulumi\.extra-site\.yaml$/m);
    expect(text.stdout).toMatch(/^--force overwrote \d+ existing files: .*fleet\.ts/m);
  }, 120_000);

  it('bad option values (a site Bad_Name) give a clear error before anything is written', async () => {
    const dir = path.join(tmp, 'never-created');
    const r = await fluxops(['init', dir, '--site', 'factory-a', '--site', 'Bad_Name', '--image', 'ghcr.io/acme/app:1.0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'fluxops: 2 invalid options; nothing was written:\n' +
        '  - --site "Bad_Name": must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit\n' +
        '  - --image "ghcr.io/acme/app:1.0": must not contain a tag; tags come from the image policy and lock file (example: ghcr.io/acme/gateway)\n',
    );
    expect(fs.existsSync(dir)).toBe(false);
  }, 60_000);

  describe('with a live cluster', () => {
    let cluster: LocalCluster;
    let kubeconfig: (sites: string[]) => string;

    beforeAll(async () => {
      if (!fs.existsSync(path.join(repo, 'node_modules'))) installDependencies(repo, 'symlink');
      cluster = await startLocalCluster();
      // The CI secret: one context per site, named like the site (all pointing at the local cluster).
      const base = parse(fs.readFileSync(cluster.kubeconfigPath, 'utf8'));
      const ctx = base.contexts.find((c: { name: string }) => c.name === base['current-context']).context;
      kubeconfig = (sites) => stringify({ ...base, contexts: sites.map((name) => ({ name, context: ctx })), 'current-context': sites[0] ?? base['current-context'] });
      // The repository as CI checks it out: main, and the pull request's head branch on origin.
      git(repo, 'init', '-q');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'FluxOps config repository');
      git(repo, 'checkout', '-q', '-b', 'feature');
      fs.writeFileSync(path.join(repo, 'fleet.ts'), fs.readFileSync(path.join(repo, 'fleet.ts'), 'utf8').replace("port: 8080 }]", "port: 8080 }], env: { LOG_LEVEL: 'debug' }"));
      git(repo, 'commit', '-q', '-am', 'debug logging');
      git(repo, 'checkout', '-q', 'main');
      const origin = path.join(tmp, 'origin.git');
      execFileSync('git', ['init', '-q', '--bare', origin]);
      git(repo, 'remote', 'add', 'origin', origin);
      git(repo, 'push', '-q', 'origin', 'main', 'feature');
    }, 180_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    it('GitHub: the diff step posts every site; exit code 1 (differences) is a result, exit code 2 marks the job failed', () => {
      const wf = parse(fs.readFileSync(path.join(repo, '.github', 'workflows', 'fluxops-diff.yaml'), 'utf8'));
      const step = wf.jobs.diff.steps.find((s: { id?: string }) => s.id === 'diff');
      const runner = fs.mkdtempSync(path.join(tmp, 'runner-'));
      const outputs = path.join(runner, 'output');
      const summary = path.join(runner, 'summary');
      // warehouse-b has no context in the secret: its diff is an error (exit code 2).
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
        cwd: repo,
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, ...wf.jobs.diff.env, KUBECONFIG_DATA: kubeconfig(['factory-a']), HEAD_REF: 'feature', RUNNER_TEMP: runner, GITHUB_OUTPUT: outputs, GITHUB_STEP_SUMMARY: summary },
      });
      expect([r.status, r.stdout]).toEqual([0, expect.stringContaining('::error::fluxops diff failed for site warehouse-b (exit code 2)')]);
      const out = Object.fromEntries(fs.readFileSync(outputs, 'utf8').trim().split('\n').map((l) => l.split('=', 2)));
      expect(out).toEqual({ comment: path.join(runner, 'fluxops-diff.md'), failed: 'true' });
      const comment = fs.readFileSync(out.comment, 'utf8');
      expect(comment.startsWith('<!-- fluxops-diff -->\n### FluxOps diff for site `factory-a` at `feature (')).toBe(true);
      expect(comment).toContain('| `+` | `Deployment/edge-apps/sensor-gateway` | create: namespace edge-apps is created by this commit |');
      // The head branch was synthesized (its commit adds the env variable), not the checked-out main.
      expect(comment).toMatch(/"name": "LOG_LEVEL",\s*"value": "debug"/);
      expect(comment).toMatch(/### FluxOps diff for site `warehouse-b` failed \(exit code 2\)\n\n```\n[\s\S]*no cluster for context warehouse-b[\s\S]*```\n/);
      expect(fs.readFileSync(summary, 'utf8')).toBe(comment);
      // The kubeconfig from the secret does not outlive the step.
      expect(fs.readdirSync(runner).sort()).toEqual(['fluxops-diff.md', 'output', 'site.err', 'site.md', 'summary']);
    }, 300_000);

    it('GitHub: the comment script updates its one comment on the next push instead of adding another', async () => {
      const wf = parse(fs.readFileSync(path.join(repo, '.github', 'workflows', 'fluxops-diff.yaml'), 'utf8'));
      const script = wf.jobs.diff.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/github-script@')).with.script as string;
      // The part of the GitHub API the script uses, in memory (what it does with it is the logic under test).
      const comments: Array<{ id: number; body: string; user: { type: string }; html_url: string }> = [
        { id: 1, body: 'Looks good. Quoting the bot: <!-- fluxops-diff -->', user: { type: 'User' }, html_url: 'u/1' },
        { id: 2, body: '<!-- fluxops-diff -->\nforged by a person', user: { type: 'User' }, html_url: 'u/2' },
      ];
      const listComments = async () => ({ data: comments });
      const github = {
        paginate: async (fn: typeof listComments) => (await fn()).data.map((c) => ({ ...c })),
        rest: {
          issues: {
            listComments,
            createComment: async (a: { body: string }) => {
              const c = { id: comments.length + 1, body: a.body, user: { type: 'Bot' }, html_url: `u/${comments.length + 1}` };
              comments.push(c);
              return { data: c };
            },
            updateComment: async (a: { comment_id: number; body: string }) => {
              comments.find((c) => c.id === a.comment_id)!.body = a.body;
              return { data: {} };
            },
          },
        },
      };
      const post = async (body: string) => {
        const file = path.join(tmp, 'comment.md');
        fs.writeFileSync(file, body);
        const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
        const fn = new AsyncFunction('require', 'github', 'context', 'core', 'process', script);
        await fn(require, github, { repo: { owner: 'acme', repo: 'fleet-config' }, issue: { number: 7 } }, { info: () => undefined }, { env: { COMMENT_FILE: file } });
      };
      await post('<!-- fluxops-diff -->\nfirst push\n');
      await post('<!-- fluxops-diff -->\nsecond push\n');
      expect(comments.map((c) => [c.id, c.user.type, c.body])).toEqual([
        [1, 'User', 'Looks good. Quoting the bot: <!-- fluxops-diff -->'],
        [2, 'User', '<!-- fluxops-diff -->\nforged by a person'],
        [3, 'Bot', '<!-- fluxops-diff -->\nsecond push\n'],
      ]);
      await post(`<!-- fluxops-diff -->\n${'x'.repeat(70_000)}`);
      expect(comments[2].body.length).toBeLessThan(65_536);
      expect(comments[2].body).toMatch(/\[truncated: the job summary has the whole diff\]\n$/);
    });

    it('GitLab: the diff job posts one merge-request note (GitLab notes API on 127.0.0.1) and updates it on the next push', async () => {
      const notes: Array<{ id: number; body: string }> = [];
      for (let i = 1; i <= 120; i++) notes.push({ id: i, body: i === 5 ? 'see <!-- fluxops-diff --> above' : `note ${i}` });
      const requests: string[] = [];
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        requests.push(`${req.method} ${url.pathname}${url.search}`);
        if (req.headers['private-token'] !== 'glpat-test') return void res.writeHead(401).end('{"message":"401 Unauthorized"}');
        const base = '/api/v4/projects/42/merge_requests/7/notes';
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString('utf8')));
        req.on('end', () => {
          if (req.method === 'GET' && url.pathname === base) {
            const per = Number(url.searchParams.get('per_page'));
            const page = Number(url.searchParams.get('page'));
            return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(notes.slice((page - 1) * per, page * per)));
          }
          if (req.method === 'POST' && url.pathname === base) {
            const note = { id: notes.length + 1, body: JSON.parse(body).body as string };
            notes.push(note);
            return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(note));
          }
          const m = new RegExp(`^${base}/(\\d+)$`).exec(url.pathname);
          if (req.method === 'PUT' && m) {
            notes.find((n) => n.id === Number(m[1]))!.body = JSON.parse(body).body;
            return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          }
          res.writeHead(404).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const port = (server.address() as AddressInfo).port;
        const script = gitlabScripts(path.join(repo, '.gitlab-ci.yml'), { withoutInstall: true })['fluxops-diff'];
        expect(script).not.toContain('npm ');
        const kubeconfigFile = path.join(tmp, 'gitlab-kubeconfig');
        fs.writeFileSync(kubeconfigFile, kubeconfig(SITES), { mode: 0o600 });
        // Asynchronously: the notes API answers from this very process.
        const job = () =>
          run('bash', ['-eo', 'pipefail', '-c', script], {
            cwd: repo,
            timeout: 240_000,
            maxBuffer: 64 << 20,
            env: {
              ...process.env,
              FLUXOPS_SITES: 'factory-a',
              FLUXOPS_KUBECONFIG: kubeconfigFile,
              FLUXOPS_GITLAB_TOKEN: 'glpat-test',
              CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature',
              CI_API_V4_URL: `http://127.0.0.1:${port}/api/v4`,
              CI_PROJECT_ID: '42',
              CI_MERGE_REQUEST_IID: '7',
            },
          }).then(
            (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
            (e: { code: number; stdout: string; stderr: string }) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }),
          );
        git(repo, 'branch', '-D', 'feature'); // only on origin, as in a fresh CI clone
        const firstRun = await job();
        if (firstRun.status !== 0) throw new Error(`the job failed (exit ${firstRun.status}):\n${firstRun.stdout}\n${firstRun.stderr}`);
        expect(firstRun.stdout).toContain('created the FluxOps diff comment');
        expect(notes).toHaveLength(121);
        expect(notes[120].body).toMatch(/^<!-- fluxops-diff -->\n### FluxOps diff for site `factory-a` at `feature \(/);
        const secondRun = await job();
        expect(secondRun.status).toBe(0);
        expect(secondRun.stdout).toContain('updated the FluxOps diff comment');
        expect(notes).toHaveLength(121);
        expect(notes[4].body).toBe('see <!-- fluxops-diff --> above');
        expect(requests.filter((r) => !r.startsWith('GET'))).toEqual([
          'POST /api/v4/projects/42/merge_requests/7/notes',
          'PUT /api/v4/projects/42/merge_requests/7/notes/121',
        ]);
        expect(fs.readFileSync(path.join(repo, 'fluxops-diff.md'), 'utf8')).toBe(notes[120].body);
      } finally {
        await new Promise((resolve) => server.close(resolve));
        for (const f of ['fluxops-diff.md', 'site.md', 'site.err']) fs.rmSync(path.join(repo, f), { force: true });
      }
    }, 300_000);

    it('pulumi up from the config repository deploys a site (FluxOps installed the way npm does: a copy in node_modules)', async () => {
      const dir = path.join(tmp, 'installed');
      fs.mkdirSync(dir);
      for (const f of CONFIG_FILES) fs.cpSync(path.join(repo, f), path.join(dir, f), { recursive: true });
      installDependencies(dir, 'copy');
      const settings = resolvePulumiSettings({ stateDir: path.join(tmp, 'pulumi-state'), passphrase: { kind: 'value', passphrase: 'init test passphrase' }, cli: 'toolchain', env: {} });
      // Run from elsewhere (pulumi -C): the project is found from node_modules, not from $PWD.
      const env: NodeJS.ProcessEnv = { ...pulumiProcessEnv(settings), PWD: '/' };
      delete env.KUBECONFIG;
      const pulumi = (...args: string[]) => run(toolchain.bin('pulumi'), ['-C', dir, ...args, '--non-interactive', '--color=never'], { cwd: '/', env, maxBuffer: 32 << 20 });
      await pulumi('stack', 'init', 'factory-a');
      expect(fs.readFileSync(path.join(dir, 'Pulumi.factory-a.yaml'), 'utf8')).toMatch(/^encryptionsalt: /m);
      const kubeconfigFile = path.join(tmp, 'pulumi-kubeconfig');
      fs.writeFileSync(kubeconfigFile, kubeconfig(['factory-a']), { mode: 0o600 });
      await pulumi('config', 'set', '-s', 'factory-a', 'fluxops:kubeconfig', kubeconfigFile);
      const up = await pulumi('up', '-s', 'factory-a', '--yes', '--skip-preview');
      expect(up.stdout).toMatch(/objectCount: 3/);
      expect(up.stdout).toMatch(/site\s*: "factory-a"/);
      const dep = JSON.parse(await cluster.kubectl(['-n', 'edge-apps', 'get', 'deployment', 'sensor-gateway', '-o', 'json']));
      expect(dep.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/sensor-gateway:1.0.0');
      expect(dep.metadata.labels['fluxops.dev/site']).toBe('factory-a');
      const destroy = await pulumi('destroy', '-s', 'factory-a', '--yes', '--skip-preview');
      expect(destroy.stdout).toMatch(/deleted/);
      // Objects are not awaited (skipAwait), so a Deployment may still be finishing its deletion.
      // Should it stay, the failure shows the object with its managed fields (see notes).
      const gone = await cluster.kubectl(['-n', 'edge-apps', 'wait', '--for=delete', 'deployment/sensor-gateway', '--timeout=60s']).then(
        () => 'deleted',
        async () => cluster.kubectl(['-n', 'edge-apps', 'get', 'deployment', 'sensor-gateway', '-o', 'yaml', '--show-managed-fields']).catch((e: Error) => e.message),
      );
      expect(gone).toBe('deleted');
    }, 300_000);

    it('the README\'s first deploy: npx fluxops up --site factory-a --kubeconfig … --context factory-a, with the stack settings in the repository', async () => {
      const kubeconfigFile = path.join(tmp, 'laptop-kubeconfig');
      fs.writeFileSync(kubeconfigFile, kubeconfig(SITES), { mode: 0o600 });
      const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: path.join(tmp, 'laptop-state'), PULUMI_CONFIG_PASSPHRASE: 'laptop passphrase' };
      for (const k of ['PULUMI_BACKEND_URL', 'PULUMI_HOME', 'FLUXOPS_STATE_DIR', 'KUBECONFIG']) delete env[k];
      const up = await fluxops(['up', '--site', 'factory-a', '--kubeconfig', kubeconfigFile, '--context', 'factory-a', '--output', 'json'], { cwd: repo, env });
      if (up.code !== 0) throw new Error(`fluxops up failed (exit ${up.code}):\n${up.stderr}`);
      const result = JSON.parse(up.stdout);
      expect(result).toMatchObject({ site: 'factory-a', operation: 'up' });
      // The namespace stayed when the pulumi stack above was destroyed (namespaces are kept).
      expect(Object.fromEntries(result.changeSet.entries.map((e: { id: string; action: string }) => [e.id, e.action]))).toEqual({
        'Namespace/edge-apps': 'unchanged',
        'Service/edge-apps/sensor-gateway': 'created',
        'Deployment/edge-apps/sensor-gateway': 'created',
      });
      // The stack is the repository's own Pulumi project: its settings file got the salt.
      expect(fs.readFileSync(path.join(repo, 'Pulumi.factory-a.yaml'), 'utf8')).toMatch(/^encryptionsalt: /m);
      const dep = JSON.parse(await cluster.kubectl(['-n', 'edge-apps', 'get', 'deployment', 'sensor-gateway', '-o', 'json']));
      expect(dep.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/sensor-gateway:1.0.0');
    }, 300_000);
  });
});

describe('the FluxOps checkout a new config repository depends on by default (real git)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-init-checkout-')));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads origin, commit and uncommitted changes; says why when there is no usable origin', () => {
    const dir = path.join(tmp, 'fluxops');
    fs.mkdirSync(dir);
    expect(readFluxOpsCheckout(dir)).toEqual({ problem: 'this FluxOps is not a Git checkout' });
    git(dir, 'init', '-q');
    fs.writeFileSync(path.join(dir, 'package.json'), '{}\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'initial');
    expect(readFluxOpsCheckout(dir)).toEqual({ problem: 'its Git checkout has no origin remote' });
    git(dir, 'remote', 'add', 'origin', 'git@github.com:acme/fluxops.git');
    const commit = git(dir, 'rev-parse', 'HEAD');
    const clean = readFluxOpsCheckout(dir);
    expect(clean).toEqual({ origin: 'git@github.com:acme/fluxops.git', commit, dirty: false });
    expect(defaultFluxOpsDependency(clean, '0.1.0')).toEqual({ spec: `git+ssh://git@github.com/acme/fluxops.git#${commit}`, source: 'checkout', reason: 'the origin and commit of this FluxOps checkout' });
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "changed": true }\n');
    expect(readFluxOpsCheckout(dir).dirty).toBe(true);
  });
});

describe('fluxops init --app: the application repository\'s release workflow', () => {
  let tmp: string;
  let dir: string;
  let r: Result;

  beforeAll(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-init-app-')));
    dir = path.join(tmp, 'sensor-gateway');
    r = await fluxops(['init', '--app', dir, '--image', 'ghcr.io/acme/sensor-gateway']);
  }, 60_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('writes the GitHub and GitLab workflows and the steps to the first release', () => {
    expect(r.code).toBe(0);
    expect(Object.keys(tree(dir)).sort()).toEqual(['.github/workflows/release-image.yaml', '.gitlab-ci.yml']);
    expect(r.stdout).toMatch(/^Release workflow for ghcr\.io\/acme\/sensor-gateway in /);
    expect(r.stdout).toContain('  git tag v1.0.0 && git push origin v1.0.0\n');
  });

  it('passes actionlint; builds linux/amd64 + linux/arm64 with QEMU and Buildx and tags the image with the Git tag\'s version, never latest', () => {
    const file = path.join(dir, '.github', 'workflows', 'release-image.yaml');
    expect(actionlint([file])).toEqual([]);
    const text = fs.readFileSync(file, 'utf8');
    const wf = parse(text);
    expect(wf.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    const job = wf.jobs.image;
    expect(job.env).toEqual({ IMAGE: 'ghcr.io/acme/sensor-gateway' });
    const steps = job.steps as Array<{ id?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }>;
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+\.\d+\.\d+$/);
    const uses = steps.map((s) => s.uses?.split('@')[0]);
    expect(uses.indexOf('docker/setup-qemu-action')).toBeLessThan(uses.indexOf('docker/setup-buildx-action'));
    expect(uses.indexOf('docker/setup-buildx-action')).toBeLessThan(uses.indexOf('docker/build-push-action'));
    const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(build.with).toMatchObject({ platforms: 'linux/amd64,linux/arm64', push: true, tags: '${{ env.IMAGE }}:${{ steps.version.outputs.version }}' });
    expect(text).not.toMatch(/:latest|type=raw,value=latest|latest=true/);

    // The version step itself, in bash: v1.2.3 -> 1.2.3; anything else stops the release.
    const version = steps.find((s) => s.id === 'version')!;
    expect(version.env).toEqual({ GIT_TAG: '${{ github.ref_name }}' });
    const runVersion = (tag: string) => {
      const out = path.join(tmp, `output-${tag}`);
      const res = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', version.run!], { encoding: 'utf8', env: { ...process.env, GIT_TAG: tag, GITHUB_OUTPUT: out } });
      return { status: res.status, stdout: res.stdout, output: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' };
    };
    expect(runVersion('v1.2.3')).toEqual({ status: 0, stdout: '', output: 'version=1.2.3\n' });
    expect(runVersion('v1.2.3-rc.1')).toEqual({ status: 1, stdout: '::error::the tag v1.2.3-rc.1 is not vX.Y.Z\n', output: '' });
    expect(runVersion('latest').status).toBe(1);
  });

  it('GitLab (no linter for GitLab CI here): parses, runs only on vX.Y.Z tags, builds both platforms with the tag\'s version, and its script passes shellcheck', () => {
    const file = path.join(dir, '.gitlab-ci.yml');
    const doc = parse(fs.readFileSync(file, 'utf8'));
    const job = doc['release-image'];
    expect(job.variables).toMatchObject({ IMAGE: 'ghcr.io/acme/sensor-gateway', REGISTRY: 'ghcr.io' });
    expect(job.services).toEqual([expect.stringMatching(/^docker:\d+\.\d+\.\d+-dind$/)]);
    expect(job.image).toMatch(/^docker:\d+\.\d+\.\d+$/);
    // GitLab's rule regex, read as the JavaScript regex it also is.
    const [, pattern] = /^\$CI_COMMIT_TAG =~ \/(.*)\/$/.exec(job.rules[0].if)!;
    const tagRule = new RegExp(pattern);
    expect(['v1.2.3', 'v10.0.12'].map((t) => tagRule.test(t))).toEqual([true, true]);
    expect(['1.2.3', 'v1.2', 'v1.2.3-rc.1', 'latest'].map((t) => tagRule.test(t))).toEqual([false, false, false, false]);
    const script = gitlabScripts(file)['release-image'];
    expect(script).toContain('docker buildx build --platform linux/amd64,linux/arm64 --tag "$IMAGE:$VERSION"');
    expect(script).toContain('--push .');
    expect(script).not.toContain('latest');
    expect(shellcheck(script)).toBe('');
    const version = spawnSync('bash', ['-c', `${script.split('\n')[0]}; printf %s "$VERSION"`], { encoding: 'utf8', env: { ...process.env, CI_COMMIT_TAG: 'v2.0.1' } });
    expect(version.stdout).toBe('2.0.1');
  });

  it('without --image it says what is missing and writes nothing', async () => {
    const target = path.join(tmp, 'no-image');
    const res = await fluxops(['init', '--app', target]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^fluxops: --image: is required with --app: the image the release workflow pushes/);
    expect(fs.existsSync(target)).toBe(false);
  }, 60_000);
});
