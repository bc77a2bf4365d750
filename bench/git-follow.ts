/**
 * Git benchmark: the costs of following a config repository and writing image updates back, over
 * smart HTTP with a token (`git http-backend` behind node:http on 127.0.0.1), against the baseline
 * a naive poller pays every interval: `git clone --depth 1 --single-branch` of the same remote.
 *
 * - headOf (one ls-remote round trip; what every poll costs while nothing changed)
 * - GitCache.checkout of a new commit (fetch --depth 1 by id + read-only checkout) and of a commit
 *   already checked out (integrity check only)
 * - writeBack of one lock update (fetch, compute, commit, push)
 *
 *   npx ts-node --transpile-only bench/git-follow.ts [manifests]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseImageLock } from '../constructs/lock';
import { cloneWorkdir, createGitRemote, startHttpGitServer } from '../dev/git';
import { lockDecisions, lockWriteBack, writeBack } from '../reconciler/images/git';
import { GitCache, headOf, removeTree } from '../reconciler/source';

// Async: the HTTP server runs in this process and must keep answering while git clones.
const run = promisify(execFile);
const MANIFESTS = Number(process.argv[2] ?? 300);
const RUNS = 7;
const TOKEN = 'bench-token-0123456789';
const LOCK = fs.readFileSync(path.join(__dirname, '..', 'examples', 'edge-fleet', 'fluxops.lock.yaml'), 'utf8');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const remote = await createGitRemote({ name: 'fleet.git' });
  const work = await cloneWorkdir(remote.url);
  const http = await startHttpGitServer({ projectRoot: path.dirname(remote.dir), auth: { token: TOKEN } });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-bench-git-'));
  try {
    const files: Record<string, string> = { 'fluxops.lock.yaml': LOCK, 'fleet.ts': 'export default {};\n' };
    for (let i = 0; i < MANIFESTS; i++) {
      files[`clusters/factory-a/app-${i}.yaml`] = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  namespace: edge-apps\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.local:5000/edge/app-${i}:1.0.0\n`;
    }
    await work.commit('fleet', files);
    await work.push();
    const url = http.url('fleet.git');
    const auth = { kind: 'token' as const, token: TOKEN };
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;

    const clone: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const dir = path.join(tmp, `clone-${i}`);
      clone.push(
        await time(async () =>
          run('git', ['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', 'main', url, dir], {
            env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header },
          }),
        ),
      );
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const head: number[] = [];
    for (let i = 0; i < RUNS; i++) head.push(await time(() => headOf(url, 'main', auth)));

    const cache = await GitCache.open({ dir: path.join(tmp, 'cache'), keep: 3 });
    const fresh: number[] = [];
    const reuse: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const sha = await work.commit(`bump ${i}`, { [`clusters/factory-a/app-${i}.yaml`]: `# bump ${i}\n${files[`clusters/factory-a/app-${i}.yaml`]}` });
      await work.push();
      fresh.push(await time(async () => (await cache.checkout(url, sha, auth, { branch: 'main' })).release()));
      reuse.push(await time(async () => (await cache.checkout(url, sha, auth, { branch: 'main' })).release()));
    }

    const base = parseImageLock(LOCK, 'lock');
    const write: number[] = [];
    let lockNow = base;
    for (let i = 0; i < RUNS; i++) {
      const entry = { ...(lockNow.policies['sensor-gateway'] as NonNullable<(typeof base.policies)['x']>), tag: `1.5.${i}`, updatedAt: `2026-01-15T12:0${i}:00Z` };
      const decisions = lockDecisions(lockNow, [{ action: 'set', policy: 'sensor-gateway', entry }]);
      write.push(
        await time(async () => {
          const r = await writeBack({
            url,
            auth,
            settings: { author: { name: 'Bench', email: 'bench@example.invalid' }, message: { automationName: 'bench', namespace: 'flux-system', messageTemplate: 'chore: bump' }, branch: 'main' },
            compute: lockWriteBack({ decisions }),
            workDir: tmp,
          });
          if (r.status !== 'pushed') throw new Error(`write-back ${i}: ${r.status}`);
        }),
      );
      lockNow = { ...lockNow, policies: { ...lockNow.policies, 'sensor-gateway': entry } };
    }

    const baseline = median(clone);
    console.log(`repository: ${MANIFESTS} manifests + lock; smart HTTP with a token on 127.0.0.1; median of ${RUNS}`);
    console.log(`baseline  git clone --depth 1                ${ms(baseline)}`);
    for (const [name, xs] of [
      ['headOf (ls-remote, no fetch)          ', head],
      ['checkout of a new commit (depth 1)    ', fresh],
      ['checkout already there (verify only)  ', reuse],
      ['writeBack of one lock update          ', write],
    ] as const) {
      console.log(`FluxOps   ${name} ${ms(median(xs))}  (${(median(xs) / baseline).toFixed(2)}x the clone)`);
    }
    await removeTree(path.join(tmp, 'cache'));
  } finally {
    await http.stop();
    await work.dispose();
    await remote.stop();
    await removeTree(tmp);
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
