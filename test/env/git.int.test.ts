import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findLeaks, serverNames, snapshotServers } from '../support/leak-check';
import {
  cloneWorkdir,
  createGitRemote,
  GitCommandError,
  InvalidWorkdirPathError,
  remoteLog,
  runGit,
  TEST_IDENTITY,
  type GitRemote,
  type GitWorkdir,
} from '../../dev/git';

/** Everything a test created, torn down in afterEach even when the test failed. */
const cleanup: Array<() => Promise<void>> = [];
async function track<T extends { stop(): Promise<void> } | { dispose(): Promise<void> }>(p: Promise<T>): Promise<T> {
  const v = await p;
  cleanup.push(() => ('stop' in v ? v.stop() : v.dispose()));
  return v;
}

afterEach(async () => {
  const errors: unknown[] = [];
  for (const fn of cleanup.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
});

describe('bare git remote over file://', () => {
  it('starts empty on main, takes a commit and push, and a fresh clone sees it', async () => {
    const remote: GitRemote = await track(createGitRemote({ defaultBranch: 'main' }));
    expect(remote.url).toMatch(/^file:\/\//);
    expect((await runGit(['--git-dir', remote.dir, 'symbolic-ref', 'HEAD'])).trim()).toBe('refs/heads/main');
    expect(await remoteLog(remote)).toEqual([]);

    const work: GitWorkdir = await track(cloneWorkdir(remote.url));
    const sha = await work.commit('feat: add edge site', {
      'sites/edge-1/app.yaml': 'image: 127.0.0.1:5000/edge/podinfo:6.5.0\n',
      'README.md': '# fleet\n',
    });
    await work.push();

    const log = await remoteLog(remote, 'main');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      sha,
      parents: [],
      subject: 'feat: add edge site',
      author: { name: TEST_IDENTITY.name, email: TEST_IDENTITY.email },
      committer: { name: TEST_IDENTITY.name, email: TEST_IDENTITY.email },
    });
    expect([...(log[0]?.files ?? [])].sort()).toEqual(['README.md', 'sites/edge-1/app.yaml']);

    const again = await track(cloneWorkdir(remote.url));
    expect(await again.head()).toBe(sha);
    expect(fs.readFileSync(path.join(again.dir, 'sites/edge-1/app.yaml'), 'utf8')).toContain('podinfo:6.5.0');

    // A second change from the other clone, seen by the first after pull.
    const sha2 = await again.commit('chore: bump podinfo', { 'sites/edge-1/app.yaml': 'image: 127.0.0.1:5000/edge/podinfo:6.5.1\n', 'README.md': null });
    await again.push();
    await work.pull();
    expect(await work.head()).toBe(sha2);
    const [latest] = await remoteLog(remote.url, 'main', { maxCount: 1 });
    expect(latest).toMatchObject({ sha: sha2, parents: [sha], subject: 'chore: bump podinfo' });
    expect([...(latest?.files ?? [])].sort()).toEqual(['README.md', 'sites/edge-1/app.yaml']);
  });

  it('gives reproducible shas for a fixed date and rejects paths outside the work tree', async () => {
    const a = await track(createGitRemote());
    const b = await track(createGitRemote());
    const date = '2024-01-02T03:04:05Z';
    const wa = await track(cloneWorkdir(a.url));
    const wb = await track(cloneWorkdir(b.url));
    const files = { 'x.txt': 'same\n' };
    expect(await wa.commit('same', files, { date })).toBe(await wb.commit('same', files, { date }));
    await expect(wa.writeFiles({ '../escape.txt': 'no' })).rejects.toBeInstanceOf(InvalidWorkdirPathError);
    await expect(wa.writeFiles({ '.git/config': 'no' })).rejects.toBeInstanceOf(InvalidWorkdirPathError);
    await expect(wa.commit('nothing changed')).rejects.toBeInstanceOf(GitCommandError);
  });

  it('keeps a caller-provided dir on stop and reuses an existing bare repo', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-git-own-'));
    try {
      const dir = path.join(parent, 'fleet.git');
      const first = await createGitRemote({ dir });
      const w = await cloneWorkdir(first.url);
      const sha = await w.commit('init', { 'a.txt': 'a\n' });
      await w.push();
      await w.dispose();
      await first.stop();
      expect(fs.existsSync(path.join(dir, 'HEAD'))).toBe(true);
      const reopened = await createGitRemote({ dir });
      expect((await remoteLog(reopened))[0]?.sha).toBe(sha);
      await reopened.stop();
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('bare git remote over git:// (git daemon)', () => {
  it('clones and pushes over git://127.0.0.1 and stops the daemon', async () => {
    const remote = await track(createGitRemote({ defaultBranch: 'main', name: 'fleet.git' }));
    const url = await remote.serve();
    expect(url).toMatch(/^git:\/\/127\.0\.0\.1:\d+\/fleet\.git$/);
    expect(await remote.serve()).toBe(url);
    expect(remote.daemonUrl).toBe(url);

    const work = await track(cloneWorkdir(url));
    const sha = await work.commit('feat: over the daemon', { 'clusters/edge-1/kustomization.yaml': 'resources: []\n' });
    await work.push();

    expect((await remoteLog(remote))[0]?.sha).toBe(sha); // the bare repo on disk
    const viaDaemon = await remoteLog(url, 'main'); // read back through git://
    expect(viaDaemon.map((c) => c.sha)).toEqual([sha]);
    expect(await remoteLog(url, 'no-such-branch')).toEqual([]);

    const clone = await track(cloneWorkdir(url));
    expect(await clone.head()).toBe(sha);

    const port = Number(new URL(url).port);
    const snapshot = snapshotServers([remote.daemonPid!]);
    expect(serverNames(snapshot)).toContain('git-daemon');
    expect(snapshot.ports).toEqual([port]);
    expect(await findLeaks(snapshot)).toMatchObject({ ports: [port] });
    await remote.stop();
    expect(remote.daemonPid).toBeUndefined();
    expect(await findLeaks(snapshot)).toEqual({ processes: [], ports: [] });
    expect(fs.existsSync(remote.dir)).toBe(false);
    await expect(remote.serve()).rejects.toMatchObject({ name: 'GitRemoteStoppedError' });
  });

  it('does not export sibling repositories under the base path', async () => {
    const remote = await track(createGitRemote({ name: 'fleet.git' }));
    await runGit(['init', '--quiet', '--bare', path.join(path.dirname(remote.dir), 'secret.git')]);
    const url = await remote.serve();
    await expect(runGit(['ls-remote', url.replace(/fleet\.git$/, 'secret.git')])).rejects.toBeInstanceOf(GitCommandError);
    await expect(runGit(['ls-remote', url])).resolves.toBe('');
  });
});
