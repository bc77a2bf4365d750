import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineFleet, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation } from '../../../../constructs';
import { parseImageLock, type ImageLockEntry } from '../../../../constructs/lock';
import { cloneWorkdir } from '../../../../dev/git';
import { GitPushRejectedError, GitRefNotFoundError, type GitAuth } from '../../../../reconciler/git';
import {
  UpdateBranchNotOwnedError,
  WriteBackComputeError,
  WriteBackContendedError,
  lockDecisions,
  lockWriteBack,
  policyUpdateBranch,
  writeBack,
  writeBackSettings,
  type WriteBackCompute,
  type WriteBackSettings,
} from '../../../../reconciler/images/git';
import { renderCommitMessage } from '../../../../reconciler/images/lock';
import { createTestRemote, descendantCommandLines, recordingClock, type TestRemote } from '../../../support/git-remotes';

jest.setTimeout(120_000);

const TOKEN = 'write-back-token-5e0c9d1f';
const TOKEN_AUTH: GitAuth = { kind: 'token', token: TOKEN, username: 'oauth2' };
const EXAMPLE_LOCK = fs.readFileSync(path.resolve(__dirname, '../../../../examples/edge-fleet/fluxops.lock.yaml'), 'utf8');
const MANIFEST = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: sensor-gateway',
  '  namespace: edge-apps',
  'spec:',
  '  template:',
  '    spec:',
  '      containers:',
  '        - name: gw',
  '          image: registry.local:5000/edge/sensor-gateway:1.4.2 # {"$imagepolicy": "flux-system:sensor-gateway"}',
  '        - name: broker',
  "          image: 'registry.local:5000/edge/eclipse-mosquitto:2.0.20' # {\"$imagepolicy\": \"flux-system:mqtt-broker\"}",
  '',
].join('\n');
const INITIAL = {
  'fleet.ts': 'export default {};\n',
  'fluxops.lock.yaml': EXAMPLE_LOCK,
  'clusters/factory-a/gateway.yaml': MANIFEST,
  'clusters/factory-a/plain.yaml': 'kind: ConfigMap\n',
};

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const GW: ImageLockEntry = { image: 'registry.local:5000/edge/sensor-gateway', tag: '1.4.3', digest: digest('c'), updatedAt: '2026-01-15T12:00:00Z', platforms: ['linux/arm64'] };
const BROKER: ImageLockEntry = { image: 'registry.local:5000/edge/eclipse-mosquitto', tag: '2.0.21', digest: digest('d'), updatedAt: '2026-01-15T12:00:00Z', platforms: ['linux/arm64'] };
const AUTHOR = { name: 'FluxOps Bot', email: 'bot@fluxops.example' };

/** Settings from a real ImageUpdateAutomation construct (skipCi on, default template). */
function automationSettings(pushBranch?: string): WriteBackSettings {
  let automation: ImageUpdateAutomation | undefined;
  defineFleet({ name: 'edge-fleet' }, (fleet) => {
    const source = new GitSource(fleet, 'config', { url: 'https://git.example.com/edge/config.git', ref: { kind: 'branch', name: 'main' } });
    const repo = new ImageRepository(fleet, 'gw-repo', { name: 'sensor-gateway', image: 'registry.local:5000/edge/sensor-gateway' });
    const policy = new ImagePolicy(fleet, 'gw', { name: 'sensor-gateway', repository: repo, policy: { kind: 'semver', range: '^1.4.0' }, initialTag: '1.4.0' });
    automation = new ImageUpdateAutomation(fleet, 'fleet-images', { source, policies: [policy], author: AUTHOR, skipCi: true, ...(pushBranch ? { pushBranch } : {}) });
  }).create();
  return writeBackSettings(automation as ImageUpdateAutomation);
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(): Promise<TestRemote & { url: string }> {
  const r = await createTestRemote({ initial: INITIAL, http: { auth: { token: TOKEN, username: 'oauth2' } } });
  cleanup.push(() => r.stop());
  return { ...r, url: r.httpUrl as string };
}

function workParent(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-wb-parent-'));
  cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const decide = (updates: Parameters<typeof lockDecisions>[1]) => lockDecisions(parseImageLock(EXAMPLE_LOCK, 'lock'), updates);
const show = (r: TestRemote, rev: string) => r.git(['show', rev]);
const head = async (r: TestRemote, branch = 'main') => (await r.git(['rev-parse', `refs/heads/${branch}`])).trim();

/** Lines removed and added by a commit in one file, from `git diff -U0` in the bare remote. */
async function changedLines(r: TestRemote, from: string, to: string, file: string): Promise<{ removed: string[]; added: string[] }> {
  const diff = await r.git(['diff', '--no-color', '--unified=0', from, to, '--', file]);
  const lines = diff.split('\n').filter((l) => !l.startsWith('---') && !l.startsWith('+++'));
  return { removed: lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)), added: lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1)) };
}

