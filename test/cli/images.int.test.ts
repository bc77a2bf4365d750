import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { ImagesCommandError, editImageLock, listImages } from '../../cli/images-lock';
import { parseImageLock } from '../../constructs/lock';
import { createGitRemote, type GitRemote } from '../../dev/git';
import { pushImage, startRegistry, type LocalRegistry, type PushedImage } from '../../dev/registry';
import { UserCheckoutError } from '../../reconciler/git';
import { updateLockText } from '../../reconciler/images/lock';
import { createTagPolicy, selectImage } from '../../reconciler/images/policy';
import { policyState } from '../../reconciler/images/policy-state';
import { RegistryClient } from '../../reconciler/images/registry';
import { synthesizeIsolated } from '../../reconciler/synth';

/**
 * `fluxops images hold|release|mark-bad|list` on a real config repository: the example fleet in a
 * git checkout cloned from a bare remote, images in a real local registry (for the selection
 * after `mark-bad`), the real `bin/fluxops` and real `git` throughout.
 */

jest.setTimeout(300_000);

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');
const FLUXOPS = path.join(REPO, 'bin', 'fluxops');
const EXAMPLE = path.join(REPO, 'examples', 'edge-fleet');
const LOCK = 'fluxops.lock.yaml';

let registry: LocalRegistry | undefined;
let remote: GitRemote | undefined;
let tmp: string;
let host: string;
let env: NodeJS.ProcessEnv;
const pushed: Record<string, PushedImage> = {};
const savedEnv = { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM };

/** git with only the repository's own config (the machine's global config must not matter). */
const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env }).trim();

/** A fresh clone of the remote, as a person's checkout with their identity. */
function checkout(name: string, identity = { name: 'Ops Person', email: 'ops@example.com' }): string {
  const dir = path.join(tmp, name);
  execFileSync('git', ['clone', '--quiet', remote!.url, dir], { env });
  git(dir, 'config', 'user.name', identity.name);
  git(dir, 'config', 'user.email', identity.email);
  return dir;
}

const fluxops = (cwd: string, ...args: string[]) =>
  run(FLUXOPS, args, { env, cwd, maxBuffer: 16 << 20 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

/** The `+`/`-` lines of the last commit's diff of the lock (no context). */
const lockDiff = (dir: string, rev = 'HEAD') =>
  git(dir, 'show', '--format=', '-U0', rev, '--', LOCK)
    .split('\n')
    .filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));

