import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { startHttpGitServer, type HttpGitServer } from '../../dev/git';
import { fluxopsCacheRoot } from '../../toolchain/locate';

import { extractReadmeCommands, fluxopsArgs, type ReadmeCommand, RUN_VERBATIM, runVerbatim, VERBATIM_SECTIONS, verbKey } from './readme-commands';

/**
 * README.md's tutorial and operations commands, run as written, in README order, against a local
 * edge cluster started here. The directory layout is the README's: the FluxOps checkout is the
 * working directory (`./fluxops` runs bin/fluxops of this repository), `../fleet-config` and
 * `../sensor-gateway` are its siblings, `~` is a fresh home. The config repository's
 * `https://github.com/acme/...` URL is rewritten (`url.<x>.insteadOf` in that home's .gitconfig)
 * to a bare repository served by `git http-backend` on 127.0.0.1 that demands the token of
 * `~/.config/fluxops/git-token`, so `git push` really pushes and the reconciler really
 * authenticates with the README's `--git-token-file` and reads what was pushed.
 *
 * Run as written: every `fluxops` line of a RUN_VERBATIM verb in the Tutorial and Operations
 * sections, `export`, `mkdir`, `openssl`, and `git -C ../fleet-config ...`. `npm install` is
 * emulated (below). Not run here (see COVERAGE in readme-commands.ts): `dev up`/`dev down` (the
 * cluster is started by the test so it is stopped even if the test dies), `demo`, `image build`,
 * and the lines that need the internet or a running reconciler (`git -C ../sensor-gateway push`,
 * `kubectl` of the image, `curl` of /metrics).
 * `reconcile` is run with the README's flags against that server (loopback `http://`: the
 * reconciler sends a token over plain HTTP only to loopback), once.
 */