describe('writeBack to the target branch', () => {
  it('commits exactly the changed tokens, as the automation author, with the rendered message and [skip ci]', async () => {
    const r = await setup();
    const before = await head(r);
    const clock = recordingClock(Date.UTC(2026, 0, 15, 12, 0, 0));
    const settings = automationSettings();
    const parent = workParent();
    const result = await writeBack({
      url: r.url,
      auth: TOKEN_AUTH,
      settings,
      compute: lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]), setters: { namespace: 'flux-system' } }),
      clock,
      workDir: parent,
    });
    const after = await head(r);
    expect(result).toMatchObject({ status: 'pushed', commit: after, base: before, branch: 'main', targetBranch: 'main', attempts: 1, conflicts: [], problems: [] });
    expect(result.files).toEqual(['clusters/factory-a/gateway.yaml', 'fluxops.lock.yaml']);
    expect((await r.git(['rev-parse', `${after}^`])).trim()).toBe(before);
    expect((await r.git(['rev-list', '--count', `${before}..${after}`])).trim()).toBe('1');

    // The lock: byte-exact, only the three tokens of that entry changed.
    const expectedLock = EXAMPLE_LOCK.replace('tag: 1.4.2', 'tag: 1.4.3')
      .replace('sha256:6503fe951d7bda17f90f1afc49446e188da33817d672a66e54e4897d7e30dad6', GW.digest)
      .replace('"2025-11-20T10:00:00Z"', '"2026-01-15T12:00:00Z"');
    expect(await show(r, `${after}:fluxops.lock.yaml`)).toBe(expectedLock);
    expect(await changedLines(r, before, after, 'fluxops.lock.yaml')).toEqual({
      removed: ['    tag: 1.4.2', '    digest: sha256:6503fe951d7bda17f90f1afc49446e188da33817d672a66e54e4897d7e30dad6', '    updatedAt: "2025-11-20T10:00:00Z"'],
      added: ['    tag: 1.4.3', `    digest: ${GW.digest}`, '    updatedAt: "2026-01-15T12:00:00Z"'],
    });
    // The marker of the updated policy follows; the other policy's marker is untouched.
    expect(await changedLines(r, before, after, 'clusters/factory-a/gateway.yaml')).toEqual({
      removed: ['          image: registry.local:5000/edge/sensor-gateway:1.4.2 # {"$imagepolicy": "flux-system:sensor-gateway"}'],
      added: ['          image: registry.local:5000/edge/sensor-gateway:1.4.3 # {"$imagepolicy": "flux-system:sensor-gateway"}'],
    });
    expect((await r.git(['diff', '--name-only', before, after])).trim().split('\n')).toEqual(['clusters/factory-a/gateway.yaml', 'fluxops.lock.yaml']);

    // Author, committer, date and message, as recorded in the remote.
    const [an, ae, cn, ce, at] = (await r.git(['log', '-1', '--format=%an%n%ae%n%cn%n%ce%n%at', after])).trim().split('\n');
    expect([an, ae, cn, ce]).toEqual([AUTHOR.name, AUTHOR.email, AUTHOR.name, AUTHOR.email]);
    expect(Number(at)).toBe(Date.UTC(2026, 0, 15, 12, 0, 0) / 1000);
    const message = await r.git(['log', '-1', '--format=%B', after]);
    expect(message.trimEnd()).toBe((renderCommitMessage(settings.message, result.changes) as string).trimEnd());
    expect(message).toContain('chore(images): update images for fleet-images');
    expect(message).toContain(`registry.local:5000/edge/sensor-gateway:1.4.2@sha256:6503fe951d7bda17f90f1afc49446e188da33817d672a66e54e4897d7e30dad6 -> registry.local:5000/edge/sensor-gateway:1.4.3@${GW.digest}`);
    expect(message.trimEnd().endsWith('[skip ci]')).toBe(true);
    expect(result.message).toBe(`${message.trimEnd()}\n`);

    // The token went as a header; the temporary work repository is gone.
    expect(r.http?.requests.some((q) => q.command === 'push' && q.authorization === `Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`)).toBe(true);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('makes no commit when the head already has the change (a repeated decision)', async () => {
    const r = await setup();
    const compute = lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]), setters: { namespace: 'flux-system' } });
    const first = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute, clock: recordingClock() });
    expect(first.status).toBe('pushed');
    const after = await head(r);
    // Again, also with a newer timestamp in the decision: the image is the same, so nothing to do.
    for (const c of [compute, lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: { ...GW, updatedAt: '2026-02-01T00:00:00Z' } }]) })]) {
      const again = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute: c, clock: recordingClock() });
      expect(again).toMatchObject({ status: 'unchanged', files: [], base: after, conflicts: [] });
      expect(again.commit).toBeUndefined();
    }
    expect(await head(r)).toBe(after);
    expect(r.http?.requests.filter((q) => q.command === 'push')).toHaveLength(1);
  });

  it('on a concurrent human push: fetches, recomputes on the new head and pushes on top (no lost commit)', async () => {
    const r = await setup();
    const before = await head(r);
    const human = await cloneWorkdir(r.remote.url);
    cleanup.push(() => human.dispose());
    let humanCommit = '';
    let calls = 0;
    const inner = lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]) });
    const compute: WriteBackCompute = async (h) => {
      calls++;
      if (calls === 1) {
        // A person pushes between FluxOps' fetch and its push.
        humanCommit = await human.commit('docs: describe the fleet', { 'README.md': '# fleet\n' });
        await human.push();
      }
      return inner(h);
    };
    const clock = recordingClock();
    const result = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute, clock });
    expect(calls).toBe(2);
    expect(result).toMatchObject({ status: 'pushed', attempts: 2, base: humanCommit });
    expect(clock.sleeps).toHaveLength(1);
    const log = (await r.git(['log', '--format=%H %P %an', 'main'])).trim().split('\n');
    expect(log[0]).toBe(`${result.commit} ${humanCommit} ${AUTHOR.name}`);
    expect(log[1]).toBe(`${humanCommit} ${before} FluxOps Test`);
    expect(await show(r, 'main:README.md')).toBe('# fleet\n');
    expect(await show(r, 'main:fluxops.lock.yaml')).toContain('tag: 1.4.3');
    // The rejected first push left nothing behind on the remote.
    expect((await r.git(['for-each-ref', '--format=%(refname)'])).trim()).toBe('refs/heads/main');
  });

  it('lets a human change to the same lock entry win, reports it, and applies the rest', async () => {
    const r = await setup();
    const human = await cloneWorkdir(r.remote.url);
    cleanup.push(() => human.dispose());
    const humanLock = EXAMPLE_LOCK.replace('tag: 1.4.2', 'tag: 1.4.2-hotfix.1');
    const inner = lockWriteBack({
      decisions: decide([
        { action: 'set', policy: 'sensor-gateway', entry: GW },
        { action: 'set', policy: 'mqtt-broker', entry: BROKER },
      ]),
      setters: { namespace: 'flux-system' },
    });
    let calls = 0;
    const compute: WriteBackCompute = async (h) => {
      if (++calls === 1) {
        await human.commit('fix: pin the gateway hotfix', { 'fluxops.lock.yaml': humanLock });
        await human.push();
      }
      return inner(h);
    };
    const result = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute, clock: recordingClock() });
    expect(result.status).toBe('pushed');
    expect(result.attempts).toBe(2);
    expect(result.conflicts).toHaveLength(1);
    expect(result.conflicts[0]).toMatchObject({ policy: 'sensor-gateway', reason: 'entry-changed', wanted: GW, current: { tag: '1.4.2-hotfix.1' }, base: { tag: '1.4.2' } });
    expect(result.changes.lock?.map((c) => c.policy)).toEqual(['mqtt-broker']);
    const lock = await show(r, 'main:fluxops.lock.yaml');
    expect(lock).toContain('tag: 1.4.2-hotfix.1');
    expect(lock).toContain('tag: 2.0.21');
    expect(lock).not.toContain('tag: 1.4.3');
    // Only the broker's marker moved; the gateway's stays as the human left it.
    const manifest = await show(r, 'main:clusters/factory-a/gateway.yaml');
    expect(manifest).toContain('sensor-gateway:1.4.2 #');
    expect(manifest).toContain("'registry.local:5000/edge/eclipse-mosquitto:2.0.21' #");
    const subjects = (await r.git(['log', '--format=%s', 'main'])).trim().split('\n');
    expect(subjects.slice(0, 2)).toEqual(['chore(images): update images for fleet-images', 'fix: pin the gateway hotfix']);
  });

  it('gives up after a bounded number of lost races, leaving every human commit in place', async () => {
    const r = await setup();
    const human = await cloneWorkdir(r.remote.url);
    cleanup.push(() => human.dispose());
    const inner = lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]) });
    let n = 0;
    const compute: WriteBackCompute = async (h) => {
      await human.commit(`chore: busy ${++n}`, { 'busy.txt': `${n}\n` });
      await human.push();
      return inner(h);
    };
    const clock = recordingClock();
    const err = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute, clock, maxAttempts: 3, retry: { baseDelayMs: 100 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteBackContendedError);
    expect(err).toMatchObject({ code: 'write-back-contended', attempts: 3, branch: 'main' });
    expect(clock.sleeps).toEqual([75, 150]);
    const authors = (await r.git(['log', '--format=%an', 'main'])).trim().split('\n');
    expect(authors).toEqual(['FluxOps Test', 'FluxOps Test', 'FluxOps Test', 'FluxOps Test']);
  });

  it('a refused push leaves nothing behind, and a later call pushes normally', async () => {
    const r = await setup();
    const before = await head(r);
    const hook = path.join(r.remote.dir, 'hooks', 'pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "branch is protected" >&2\nexit 1\n', { mode: 0o755 });
    const parent = workParent();
    const compute = lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]) });
    const err = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute, workDir: parent, clock: recordingClock() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitPushRejectedError);
    expect(err).toMatchObject({ code: 'git-push-rejected', branch: 'main', reason: 'pre-receive hook declined' });
    expect((err as Error).message).not.toContain(TOKEN);
    expect(await head(r)).toBe(before);
    expect(fs.readdirSync(parent)).toEqual([]);
    fs.rmSync(hook);
    const ok = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute, workDir: parent, clock: recordingClock() });
    expect(ok.status).toBe('pushed');
    expect((await r.git(['rev-list', '--count', `${before}..main`])).trim()).toBe('1');
  });

  it('never puts the token on a command line while fetching and pushing', async () => {
    const r = await setup();
    r.http?.setDelay(300);
    const seen: string[][] = [];
    let done = false;
    const run = writeBack({
      url: r.url,
      auth: TOKEN_AUTH,
      settings: automationSettings(),
      compute: lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]) }),
      clock: recordingClock(),
    }).finally(() => (done = true));
    while (!done) {
      seen.push(...descendantCommandLines());
      await new Promise((res) => setTimeout(res, 20));
    }
    expect((await run).status).toBe('pushed');
    const lines = seen.map((c) => c.join(' '));
    expect(lines.some((l) => /^git .*\bfetch\b/.test(l))).toBe(true);
    expect(lines.some((l) => /^git .*\bpush\b/.test(l))).toBe(true);
    expect(lines.some((l) => /remote-http/.test(l))).toBe(true);
    const all = lines.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(Buffer.from(`oauth2:${TOKEN}`).toString('base64'));
  });

  it('refuses plans that touch other files, and a missing branch', async () => {
    const r = await setup();
    const before = await head(r);
    const bad: WriteBackCompute = () => ({ files: { 'fleet.ts': 'pwned\n' }, changes: {} });
    await expect(writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute: bad })).rejects.toBeInstanceOf(WriteBackComputeError);
    const noMessage: WriteBackCompute = (h) => ({ files: { [h.lockFile]: `${h.lockText}# x\n` }, changes: {} });
    await expect(writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(), compute: noMessage })).rejects.toMatchObject({ field: 'changes' });
    await expect(writeBack({ url: r.url, auth: TOKEN_AUTH, settings: { ...automationSettings(), branch: 'nope', pushBranch: 'nope' }, compute: bad })).rejects.toBeInstanceOf(GitRefNotFoundError);
    expect(await head(r)).toBe(before);
  });

  it('keeps CRLF and other bytes exactly, even where .gitattributes would normalise a work tree', async () => {
    const r = await setup();
    const crlf = EXAMPLE_LOCK.replace(/\n/g, '\r\n');
    await r.push('lock with CRLF', { 'fluxops.lock.yaml': crlf });
    await r.push('normalise text files', { '.gitattributes': '* text=auto eol=lf\n' });
    const before = await head(r);
    const result = await writeBack({
      url: r.url,
      auth: TOKEN_AUTH,
      settings: automationSettings(),
      compute: lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]) }),
      clock: recordingClock(),
    });
    expect(result.status).toBe('pushed');
    const blob = await r.git(['cat-file', 'blob', `main:fluxops.lock.yaml`]);
    expect(blob).toBe(crlf.replace('tag: 1.4.2', 'tag: 1.4.3').replace('sha256:6503fe951d7bda17f90f1afc49446e188da33817d672a66e54e4897d7e30dad6', GW.digest).replace('"2025-11-20T10:00:00Z"', '"2026-01-15T12:00:00Z"'));
    expect((await r.git(['diff', '--numstat', before, 'main'])).trim()).toBe('3\t3\tfluxops.lock.yaml');
  });

  it.each(['file path', 'git daemon'])('works over %s too', async (transport) => {
    const r = await setup();
    const url = transport === 'file path' ? r.remote.dir : await r.remote.serve();
    const compute = lockWriteBack({ decisions: decide([{ action: 'set', policy: 'mqtt-broker', entry: BROKER }]) });
    const first = await writeBack({ url, auth: { kind: 'none' }, settings: automationSettings(), compute, clock: recordingClock() });
    expect(first.status).toBe('pushed');
    expect(await head(r)).toBe(first.commit);
    expect(await show(r, 'main:fluxops.lock.yaml')).toContain('tag: 2.0.21');
    const again = await writeBack({ url, auth: { kind: 'none' }, settings: automationSettings(), compute, clock: recordingClock() });
    expect(again.status).toBe('unchanged');
    expect(await head(r)).toBe(first.commit);
  });
});

