import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { stringify as toYaml } from 'yaml';

import { findLockEntry, parseImageLock } from '../../constructs';
import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { cloneWorkdir, createGitRemote, remoteLog, runGit, type GitRemote } from '../../dev/git';
import { freePort } from '../../dev/net';
import { pushImage, startRegistry, type LocalRegistry } from '../../dev/registry';
import { KubeClient } from '../../reconciler/cluster/kube-client';
import { until } from '../support/fault-fleet';

/**
 * Fault 4 of the fault suite: the reconciler (`fluxops reconcile`, a real child process with its
 * image automation loop) SIGKILLed while it pushes a lock commit. The Git remote (git daemon)
 * holds the push in a pre-receive hook until the test has killed the reconciler, then either
 * lets it through (the commit lands although its pusher is dead) or refuses it (it never lands).
 * A new process with the same settings must leave exactly one lock commit for the new tag in
 * the remote: the one that landed, or one it makes again; never none, never two.
 */

const SITE = 'fault-push';
const NS = 'fault-push-apps';
const REPO = path.join(__dirname, '..', '..');

const FLEET = `
import { EdgeApp, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation, Site, defineFleet } from 'fluxops/constructs';
export default defineFleet({ name: 'push', namespace: '${NS}' }, (fleet) => {
  const source = new GitSource(fleet, 'config', { url: process.env.FLEET_GIT_URL!, ref: { kind: 'branch', name: 'main' } });
  const repo = new ImageRepository(fleet, 'gateway-repo', { name: 'gateway', image: \`\${process.env.FLEET_REGISTRY}/edge/gateway\`, insecure: true });
  const policy = new ImagePolicy(fleet, 'gateway-policy', { name: 'gateway', repository: repo, policy: { kind: 'semver', range: '^1.4.0' }, initialTag: '1.4.0' });
  new ImageUpdateAutomation(fleet, 'images', { source, policies: [policy], author: { name: 'FluxOps Bot', email: 'bot@example.com' } });
  const app = new EdgeApp(fleet, 'gateway', { containers: [{ image: policy, ports: [{ name: 'http', port: 8080 }] }] });
  new Site(fleet, '${SITE}', { apps: [app] });
});
`;

describe('fault: the reconciler SIGKILLed while it pushes a lock commit', () => {
  let cluster: LocalCluster;
  let registry: LocalRegistry;
  let remote: GitRemote;
  let kube: KubeClient;
  let dir: string;
  let configFile: string;
  let gate: string;
  let held: string;
  let refuse: string;
  let child: ChildProcess | undefined;
  let output = '';
  const context = () => `reconciler output (last 3000 characters):\n${output.slice(-3000)}`;

  const startChild = () => {
    output = '';
    const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'fluxops'), 'reconcile', '--config', configFile, '--log-level', 'debug'], {
      cwd: dir,
      env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: 'push passphrase' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    return proc;
  };
  const killChild = async (proc: ChildProcess) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    await exited;
  };
  const lockedTag = async () => findLockEntry(parseImageLock(await runGit(['--git-dir', remote.dir, 'show', 'main:fluxops.lock.yaml']), 'remote lock'), 'gateway')?.entry.tag;
  const botCommits = async (tag: string) => (await remoteLog(remote)).filter((c) => c.author.name === 'FluxOps Bot' && `${c.subject}\n${c.body}`.includes(tag));
  const deployedTag = async () =>
    /:([^:@]+)@sha256:/.exec(
      ((await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'gateway' })) as { spec: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined)?.spec.template.spec.containers[0].image ?? '',
    )?.[1];

  /** Holds the next push in the remote, kills the reconciler, then lets the push through or refuses it; restarts; checks there is exactly one lock commit for `tag`. */
  async function killMidPush(tag: string, landing: 'lands' | 'refused') {
    const before = (await remoteLog(remote)).map((c) => c.sha);
    fs.writeFileSync(gate, '');
    if (landing === 'refused') fs.writeFileSync(refuse, '');
    await pushImage(registry.host, 'edge/gateway', tag, { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    await until('the lock commit push held by the remote', async () => fs.existsSync(held), { timeoutMs: 120_000, context });
    await killChild(child!);
    child = undefined;
    fs.rmSync(gate);
    // The remote finishes (or refuses) the push of a pusher that is gone.
    await until('the held push finished', async () => !fs.existsSync(held), { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    const landed = (await botCommits(tag)).length;
    fs.rmSync(refuse, { force: true });
    expect(landed).toBe(landing === 'lands' ? 1 : 0);

    child = startChild();
    await until(`the site running ${tag}`, async () => (await deployedTag()) === tag, { timeoutMs: 240_000, context });
    // Let the restarted loop scan a few more times: it must not commit the tag again.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await lockedTag()).toBe(tag);
    expect(await botCommits(tag)).toHaveLength(1);
    // Nothing lost: every commit the remote had is still in its history.
    const after = (await remoteLog(remote)).map((c) => c.sha);
    expect(after).toEqual(expect.arrayContaining(before));
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-fault-push-'));
    [cluster, registry, remote] = await Promise.all([startLocalCluster(), startRegistry(), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    await pushImage(registry.host, 'edge/gateway', '1.4.0', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index' });
    gate = path.join(dir, 'gate');
    held = path.join(dir, 'held');
    refuse = path.join(dir, 'refuse');
    // While the gate file exists, a push waits in the remote (after receiving every object, before updating the branch).
    const hook = path.join(remote.dir, 'hooks', 'pre-receive');
    fs.mkdirSync(path.dirname(hook), { recursive: true });
    fs.writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\nif [ -f '${gate}' ]; then\n  touch '${held}'\n  while [ -f '${gate}' ]; do sleep 0.1; done\n  r=0; [ -f '${refuse}' ] && r=1\n  rm -f '${held}'\n  exit $r\nfi\nexit 0\n`, { mode: 0o755 });
    const work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    await work.commit('fleet', { 'fleet.ts': FLEET, 'fluxops.lock.yaml': 'schemaVersion: 1\npolicies: {}\n' });
    await work.push();
    const gitUrl = await remote.serve();
    configFile = path.join(dir, 'reconcile.yaml');
    fs.writeFileSync(
      configFile,
      toYaml({
        site: SITE,
        repository: { url: gitUrl, branch: 'main' },
        interval: '1s',
        driftInterval: '1h',
        kubeconfig: cluster.kubeconfigPath,
        stateDir: path.join(dir, 'state'),
        listen: `127.0.0.1:${await freePort()}`,
        healthTimeout: '60s',
        fleetEnv: { FLEET_REGISTRY: registry.host, FLEET_GIT_URL: remote.url },
        images: { interval: '1s' },
      }),
    );
    child = startChild();
    await until('the site running 1.4.0', async () => (await deployedTag()) === '1.4.0', { timeoutMs: 300_000, context });
  }, 400_000);

  afterAll(async () => {
    fs.rmSync(gate ?? '', { force: true });
    if (child) await killChild(child);
    kube?.close();
    await Promise.allSettled([cluster?.stop(), registry?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('the push lands after its pusher died: the restarted reconciler finds it and does not commit again', async () => {
    await killMidPush('1.4.1', 'lands');
  }, 400_000);

  it('the push is refused after its pusher died: the restarted reconciler commits it again, once', async () => {
    await killMidPush('1.4.2', 'refused');
  }, 400_000);
});