const REPO = path.resolve(__dirname, '..', '..');
const FLUXOPS = path.join(REPO, 'bin', 'fluxops');
const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
const CONFIG_URL = 'https://github.com/acme/fleet-config.git';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(file: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, [...args], { ...opts, maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README.md tutorial and operations, run as written', () => {
  let cluster: LocalCluster;
  let tmp: string;
  let checkout: string;
  let home: string;
  let bare: string;
  let gitServer: HttpGitServer;
  const TOKEN = 'readme-tutorial-token';
  let env: NodeJS.ProcessEnv;
  // The tutorial and operations sections, in README order.
  const commands = extractReadmeCommands(README).filter((c) => VERBATIM_SECTIONS.some((s) => s.test(c.section)));
  const ran: Array<{ command: ReadmeCommand; result: Ran }> = [];

  /** `~/`, `$HOME` and `$PWD` as a shell would expand them (nothing else is used in the README). */
  const expand = (word: string) => word.replace(/^~(?=\/|$)/, home).replace(/\$HOME\b/g, home).replace(/\$PWD\b/g, checkout);

  const runFluxops = (args: readonly string[]) => exec(process.execPath, [FLUXOPS, ...args.map(expand)], { cwd: checkout, env });

  beforeAll(async () => {
    cluster = await startLocalCluster();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-readme-'));
    checkout = path.join(tmp, 'fluxops');
    home = path.join(tmp, 'home');
    bare = path.join(tmp, 'remotes', 'fleet-config.git');
    fs.mkdirSync(checkout);
    fs.mkdirSync(path.join(home, '.config', 'fluxops'), { recursive: true });
    // What the README expects to exist: `dev up`'s kubeconfig and a Git token file (the README creates the passphrase).
    fs.mkdirSync(path.join(checkout, '.fluxops', 'dev'), { recursive: true });
    fs.copyFileSync(cluster.kubeconfigPath, path.join(checkout, '.fluxops', 'dev', 'kubeconfig'));
    fs.writeFileSync(path.join(home, '.config', 'fluxops', 'git-token'), `${TOKEN}\n`, { mode: 0o600 });
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(base)) if (/^(KUBECONFIG|XDG_STATE_HOME|XDG_CONFIG_HOME|FLUXOPS_STATE_DIR|PULUMI_|GIT_)/.test(k)) delete base[k];
    env = { ...base, HOME: home, FLUXOPS_CACHE_DIR: fluxopsCacheRoot(), GIT_CONFIG_NOSYSTEM: '1' };
    const git = (args: string[], cwd = tmp) => exec('git', args, { cwd, env });
    expect((await git(['init', '--bare', '-b', 'main', bare])).code).toBe(0);
    gitServer = await startHttpGitServer({ projectRoot: path.dirname(bare), auth: { token: TOKEN } });
    // The person's own git (the README's `git push`) has its credentials in the rewritten URL; the reconciler gets only the token file.
    const authed = gitServer.url('fleet-config.git').replace('http://', `http://tutorial:${TOKEN}@`);
    fs.writeFileSync(
      path.join(home, '.gitconfig'),
      `[user]\n\tname = README Tutorial\n\temail = tutorial@example.com\n[url "${authed}"]\n\tinsteadOf = ${CONFIG_URL}\n[init]\n\tdefaultBranch = main\n`,
    );
  }, 180_000);

  afterAll(async () => {
    await gitServer?.stop();
    await cluster?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs one README command as written (or, for `reconcile`, with its flags against the bare repository). */
  async function runShown(command: ReadmeCommand): Promise<Ran | undefined> {
    const [program] = command.words;
    const args = fluxopsArgs(command);
    if (program === 'export') {
      const [name, ...value] = command.words[1]!.split('=');
      env[name!] = expand(value.join('='));
      return { code: 0, stdout: '', stderr: '' };
    }
    if (program === 'git' && command.words[1] === '-C' && command.words[2] === '../fleet-config') {
      if (command.words.includes('commit') && command.words.includes('-am')) applyTutorialEdit();
      return exec('git', command.words.slice(1).map(expand), { cwd: checkout, env });
    }
    if (program === 'npm' && command.words.join(' ') === 'npm --prefix ../fleet-config install') {
      // Emulated (tests reach no registry): what npm installs for the `fluxops` dependency is a
      // copy of FluxOps; with `--fluxops file:<checkout>` it is exactly this symlink.
      fs.mkdirSync(path.join(tmp, 'fleet-config', 'node_modules'), { recursive: true });
      fs.symlinkSync(REPO, path.join(tmp, 'fleet-config', 'node_modules', 'fluxops'));
      return { code: 0, stdout: '', stderr: '' };
    }
    if (program === 'mkdir' || program === 'openssl') return exec(program, command.words.slice(1).map(expand), { cwd: checkout, env });
    if (args && runVerbatim(command)) return runFluxops(args);
    if (args?.[0] === 'reconcile') {
      // The README's flags, against the server the README's `git push` pushed to; once, without image automation (no registry here).
      expect(args).toEqual(['reconcile', '--site', 'factory-a', '--repo', CONFIG_URL, '--git-token-file', '~/.config/fluxops/git-token']);
      gitServer.clearRequests();
      return runFluxops(['reconcile', '--site', 'factory-a', '--repo', gitServer.url('fleet-config.git'), '--git-token-file', '~/.config/fluxops/git-token', '--once', '--no-images']);
    }
    return undefined;
  }

  /** What the tutorial's comment line asks for: two replicas of the app on factory-a. */
  function applyTutorialEdit(): void {
    const file = path.join(tmp, 'fleet-config', 'fleet.ts');
    const before = fs.readFileSync(file, 'utf8');
    const after = before.replace(/(new Site\(fleet, 'factory-a', \{\n\s*apps: \[app\],)/, '$1\n    overrides: [{ app, replicas: 2 }],');
    expect(after).not.toBe(before);
    fs.writeFileSync(file, after);
  }

  it('every tutorial and operations command runs and does what the README says', async () => {
    for (const command of commands) {
      const result = await runShown(command);
      if (!result) continue;
      ran.push({ command, result });
      const args = fluxopsArgs(command);
      const where = `README.md:${command.line}: ${command.text}\n${result.stdout}\n${result.stderr}`;
      // `diff` exits 1 when something would change (the pull request's change); everything else exits 0.
      const expected = args?.[0] === 'diff' ? 1 : 0;
      if (result.code !== expected) throw new Error(`exit code ${result.code} (expected ${expected}) for ${where}`);
      await checkOutcome(command, args, result);
    }
    // Every README line of the verbs this test claims to run verbatim was run.
    const verbatim = commands.filter(runVerbatim);
    expect(new Set(verbatim.map(verbKey))).toEqual(new Set(RUN_VERBATIM));
    expect(ran.map((r) => r.command.line)).toEqual(expect.arrayContaining(verbatim.map((c) => c.line)));
    expect(ran.some((r) => fluxopsArgs(r.command)?.[0] === 'reconcile')).toBe(true);
  }, 900_000);

  async function checkOutcome(command: ReadmeCommand, fluxopsArgv: string[] | undefined, r: Ran): Promise<void> {
    const args = fluxopsArgv ?? [];
    const deployment = async () => JSON.parse(await cluster.kubectl(['-n', 'edge-apps', 'get', 'deployment', 'sensor-gateway', '-o', 'json'])) as { spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } };
    const lock = () => fs.readFileSync(path.join(tmp, 'fleet-config', 'fluxops.lock.yaml'), 'utf8');
    switch (verbKey(command)) {
      case 'init':
        if (args.includes('--app')) expect(fs.existsSync(path.join(tmp, 'sensor-gateway', '.github', 'workflows', 'release-image.yaml'))).toBe(true);
        else for (const f of ['fleet.ts', 'fluxops.lock.yaml', 'Pulumi.factory-a.yaml', '.github/workflows/fluxops-diff.yaml']) expect(fs.existsSync(path.join(tmp, 'fleet-config', f))).toBe(true);
        break;
      case 'synth':
        expect(r.stdout).toMatch(/kind: Deployment\n[\s\S]*name: sensor-gateway/);
        expect(r.stdout).toContain('- arm64');
        expect(r.stderr).toMatch(/using its initialTag 1\.0\.0/);
        break;
      case 'preview':
        expect(r.stdout).toMatch(/Deployment\/edge-apps\/sensor-gateway/);
        await expect(cluster.kubectl(['-n', 'edge-apps', 'get', 'deployment', 'sensor-gateway'])).rejects.toThrow(/NotFound/);
        break;
      case 'up':
        expect(r.stdout).toMatch(/Deployment\/edge-apps\/sensor-gateway created/);
        expect((await deployment()).spec.template.spec.containers[0]!.image).toBe('ghcr.io/acme/sensor-gateway:1.0.0');
        break;
      case 'reconcile':
        // It authenticated with the token file (the server refuses anonymous requests).
        expect(gitServer.requests.some((q) => q.authorized && q.service === 'git-upload-pack')).toBe(true);
        break;
      case 'status':
        expect(r.stdout).toMatch(/^site factory-a\n\s+Ready\s+True/);
        break;
      case 'history':
        if (args.includes('json')) expect((JSON.parse(r.stdout) as unknown[]).length).toBeGreaterThan(0);
        else expect(r.stdout).not.toMatch(/no runs recorded/);
        break;
      case 'diff':
        expect(r.stdout).toContain('### FluxOps diff for site `factory-a` at `two-gateways');
        expect(r.stdout).toMatch(/- spec\.replicas: 1\n\+ spec\.replicas: 2/);
        expect((await deployment()).spec.replicas).toBe(1); // a diff changes nothing
        break;
      case 'suspend':
      case 'resume': {
        expect(r.stdout).toBe(`site factory-a ${args[0] === 'suspend' ? 'suspended' : 'resumed'}\n`);
        const status = await runFluxops(['status', '--site', 'factory-a', '--output', 'json']);
        expect((JSON.parse(status.stdout) as { suspended?: boolean }).suspended ?? false).toBe(args[0] === 'suspend');
        break;
      }
      case 'bootstrap': {
        expect(r.stdout).toMatch(/Deployment\/fluxops-system\/fluxops-reconciler (created|configured)/);
        const pod = JSON.parse(await cluster.kubectl(['-n', 'fluxops-system', 'get', 'deployment', 'fluxops-reconciler', '-o', 'json'])).spec.template.spec;
        expect(pod.containers[0].image).toBe('registry.example.com/fluxops/reconciler:0.2.0');
        expect(pod.containers[0].args).toEqual(expect.arrayContaining(['--git-token-file']));
        // The credentials went into the Secret, and not into the output.
        expect(`${r.stdout}${r.stderr}`).not.toContain('readme-tutorial-token');
        const secret = JSON.parse(await cluster.kubectl(['-n', 'fluxops-system', 'get', 'secret', 'fluxops-reconciler-credentials', '-o', 'json'])) as { data: Record<string, string> };
        expect(Object.keys(secret.data).sort()).toEqual(expect.arrayContaining(['git-token', 'pulumi-passphrase']));
        break;
      }
      case 'images hold':
        expect(r.stdout).toMatch(/^hold sensor-gateway on site factory-a at 1\.0\.0: INC-42: .*\ncommitted [0-9a-f]{12}/);
        expect(lock()).toMatch(/siteHolds:\s+factory-a:\s+sensor-gateway:\s+tag: "?1\.0\.0"?/);
        break;
      case 'images release':
        expect(lock()).not.toContain('siteHolds:\n  factory-a');
        break;
      case 'images mark-bad':
        expect(lock()).toMatch(/badTags:[\s\S]*1\.1\.0/);
        break;
      case 'images unmark-bad':
        expect(lock()).not.toMatch(/tag: "?1\.1\.0"?/);
        break;
      default:
        if (command.words[0] === 'openssl') expect(fs.readFileSync(path.join(home, '.config', 'fluxops', 'passphrase'), 'utf8')).toMatch(/^[A-Za-z0-9+/=]{40,}\n$/);
        if (command.words[0] === 'git' && command.words.includes('push')) {
          // The remote branch now holds exactly what the checkout has.
          const local = path.join(tmp, 'fleet-config');
          const branch = (await exec('git', ['-C', local, 'branch', '--show-current'], { cwd: tmp, env })).stdout.trim();
          const head = (await exec('git', ['-C', local, 'rev-parse', 'HEAD'], { cwd: tmp, env })).stdout.trim();
          expect((await exec('git', ['--git-dir', bare, 'rev-parse', '--verify', `refs/heads/${branch}`], { cwd: tmp, env })).stdout.trim()).toBe(head);
        }
    }
  }
});
