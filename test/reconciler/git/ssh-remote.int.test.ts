import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, isPortOpen } from '../../../dev/net';
import { GitAuthError, GitHostKeyError, GitRepositoryNotFoundError, GitUnreachableError, type GitSshAuth } from '../../../reconciler/git';
import { lockDecisions, lockWriteBack, writeBack } from '../../../reconciler/images/git';
import { GitCache, headOf, removeTree } from '../../../reconciler/source';
import { parseImageLock } from '../../../constructs/lock';
import { createTestRemote, descendantCommandLines, readTree, recordingClock, type TestRemote } from '../../support/git-remotes';
import { startSshGitServer, type SshGitServer } from '../../support/ssh-git-server';

jest.setTimeout(300_000);

const LOCK = fs.readFileSync(path.resolve(__dirname, '../../../examples/edge-fleet/fluxops.lock.yaml'), 'utf8');
let remote: TestRemote;
let server: SshGitServer;
let auth: GitSshAuth;

beforeAll(async () => {
  remote = await createTestRemote({ initial: { 'fluxops.lock.yaml': LOCK, 'fleet.ts': 'export default {};\n' } });
  server = await startSshGitServer(path.dirname(remote.remote.dir));
  auth = { kind: 'ssh', privateKeyFile: server.clientKey, knownHostsFile: server.knownHosts };
});
afterAll(async () => {
  await server?.stop();
  await remote?.stop();
});

const url = () => server.url(remote.remote.name);

describe('git over ssh (key file + known_hosts, StrictHostKeyChecking=yes)', () => {
  it('reads the head, checks out a commit and writes back', async () => {
    const head = (await remote.work.head()) as string;
    expect(await headOf(url(), 'main', auth)).toBe(head);
    expect(server.log()).toMatch(/exec "git-upload-pack '\/fleet\.git'" env=\[GIT_PROTOCOL=version=2\]/);

    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-ssh-cache-'));
    try {
      const cache = await GitCache.open({ dir: cacheDir });
      const co = await cache.checkout(url(), head, auth);
      expect(readTree(co.dir)).toEqual({ 'fleet.ts': 'export default {};\n', 'fluxops.lock.yaml': LOCK });
    } finally {
      await removeTree(cacheDir);
    }

    const entry = { image: 'registry.local:5000/edge/dashboard', tag: 'main-0000000-1740000000', digest: `sha256:${'e'.repeat(64)}`, updatedAt: '2026-01-15T12:00:00Z', platforms: ['linux/arm64'] };
    const result = await writeBack({
      url: url(),
      auth,
      settings: { author: { name: 'FluxOps Bot', email: 'bot@fluxops.example' }, message: { automationName: 'images', namespace: 'flux-system', messageTemplate: 'chore: bump images' }, branch: 'main' },
      compute: lockWriteBack({ decisions: lockDecisions(parseImageLock(LOCK, 'lock'), [{ action: 'set', policy: 'dashboard', entry }]) }),
      clock: recordingClock(),
    });
    expect(result.status).toBe('pushed');
    expect((await remote.git(['rev-parse', 'main'])).trim()).toBe(result.commit);
    expect(server.log()).toContain(`exec "git-receive-pack '/fleet.git'"`);
  });

  it('runs ssh with the key by file name and strict host key checking, nothing secret on the command line', async () => {
    server.setSlow(true);
    const seen: string[][] = [];
    let done = false;
    try {
      const run = headOf(url(), 'main', auth).finally(() => (done = true));
      while (!done) {
        seen.push(...descendantCommandLines());
        await new Promise((r) => setTimeout(r, 20));
      }
      await run;
    } finally {
      server.setSlow(false);
    }
    const ssh = seen.find((c) => c[0] === 'ssh');
    expect(ssh).toEqual(expect.arrayContaining(['-F', '/dev/null', '-i', server.clientKey, 'IdentitiesOnly=yes', 'StrictHostKeyChecking=yes', `UserKnownHostsFile=${server.knownHosts}`, 'BatchMode=yes']));
    expect(ssh).not.toContain('StrictHostKeyChecking=no');
    const keyBody = fs.readFileSync(server.clientKey, 'utf8').split('\n')[1] as string;
    expect(seen.map((c) => c.join(' ')).join('\n')).not.toContain(keyBody);
  });

  it('refuses an unknown or changed host key', async () => {
    const empty = path.join(os.tmpdir(), `fluxops-empty-known-hosts-${process.pid}`);
    fs.writeFileSync(empty, '');
    try {
      for (const knownHostsFile of [server.wrongKnownHosts, empty]) {
        const err = await headOf(url(), 'main', { ...auth, knownHostsFile }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GitHostKeyError);
        expect(err).toBeInstanceOf(GitAuthError);
        expect(err).toMatchObject({ code: 'git-host-key-rejected', repository: url() });
      }
      // Only when asked explicitly.
      expect(await headOf(url(), 'main', { kind: 'ssh', privateKeyFile: server.clientKey, insecureIgnoreHostKey: true })).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      fs.rmSync(empty, { force: true });
    }
  });

  it('tells a refused key, an unusable key file, a missing repository and a dead server apart', async () => {
    const clock = recordingClock();
    const refused = await headOf(url(), 'main', { ...auth, privateKeyFile: server.otherKey }, { clock }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GitAuthError);
    expect(refused).not.toBeInstanceOf(GitHostKeyError);
    expect(clock.sleeps).toEqual([]);

    // A key readable by others (a Kubernetes Secret mounted without defaultMode 0400): ssh refuses to use it.
    const loose = path.join(os.tmpdir(), `fluxops-loose-key-${process.pid}`);
    fs.copyFileSync(server.clientKey, loose);
    fs.chmodSync(loose, 0o644);
    try {
      const err = await headOf(url(), 'main', { ...auth, privateKeyFile: loose }, { clock }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitAuthError);
      expect((err as GitAuthError).detail).toMatch(/UNPROTECTED PRIVATE KEY FILE|bad permissions/);
    } finally {
      fs.rmSync(loose, { force: true });
    }

    await expect(headOf(server.url('absent.git'), 'main', auth, { clock })).rejects.toBeInstanceOf(GitRepositoryNotFoundError);
    const port = await freePort();
    const down = await headOf(`ssh://git@127.0.0.1:${port}/fleet.git`, 'main', auth, { clock, retry: { attempts: 2 } }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(GitUnreachableError);
    expect(down).toMatchObject({ attempts: 2 });
  });

  it('leaves no server behind when stopped', async () => {
    expect(await isPortOpen(server.port)).toBe(true);
    await server.stop();
    expect(await isPortOpen(server.port)).toBe(false);
    expect(descendantCommandLines().filter((c) => (c[0] ?? '').endsWith('ssh-git-server'))).toEqual([]);
  });
});