describe('writeBack to a per-policy update branch', () => {
  it('creates the branch as the target head plus one commit, never touches the target, and keeps it current', async () => {
    const r = await setup();
    const branch = policyUpdateBranch('sensor-gateway');
    expect(branch).toBe('fluxops/update-sensor-gateway');
    const main0 = await head(r);
    const settings = automationSettings(branch);
    expect(settings.pushBranch).toBe(branch);
    const compute = lockWriteBack({ decisions: decide([{ action: 'set', policy: 'sensor-gateway', entry: GW }]), setters: { namespace: 'flux-system' } });

    const created = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings, compute, clock: recordingClock() });
    expect(created).toMatchObject({ status: 'pushed', branch, targetBranch: 'main', base: main0 });
    expect(await head(r)).toBe(main0);
    expect(await head(r, branch)).toBe(created.commit);
    expect((await r.git(['rev-list', '--format=%P', '--max-count=1', branch])).trim().split('\n')[1]).toBe(main0);
    expect(await show(r, `${branch}:fluxops.lock.yaml`)).toContain('tag: 1.4.3');

    // Same decision again: the branch already proposes exactly this.
    const same = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings, compute, clock: recordingClock() });
    expect(same).toMatchObject({ status: 'already-pushed', commit: created.commit });
    expect(await head(r, branch)).toBe(created.commit);

    // The target moves: the branch is rebuilt on the new head (lease on its own commit), still one commit.
    const main1 = await r.push('feat: another app', { 'clusters/factory-a/plain.yaml': 'kind: ConfigMap\ndata: {}\n' });
    const rebuilt = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings, compute, clock: recordingClock() });
    expect(rebuilt).toMatchObject({ status: 'pushed', base: main1 });
    expect(await head(r, branch)).toBe(rebuilt.commit);
    expect((await r.git(['rev-list', '--count', `main..${branch}`])).trim()).toBe('1');
    expect((await r.git(['rev-parse', `${branch}^`])).trim()).toBe(main1);
    expect(await head(r)).toBe(main1);

    // A person pushes to the update branch: FluxOps does not overwrite it.
    const human = await cloneWorkdir(r.remote.url, { branch });
    cleanup.push(() => human.dispose());
    const humanCommit = await human.commit('review: tweak', { 'notes.txt': 'looks good\n' });
    await human.push();
    await r.push('feat: yet another', { 'x.txt': 'x\n' });
    const err = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings, compute, clock: recordingClock() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpdateBranchNotOwnedError);
    expect(err).toMatchObject({ code: 'update-branch-not-owned', branch, commit: humanCommit, author: 'FluxOps Test <fluxops-test@example.invalid>' });
    expect(await head(r, branch)).toBe(humanCommit);
  });

  it('reports nothing to do when the target already has the change', async () => {
    const r = await setup();
    const branch = policyUpdateBranch('mqtt-broker', { site: 'warehouse-b' });
    expect(branch).toBe('fluxops/update-warehouse-b-mqtt-broker');
    const compute = lockWriteBack({ decisions: decide([{ action: 'set', policy: 'dashboard', entry: parseImageLock(EXAMPLE_LOCK, 'x').policies.dashboard as ImageLockEntry }]) });
    const result = await writeBack({ url: r.url, auth: TOKEN_AUTH, settings: automationSettings(branch), compute });
    expect(result.status).toBe('unchanged');
    expect((await r.git(['for-each-ref', '--format=%(refname)'])).trim()).toBe('refs/heads/main');
  });
});
