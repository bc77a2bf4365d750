import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processTree } from '../../../dev/linux-proc';
import { freePort } from '../../../dev/net';
import {
  GitAuthError,
  GitCommitNotFoundError,
  GitConfigError,
  GitRefNotFoundError,
  GitRepositoryNotFoundError,
  GitUnreachableError,
  type GitAuth,
} from '../../../reconciler/git';
import { GitCache, GitRepository, headOf } from '../../../reconciler/source';
import { createTestRemote, descendantCommandLines, readTree, recordingClock, type TestRemote } from '../../support/git-remotes';

const TOKEN = 'fluxops-test-token-8f1c2e7a9b';
const TOKEN_AUTH: GitAuth = { kind: 'token', token: TOKEN };
const BASE64 = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

jest.setTimeout(120_000);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function remote(opts: Parameters<typeof createTestRemote>[0] = {}): Promise<TestRemote> {
  const r = await createTestRemote({ initial: { 'fleet.ts': 'export default 1;\n', 'clusters/a.yaml': 'a: 1\n' }, ...opts });
  cleanup.push(() => r.stop());
  return r;
}

async function cache(opts: Partial<Parameters<typeof GitCache.open>[0]> = {}): Promise<GitCache> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-cache-test-'));
  cleanup.push(async () => {
    // Checkouts are read-only; make directories writable again before removing.
    await import('../../../reconciler/source').then((m) => m.removeTree(dir));
  });
  return GitCache.open({ dir, ...opts });
}

async function expectError<T extends Error>(p: Promise<unknown>, cls: new (...args: never[]) => T): Promise<T> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  return err as T;
}