beforeAll(async () => {
  // Hermetic git for this process too (editImageLock runs git as "the user").
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-images-cli-'));
  registry = await startRegistry();
  host = registry.host;
  for (const tag of ['1.4.2', '1.5.0']) pushed[tag] = await pushImage(host, 'edge/sensor-gateway', tag, { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index', content: tag });
  env = { ...process.env, FLEET_REGISTRY: host, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  remote = await createGitRemote({ name: 'fleet.git' });
  // The example fleet, its lock naming this registry and the digests really pushed.
  const seed = path.join(tmp, 'seed');
  fs.cpSync(EXAMPLE, seed, { recursive: true });
  const lock = fs
    .readFileSync(path.join(seed, LOCK), 'utf8')
    .replaceAll('registry.local:5000', host)
    .replace('sha256:6503fe951d7bda17f90f1afc49446e188da33817d672a66e54e4897d7e30dad6', pushed['1.4.2'].digest);
  fs.writeFileSync(path.join(seed, LOCK), lock);
  execFileSync('git', ['init', '--quiet', '-b', 'main', seed], { env });
  git(seed, 'add', '-A');
  git(seed, '-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', 'commit', '--quiet', '-m', 'fleet');
  git(seed, 'push', '--quiet', remote.url, 'main');
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  await remote?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('fluxops images hold / release', () => {
  test('each makes one commit whose diff is exactly the hold lines; release gives the lock its bytes back', async () => {
    const dir = checkout('hold-release');
    const original = fs.readFileSync(path.join(dir, LOCK), 'utf8');

    const held = await fluxops(dir, 'images', 'hold', 'sensor-gateway', '1.4.2', '--reason', '1.5.0 leaks memory');
    expect(held.stderr).toBe('');
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/^hold sensor-gateway at 1\.4\.2: 1\.5\.0 leaks memory\ncommitted [0-9a-f]{12}: images: hold sensor-gateway at 1\.4\.2\n/);
    expect(held.stdout).toContain(`note: deploys ${host}/edge/sensor-gateway:1.4.2@${pushed['1.4.2'].digest}`);
    expect(git(dir, 'show', '--format=', '--name-only', 'HEAD')).toBe(LOCK);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>|%s')).toBe('Ops Person <ops@example.com>|images: hold sensor-gateway at 1.4.2');
    const added = lockDiff(dir);
    expect(added.slice(0, 4)).toEqual(['+holds:', '+  sensor-gateway:', '+    tag: 1.4.2', '+    reason: 1.5.0 leaks memory']);
    expect(added[4]).toMatch(/^\+    since: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/);
    expect(added).toHaveLength(5);
    expect(git(dir, 'status', '--porcelain')).toBe('');

    // Synthesis follows the hold in the lock (the digest the lock records for that tag).
    const synth = await synthesizeIsolated({ configDir: dir, site: 'factory-a', env });
    const gw = synth.site('factory-a').images.find((i) => i.policy === 'sensor-gateway');
    expect(gw).toMatchObject({ origin: 'hold', tag: '1.4.2', digest: pushed['1.4.2'].digest });
    expect(synth.policies.find((p) => p.name === 'sensor-gateway')?.holds['*']).toMatchObject({ tag: '1.4.2', source: 'lock' });

    const released = await fluxops(dir, 'images', 'release', 'sensor-gateway');
    expect(released.code).toBe(0);
    expect(released.stdout).toMatch(/^release sensor-gateway \(was held at 1\.4\.2: 1\.5\.0 leaks memory\)\ncommitted [0-9a-f]{12}: images: release sensor-gateway\n$/);
    expect(lockDiff(dir)).toEqual(added.map((l) => `-${l.slice(1)}`));
    expect(fs.readFileSync(path.join(dir, LOCK), 'utf8')).toBe(original);
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('3');

    const again = await fluxops(dir, 'images', 'release', 'sensor-gateway');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('fluxops: policy sensor-gateway is not held fleet-wide in the lock\n');
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('3');
  });

  test('a site hold, listed with --output json next to the hold in fleet code', async () => {
    const dir = checkout('site-hold');
    const r = await fluxops(dir, 'images', 'hold', 'sensor-gateway', '1.4.2', '--site', 'factory-a', '--reason', 'canary elsewhere', '--output', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ changed: true, holds: [{ action: 'created', policy: 'sensor-gateway', site: 'factory-a' }], commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(parseImageLock(fs.readFileSync(path.join(dir, LOCK), 'utf8'), LOCK).siteHolds).toEqual({ 'factory-a': { 'sensor-gateway': expect.objectContaining({ tag: '1.4.2', reason: 'canary elsewhere' }) } });

    const listed = await fluxops(dir, 'images', 'list', '--output', 'json');
    expect(listed.code).toBe(0);
    const gw = JSON.parse(listed.stdout).policies.find((p: { policy: string }) => p.policy === 'sensor-gateway');
    expect(gw).toMatchObject({
      repository: `${host}/edge/sensor-gateway`,
      rule: 'semver ^1.4.0',
      locked: { tag: '1.4.2', digest: pushed['1.4.2'].digest, platforms: ['linux/arm64'], updatedAt: '2025-11-20T10:00:00Z' },
      siteHolds: { 'factory-a': { tag: '1.4.2', reason: 'canary elsewhere', source: 'lock' } },
      badTags: [],
    });
    const text = await fluxops(dir, 'images', 'list');
    expect(text.stdout).toContain('  hold        1.4.2 (lock, since ');
    expect(text.stdout).toMatch(/hold {8}2\.0\.18 \(fleet code\): legacy barcode scanners .* \(site warehouse-b\)/);
  });
});

describe('fluxops images mark-bad', () => {
  test('synthesis and selection skip the tag; a newer tag is selected as soon as it exists', async () => {
    const dir = checkout('mark-bad');
    // factory-a was moved to 1.5.0 (a site entry), and the rollout failed.
    const path15 = path.join(dir, LOCK);
    const moved = updateLockText(fs.readFileSync(path15, 'utf8'), [
      { action: 'set', policy: 'sensor-gateway', site: 'factory-a', entry: { image: `${host}/edge/sensor-gateway`, tag: '1.5.0', digest: pushed['1.5.0'].digest, updatedAt: '2026-11-26T10:00:00Z', platforms: ['linux/amd64', 'linux/arm64'] } },
    ], { source: LOCK });
    fs.writeFileSync(path15, moved.text);
    git(dir, 'commit', '--quiet', '-am', 'factory-a: 1.5.0');

    const r = await fluxops(dir, 'images', 'mark-bad', 'sensor-gateway', '1.5.0', '--reason', 'rollout failed: pod sensor-gateway-x: container app ImagePullBackOff');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('committed ');
    expect(r.stdout).toContain('note: the lock still deploys 1.5.0');
    const diff = lockDiff(dir);
    expect(diff.slice(0, 4)).toEqual(['+badTags:', '+  sensor-gateway:', '+    - tag: 1.5.0', '+      reason: "rollout failed: pod sensor-gateway-x: container app ImagePullBackOff"']);
    expect(diff).toHaveLength(5);

    // Synthesis: factory-a's bad site entry gives way to the fleet-wide 1.4.2; the policy data carries the bad tag.
    const synth = await synthesizeIsolated({ configDir: dir, site: 'factory-a', env });
    expect(synth.site('factory-a').images.find((i) => i.policy === 'sensor-gateway')).toMatchObject({ origin: 'lock', tag: '1.4.2', digest: pushed['1.4.2'].digest });
    expect(synth.site('factory-a').warnings.map((w) => w.code)).toContain('image-bad-tag');
    expect(synth.policies.find((p) => p.name === 'sensor-gateway')?.badTags?.map((b) => b.tag)).toEqual(['1.5.0']);

    // Selection, as the image loop runs it: the lock in the commit, the real registry.
    const lock = parseImageLock(git(dir, 'show', `HEAD:${LOCK}`) + '\n', LOCK);
    const repo = new RegistryClient().repository(`${host}/edge/sensor-gateway`, { insecure: true });
    const policy = createTagPolicy({ rule: { kind: 'semver', range: '^1.4.0' } });
    const state = policyState(lock, { name: 'sensor-gateway', repository: `${host}/edge/sensor-gateway` }, 'factory-a');
    expect(state).toMatchObject({ locked: { tag: '1.5.0', scope: 'site' }, badTags: ['1.5.0'] });
    const back = await selectImage({ policy, tags: await repo.listTags(), lookup: repo, ...state });
    expect(back).toMatchObject({ outcome: 'selected', selected: { tag: '1.4.2', digest: pushed['1.4.2'].digest }, changed: true });
    expect(back.rejected).toContainEqual(expect.objectContaining({ tag: '1.5.0', code: 'bad-tag' }));
    pushed['1.5.1'] = await pushImage(host, 'edge/sensor-gateway', '1.5.1', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index', content: '1.5.1' });
    const forward = await selectImage({ policy, tags: await repo.listTags(), lookup: repo, ...state });
    expect(forward.selected).toMatchObject({ tag: '1.5.1', digest: pushed['1.5.1'].digest });

    // Holding the bad tag is refused; marking it again changes nothing.
    const hold = await fluxops(dir, 'images', 'hold', 'sensor-gateway', '1.5.0', '--reason', 'try again');
    expect(hold.code).toBe(1);
    expect(hold.stderr).toContain('1.5.0 is marked bad since');
    const twice = await fluxops(dir, 'images', 'mark-bad', 'sensor-gateway', '1.5.0', '--reason', 'again');
    expect(twice.code).toBe(0);
    expect(twice.stdout).toMatch(/^nothing to change/);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });
});

describe('refusals change nothing', () => {
  test('unknown policy or site, a modified lock, a hook that refuses the commit; --no-commit only edits', async () => {
    const dir = checkout('refusals');
    const opts = { configDir: dir, fleetEnv: { FLEET_REGISTRY: host } };
    const head = git(dir, 'rev-parse', 'HEAD');
    const before = fs.readFileSync(path.join(dir, LOCK), 'utf8');
    const refused = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
      return err;
    };

    const unknown = await refused(editImageLock(opts, { kind: 'hold', policy: 'nope', tag: '1.0.0', reason: 'x' }));
    expect(unknown).toBeInstanceOf(ImagesCommandError);
    expect(unknown).toMatchObject({ problem: 'unknown-policy', code: 'images-unknown-policy', policy: 'nope' });
    // warehouse-b runs the broker and the gateway, not the dashboard.
    const site = await refused(editImageLock(opts, { kind: 'hold', policy: 'dashboard', site: 'warehouse-b', tag: 'main-0000000-1', reason: 'x' }));
    expect(site).toMatchObject({ problem: 'unknown-site', message: 'site warehouse-b: no app on this site uses policy dashboard; a hold there would have no effect' });
    const nowhere = await refused(editImageLock(opts, { kind: 'release', policy: 'dashboard', site: 'plant-c' }));
    expect(nowhere).toMatchObject({ problem: 'unknown-site', message: 'site plant-c: the fleet has no site of this name (sites: factory-a, warehouse-b)' });
    const tag = await refused(editImageLock(opts, { kind: 'mark-bad', policy: 'sensor-gateway', tag: 'not a tag', reason: 'x' }));
    expect(tag).toMatchObject({ problem: 'invalid-argument' });

    fs.appendFileSync(path.join(dir, LOCK), '# my own note\n');
    const modified = await refused(editImageLock(opts, { kind: 'hold', policy: 'sensor-gateway', tag: '1.4.2', reason: 'x' }));
    expect(modified).toMatchObject({ problem: 'lock-file-modified' });
    expect(fs.readFileSync(path.join(dir, LOCK), 'utf8')).toBe(`${before}# my own note\n`);
    git(dir, 'checkout', '--', LOCK);

    fs.writeFileSync(path.join(dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\necho "lock changes need review" >&2\nexit 1\n', { mode: 0o755 });
    const hooked = await refused(editImageLock(opts, { kind: 'hold', policy: 'sensor-gateway', tag: '1.4.2', reason: 'x' }));
    expect(hooked).toBeInstanceOf(UserCheckoutError);
    expect((hooked as UserCheckoutError).detail).toContain('lock changes need review');
    expect(fs.readFileSync(path.join(dir, LOCK), 'utf8')).toBe(before);
    expect(git(dir, 'status', '--porcelain')).toBe('');

    const edited = await editImageLock({ ...opts, commit: false }, { kind: 'mark-bad', policy: 'dashboard', tag: 'main-0000000-1', reason: 'broken build' });
    expect(edited).toMatchObject({ changed: true, badTags: [expect.objectContaining({ action: 'added', tag: 'main-0000000-1' })] });
    expect(edited.commit).toBeUndefined();
    expect(git(dir, 'status', '--porcelain')).toBe(`M ${LOCK}`);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
  });
});

describe('fluxops images --push', () => {
  test('a concurrent human commit is built upon, never overwritten; a human change of the same hold wins', async () => {
    const mine = checkout('push-mine');
    const theirs = checkout('push-theirs', { name: 'Other Person', email: 'other@example.com' });
    // Someone else bumps the broker entry and pushes, after my clone.
    const lockPath = path.join(theirs, LOCK);
    fs.writeFileSync(lockPath, fs.readFileSync(lockPath, 'utf8').replace('tag: 2.0.20', 'tag: 2.0.21'));
    git(theirs, 'commit', '--quiet', '-am', 'broker 2.0.21');
    git(theirs, 'push', '--quiet', 'origin', 'main');
    const human = git(theirs, 'rev-parse', 'HEAD');

    const r = await fluxops(mine, 'images', 'hold', 'sensor-gateway', '1.4.2', '--reason', '1.5.0 leaks memory', '--push');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pushed [0-9a-f]{12} to origin\/main: images: hold sensor-gateway at 1\.4\.2\nthe checkout was fast-forwarded to it\n/);
    const remoteHead = git(remote!.dir, 'rev-parse', 'main');
    expect(git(remote!.dir, 'rev-parse', 'main^')).toBe(human);
    expect(git(remote!.dir, 'log', '-1', '--format=%an|%cn|%s', 'main')).toBe('Ops Person|Ops Person|images: hold sensor-gateway at 1.4.2');
    const remoteLock = parseImageLock(git(remote!.dir, 'show', `main:${LOCK}`) + '\n', LOCK);
    expect(remoteLock.policies['mqtt-broker'].tag).toBe('2.0.21');
    expect(remoteLock.holds?.['sensor-gateway']).toMatchObject({ tag: '1.4.2' });
    expect(lockDiff(remote!.dir, 'main')).toHaveLength(5);
    expect(git(mine, 'rev-parse', 'HEAD')).toBe(remoteHead);

    // The other person moves the hold; my release, decided against my hold, loses to theirs.
    git(theirs, 'pull', '--quiet', '--ff-only');
    fs.writeFileSync(lockPath, fs.readFileSync(lockPath, 'utf8').replace('    tag: 1.4.2\n    reason: 1.5.0 leaks memory', '    tag: 1.4.1\n    reason: 1.4.2 leaks too'));
    git(theirs, 'commit', '--quiet', '-am', 'hold at 1.4.1');
    git(theirs, 'push', '--quiet', 'origin', 'main');
    const theirHead = git(theirs, 'rev-parse', 'HEAD');
    const lost = await fluxops(mine, 'images', 'release', 'sensor-gateway', '--push');
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain('origin/main changed the same hold of sensor-gateway meanwhile (it has 1.4.1 (1.4.2 leaks too) now); nothing was pushed');
    expect(git(remote!.dir, 'rev-parse', 'main')).toBe(theirHead);
  });
});

describe('fluxops images list', () => {
  test('every policy with its entries, holds and bad tags; the lock checked against the fleet', async () => {
    const dir = checkout('list');
    const listing = await listImages({ configDir: dir, fleetEnv: { FLEET_REGISTRY: host } });
    expect(listing.policies.map((p) => p.policy)).toEqual(['dashboard', 'mqtt-broker', 'sensor-gateway']);
    expect(listing.policies.find((p) => p.policy === 'mqtt-broker')).toMatchObject({
      rule: 'semver ~2.0.18, filter ^(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$ -> $version',
      siteLocked: { 'warehouse-b': { tag: '2.0.18' } },
      siteHolds: { 'warehouse-b': { tag: '2.0.18', source: 'construct' } },
    });
    expect(listing.found).toBe(true);
  });
});

describe('fluxops images scan / update', () => {
  test('scan says what each policy would lock and why newer tags were refused; update commits exactly that; neither changes anything else', async () => {
    pushed['1.8.0'] = await pushImage(host, 'edge/sensor-gateway', '1.8.0', { platforms: ['linux/amd64', 'linux/arm64'], kind: 'index', content: '1.8.0' });
    await pushImage(host, 'edge/sensor-gateway', '1.9.0', { platforms: ['linux/amd64'], kind: 'index', content: '1.9.0-amd64' });
    const dir = checkout('scan-update');
    // The seed commit: the lock as first committed (earlier tests pushed holds to the remote).
    git(dir, 'reset', '--quiet', '--hard', git(dir, 'rev-list', '--max-parents=0', 'HEAD'));
    const lockBefore = fs.readFileSync(path.join(dir, LOCK), 'utf8');
    const commits = git(dir, 'rev-list', '--count', 'HEAD');

    const scan = await fluxops(dir, 'images', 'scan', 'sensor-gateway');
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    expect(scan.stdout).toContain(`  chosen    1.8.0@${pushed['1.8.0'].digest.slice(0, 19)} [linux/amd64,linux/arm64]  <- update`);
    expect(scan.stdout).toMatch(/ {2}refused {3}1\.9\.0: missing-platform: .*linux\/arm64/);
    expect(scan.stdout).toContain('updates available: sensor-gateway 1.4.2 -> 1.8.0 (run fluxops images update)');

    const dry = await fluxops(dir, 'images', 'update', 'sensor-gateway', '--dry-run', '--output', 'json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ written: false, updates: [{ policy: 'sensor-gateway', from: '1.4.2', to: '1.8.0', digest: pushed['1.8.0'].digest }] });
    expect(fs.readFileSync(path.join(dir, LOCK), 'utf8')).toBe(lockBefore);
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe(commits);

    const unknown = await fluxops(dir, 'images', 'update', 'no-such-policy');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/policy no-such-policy: the fleet has no image policy of this name/);
    expect(fs.readFileSync(path.join(dir, LOCK), 'utf8')).toBe(lockBefore);

    const update = await fluxops(dir, 'images', 'update', 'sensor-gateway');
    expect(update.code).toBe(0);
    expect(update.stdout).toMatch(/committed [0-9a-f]{12}: /);
    expect(git(dir, 'show', '--format=', '--name-only', 'HEAD')).toBe(LOCK);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>')).toBe('Ops Person <ops@example.com>');
    // Only the entry's tokens change (tag, digest, time, platforms now recorded as the index has them).
    const changed = lockDiff(dir).filter((l) => l.startsWith('+')).map((l) => l.replace(/:.*/, '').trim());
    expect(changed).toEqual(expect.arrayContaining(['+    tag', '+    digest', '+    updatedAt'].map((s) => s.trim())));
    const entry = parseImageLock(fs.readFileSync(path.join(dir, LOCK), 'utf8'), LOCK).policies['sensor-gateway'];
    expect(entry).toMatchObject({ tag: '1.8.0', digest: pushed['1.8.0'].digest });
    expect(git(dir, 'status', '--porcelain')).toBe('');

    const again = await fluxops(dir, 'images', 'update', 'sensor-gateway');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no updates: the lock has the newest qualifying image of every policy');
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe(String(Number(commits) + 1));
  });
});