describe('headOf', () => {
  it('returns the branch head over file://, git:// and HTTP with a token, in one round trip without a fetch', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    const head = (await r.work.head()) as string;
    const daemon = await r.remote.serve();
    expect(await headOf(r.remote.url, 'main', { kind: 'none' })).toBe(head);
    expect(await headOf(r.remote.dir, 'main', { kind: 'none' })).toBe(head);
    expect(await headOf(daemon, 'main', { kind: 'none' })).toBe(head);
    r.http?.clearRequests();
    expect(await headOf(r.httpUrl as string, 'main', TOKEN_AUTH)).toBe(head);
    expect(r.http?.requests.map((q) => q.command)).toEqual(['info-refs', 'ls-refs']);
    expect(r.http?.requests.every((q) => q.authorization === `Basic ${BASE64}`)).toBe(true);
  });

  it('matches the branch name exactly', async () => {
    const r = await remote();
    await r.work.git(['push', '--quiet', 'origin', 'HEAD:refs/heads/feature/main']);
    const other = await r.push('second', { 'b.txt': 'b\n' });
    await r.work.git(['push', '--quiet', 'origin', `${other}:refs/heads/x/refs/heads/main`]);
    const first = (await r.git(['rev-parse', 'refs/heads/feature/main'])).trim();
    await r.git(['update-ref', 'refs/heads/main', first]);
    expect(await headOf(r.remote.url, 'main', { kind: 'none' })).toBe(first);
  });

  it('tells auth refused, no such branch, no such repository and unreachable apart', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    const daemon = await r.remote.serve();
    const clock = recordingClock();

    const refused = await expectError(headOf(r.httpUrl as string, 'main', { kind: 'token', token: 'wrong-token-123' }, { clock }), GitAuthError);
    expect(refused).toMatchObject({ code: 'git-auth-refused', withCredentials: true, repository: r.httpUrl, operation: 'ls-remote' });
    const anonymous = await expectError(headOf(r.httpUrl as string, 'main', { kind: 'none' }, { clock }), GitAuthError);
    expect(anonymous.withCredentials).toBe(false);
    expect(clock.sleeps).toEqual([]); // refusals are not retried

    for (const url of [r.httpUrl as string, r.remote.url, daemon]) {
      const missing = await expectError(headOf(url, 'nope', url === r.httpUrl ? TOKEN_AUTH : { kind: 'none' }, { clock }), GitRefNotFoundError);
      expect(missing).toMatchObject({ code: 'git-ref-not-found', branch: 'nope', ref: 'nope' });
    }
    await expectError(headOf(`${path.dirname(r.remote.dir)}/absent.git`, 'main', { kind: 'none' }, { clock }), GitRepositoryNotFoundError);
    // (git daemon just closes the connection for a missing repository: indistinguishable from a network fault.)
    await expectError(headOf(r.http?.url('absent.git') as string, 'main', TOKEN_AUTH, { clock }), GitRepositoryNotFoundError);
    expect(clock.sleeps).toEqual([]);

    const port = await freePort();
    const down = await expectError(headOf(`http://127.0.0.1:${port}/fleet.git`, 'main', TOKEN_AUTH, { clock, retry: { attempts: 3, baseDelayMs: 100 } }), GitUnreachableError);
    expect(down).toMatchObject({ code: 'git-unreachable', attempts: 3, timedOut: false });
    expect(clock.sleeps).toEqual([75, 150]); // backoff with jitter (random fixed at 0.5)
    await r.remote.stop();
    await expectError(headOf(daemon, 'main', { kind: 'none' }, { clock, retry: { attempts: 1 } }), GitUnreachableError);
  });

  it('retries 5xx answers with backoff and then succeeds', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    const clock = recordingClock();
    r.http?.failNext(2, 503);
    expect(await headOf(r.httpUrl as string, 'main', TOKEN_AUTH, { clock, retry: { baseDelayMs: 200 } })).toBe(await r.work.head());
    expect(clock.sleeps).toEqual([150, 300]);
  });

  it('times out a remote that does not answer, and stops git', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    r.http?.setDelay(5_000);
    const clock = recordingClock();
    const started = Date.now();
    const err = await expectError(headOf(r.httpUrl as string, 'main', TOKEN_AUTH, { clock, timeoutMs: 500, retry: { attempts: 2 } }), GitUnreachableError);
    expect(err).toMatchObject({ timedOut: true, attempts: 2 });
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(descendantCommandLines().filter((c) => c[0] === 'git' && c[1] === 'ls-remote')).toEqual([]);
  });

  it('never puts the token on a command line or in an error', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    r.http?.setDelay(1_500);
    const seen: string[][] = [];
    let done = false;
    const run = headOf(r.httpUrl as string, 'main', TOKEN_AUTH).finally(() => (done = true));
    while (!done) {
      seen.push(...descendantCommandLines());
      await new Promise((res) => setTimeout(res, 25));
    }
    await run;
    const gitLines = seen.filter((c) => /(^|\/)git(-remote-https?)?$/.test(c[0] ?? '') || c[0] === 'git-remote-http');
    expect(gitLines.some((c) => c.includes('ls-remote'))).toBe(true);
    expect(gitLines.some((c) => c[0]?.includes('remote-http'))).toBe(true);
    const all = seen.map((c) => c.join(' ')).join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(BASE64);

    // Errors: a refused token, a bad URL with a token in it, an unreachable remote.
    r.http?.setDelay(0);
    const errors: unknown[] = [
      await headOf(r.http?.url('fleet.git') as string, 'main', { kind: 'token', token: `${TOKEN}x` }).catch((e: unknown) => e),
      await headOf(`https://x-access-token:${TOKEN}@127.0.0.1:1/fleet.git`, 'main', { kind: 'none' }).catch((e: unknown) => e),
      await headOf(`http://127.0.0.1:${await freePort()}/fleet.git`, 'main', TOKEN_AUTH, { retry: { attempts: 1 } }).catch((e: unknown) => e),
    ];
    expect(errors[0]).toBeInstanceOf(GitAuthError);
    expect(errors[1]).toBeInstanceOf(GitConfigError);
    expect(errors[2]).toBeInstanceOf(GitUnreachableError);
    for (const e of errors) {
      const text = `${(e as Error).message}\n${(e as Error).stack}\n${JSON.stringify((e as { toJSON(): unknown }).toJSON())}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(BASE64);
    }
  });
});

describe('GitCache', () => {
  it('checks out one commit shallowly, then another, and reuses an intact checkout without contacting the remote', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    const c1 = (await r.work.head()) as string;
    const c2 = await r.push('second', { 'clusters/a.yaml': 'a: 2\n', 'clusters/b.yaml': 'b: 1\n' });
    const c = await cache();
    r.http?.clearRequests();

    const co2 = await c.checkout(r.httpUrl as string, c2, TOKEN_AUTH);
    expect(co2).toMatchObject({ commit: c2, reused: false, fetched: true, viaBranch: false, repository: r.httpUrl });
    expect(readTree(co2.dir)).toEqual({ 'clusters/a.yaml': 'a: 2\n', 'clusters/b.yaml': 'b: 1\n', 'fleet.ts': 'export default 1;\n' });
    expect(r.http?.requests.filter((q) => q.command === 'fetch')).toHaveLength(1);

    const co1 = await c.checkout(r.httpUrl as string, c1, TOKEN_AUTH);
    expect(readTree(co1.dir)).toEqual({ 'clusters/a.yaml': 'a: 1\n', 'fleet.ts': 'export default 1;\n' });
    expect(co1.dir).not.toBe(co2.dir);

    // The cache repository is shallow: each commit was fetched alone (depth 1).
    const repo = path.join(c.dir, 'repos', fs.readdirSync(path.join(c.dir, 'repos'))[0] as string);
    const shallow = fs.readFileSync(path.join(repo, 'shallow'), 'utf8').trim().split('\n').sort();
    expect(shallow).toEqual([c1, c2].sort());

    // Read-only files and directories (mode bits: the tests may run as root, who writes anyway).
    expect(fs.statSync(path.join(co2.dir, 'fleet.ts')).mode & 0o222).toBe(0);
    expect(fs.statSync(path.join(co2.dir, 'clusters')).mode & 0o222).toBe(0);
    expect(fs.statSync(co2.dir).mode & 0o222).toBe(0);

    r.http?.clearRequests();
    const again = await c.checkout(r.httpUrl as string, c2, TOKEN_AUTH);
    expect(again).toMatchObject({ dir: co2.dir, reused: true, fetched: false });
    expect(r.http?.requests).toEqual([]);
  });

  it('follows a branch: poll fetches only when the head moved', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    const repo = new GitRepository({ url: r.httpUrl as string, branch: 'main', auth: TOKEN_AUTH, cache: await cache() });
    const first = await repo.poll();
    expect(first.changed).toBe(true);
    r.http?.clearRequests();
    const same = await repo.poll(first.commit);
    expect(same).toEqual({ changed: false, commit: first.commit });
    expect(r.http?.requests.map((q) => q.command)).toEqual(['info-refs', 'ls-refs']);

    const next = await r.push('bump', { 'clusters/a.yaml': 'a: 3\n' });
    r.http?.clearRequests();
    const moved = await repo.poll(first.commit);
    expect(moved).toMatchObject({ changed: true, commit: next, previous: first.commit });
    expect(r.http?.requests.filter((q) => q.command === 'fetch')).toHaveLength(1);
    if (moved.changed) expect(fs.readFileSync(path.join(moved.checkout.dir, 'clusters/a.yaml'), 'utf8')).toBe('a: 3\n');
  });

  it('falls back to the branch when the server refuses to serve a commit by id (protocol v0)', async () => {
    const r = await remote({ http: { auth: { token: TOKEN }, protocolV2: false } });
    const old = (await r.work.head()) as string;
    for (let i = 0; i < 15; i++) await r.push(`c${i}`, { 'n.txt': `${i}\n` });
    const c = await cache();
    const err = await expectError(c.checkout(r.httpUrl as string, old, TOKEN_AUTH), GitCommitNotFoundError);
    expect(err).toMatchObject({ code: 'git-commit-not-found', commit: old });
    const co = await c.checkout(r.httpUrl as string, old, TOKEN_AUTH, { branch: 'main' });
    expect(co).toMatchObject({ viaBranch: true, fetched: true, commit: old });
    expect(readTree(co.dir)).toEqual({ 'clusters/a.yaml': 'a: 1\n', 'fleet.ts': 'export default 1;\n' });
    // The branch's head is served directly (it is advertised).
    const head = (await r.work.head()) as string;
    const tip = await c.checkout(r.httpUrl as string, head, TOKEN_AUTH);
    expect(tip.viaBranch).toBe(false);
  });

  it('reports a commit the remote does not have', async () => {
    const r = await remote();
    const c = await cache();
    const missing = 'f'.repeat(40);
    const err = await expectError(c.checkout(r.remote.url, missing, { kind: 'none' }, { branch: 'main' }), GitCommitNotFoundError);
    expect(err.commit).toBe(missing);
    await expect(c.checkout(r.remote.url, 'HEAD', { kind: 'none' })).rejects.toBeInstanceOf(GitConfigError);
  });

  it('shares one build between concurrent calls for the same commit', async () => {
    const r = await remote({ http: { auth: { token: TOKEN } } });
    const head = (await r.work.head()) as string;
    const c = await cache();
    r.http?.clearRequests();
    const all = await Promise.all(Array.from({ length: 6 }, () => c.checkout(r.httpUrl as string, head, TOKEN_AUTH)));
    expect(new Set(all.map((x) => x.dir)).size).toBe(1);
    expect(r.http?.requests.filter((q) => q.command === 'fetch')).toHaveLength(1);
    // And different commits of one remote at once.
    const more: string[] = [];
    for (const i of [1, 2, 3]) more.push(await r.push(`m${i}`, { 'm.txt': `${i}\n` }));
    const cos = await Promise.all(more.map((sha) => c.checkout(r.httpUrl as string, sha, TOKEN_AUTH)));
    cos.forEach((co, i) => expect(fs.readFileSync(path.join(co.dir, 'm.txt'), 'utf8')).toBe(`${i + 1}\n`));
  });

  it('keeps only the last few checkouts, never one in use', async () => {
    const r = await remote();
    const c = await cache({ keep: 2 });
    const shas = [(await r.work.head()) as string];
    for (let i = 0; i < 3; i++) shas.push(await r.push(`k${i}`, { 'k.txt': `${i}\n` }));
    const held = await c.checkout(r.remote.url, shas[0] as string, { kind: 'none' });
    await new Promise((res) => setTimeout(res, 20));
    const a = await c.checkout(r.remote.url, shas[1] as string, { kind: 'none' });
    a.release();
    await new Promise((res) => setTimeout(res, 20));
    const b = await c.checkout(r.remote.url, shas[2] as string, { kind: 'none' });
    b.release();
    await new Promise((res) => setTimeout(res, 20));
    await c.checkout(r.remote.url, shas[3] as string, { kind: 'none' });
    // keep=2: the two most recent stay, plus the one still held.
    expect((await c.checkouts(r.remote.url)).sort()).toEqual([shas[0], shas[2], shas[3]].sort());
    expect(fs.existsSync(held.dir)).toBe(true);
    expect(fs.existsSync(a.dir)).toBe(false);
    held.release();
  });

  it('never returns a damaged or half-written checkout', async () => {
    const r = await remote();
    const head = (await r.work.head()) as string;
    const c = await cache();
    const co = await c.checkout(r.remote.url, head, { kind: 'none' });
    // Damage it: one file changed, one removed, one added.
    fs.chmodSync(co.dir, 0o755);
    fs.chmodSync(path.join(co.dir, 'clusters'), 0o755);
    fs.chmodSync(path.join(co.dir, 'fleet.ts'), 0o644);
    fs.writeFileSync(path.join(co.dir, 'fleet.ts'), 'tampered\n');
    const again = await c.checkout(r.remote.url, head, { kind: 'none' });
    expect(again.reused).toBe(false);
    expect(readTree(again.dir)).toEqual({ 'clusters/a.yaml': 'a: 1\n', 'fleet.ts': 'export default 1;\n' });
    fs.chmodSync(path.join(again.dir, 'clusters'), 0o755);
    fs.rmSync(path.join(again.dir, 'clusters/a.yaml'));
    expect((await c.checkout(r.remote.url, head, { kind: 'none' })).reused).toBe(false);
    const third = await c.checkout(r.remote.url, head, { kind: 'none' });
    expect(third.reused).toBe(true);
    fs.chmodSync(third.dir, 0o755);
    fs.writeFileSync(path.join(third.dir, 'extra.yaml'), 'x: 1\n');
    const fourth = await c.checkout(r.remote.url, head, { kind: 'none' });
    expect(fourth.reused).toBe(false);
    expect(readTree(fourth.dir)).toEqual({ 'clusters/a.yaml': 'a: 1\n', 'fleet.ts': 'export default 1;\n' });
  });

  it('survives a process killed in the middle of a checkout', async () => {
    // Many files, so the checkout takes long enough to be interrupted.
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`clusters/app-${i}/deploy.yaml`] = `replicas: ${i}\n`;
    const r = await remote({ initial: files });
    const head = (await r.work.head()) as string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-cache-kill-'));
    cleanup.push(() => import('../../../reconciler/source').then((m) => m.removeTree(dir)));
    const script = `require('./reconciler/source').GitCache.open({ dir: ${JSON.stringify(dir)} }).then((c) => c.checkout(${JSON.stringify(r.remote.url)}, ${JSON.stringify(head)}, { kind: 'none' }));`;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: path.resolve(__dirname, '../../..'), stdio: 'ignore', detached: true });
    const checkoutsDir = path.join(dir, 'checkouts');
    const deadline = Date.now() + 60_000;
    let sawTemp = false;
    while (Date.now() < deadline) {
      const keys = fs.existsSync(checkoutsDir) ? fs.readdirSync(checkoutsDir) : [];
      const entries = keys.flatMap((k) => fs.readdirSync(path.join(checkoutsDir, k)));
      if (entries.some((e) => e.startsWith('.tmp-') && fs.existsSync(path.join(checkoutsDir, keys[0] as string, e, 'tree', 'clusters')))) {
        sawTemp = true;
        break;
      }
      await new Promise((res) => setTimeout(res, 5));
    }
    // Kill the whole tree at once, as a pod or a systemd unit dies (git runs in its own process
    // groups). Stopped first, so it cannot start another git between listing and killing.
    process.kill(child.pid as number, 'SIGSTOP');
    for (const p of processTree([child.pid as number])) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((res) => child.once('exit', res));
    expect(sawTemp).toBe(true);

    const c = await GitCache.open({ dir, staleTempMs: 0 });
    const co = await c.checkout(r.remote.url, head, { kind: 'none' });
    expect(Object.keys(readTree(co.dir))).toHaveLength(3000);
    expect(fs.readFileSync(path.join(co.dir, 'clusters/app-2999/deploy.yaml'), 'utf8')).toBe('replicas: 2999\n');
    // The interrupted temp directory is gone.
    const key = fs.readdirSync(checkoutsDir)[0] as string;
    expect(fs.readdirSync(path.join(checkoutsDir, key)).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  });
});
