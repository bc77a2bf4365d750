import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { FluxOpsError } from '../../errors';
import type { ConfigSource } from './site-reconciler';

const run = promisify(execFile);

/** The config repository could not be read (unreachable, refused, no such branch). */
export class GitSourceError extends FluxOpsError {
  override readonly name = 'GitSourceError';
  constructor(
    readonly repository: string,
    readonly ref: string,
    readonly reason: string,
  ) {
    super('git-source', `${repository} (${ref}): ${reason}`);
  }
}

/** Options of {@link gitConfigSource}. */
export interface GitConfigSourceOptions {
  readonly url: string;
  readonly branch: string;
  /** The reconciler's own cache (a bare repository per remote, checkouts per commit). */
  readonly cacheDir: string;
  /** Environment for git carrying credentials (never command-line arguments). */
  readonly env?: NodeJS.ProcessEnv;
  /** Checkouts kept. @default 3 */
  readonly keep?: number;
}

/**
 * A config repository followed by plain `git`: `head()` is one `git ls-remote` round trip;
 * `checkout(commit)` fetches that commit shallowly into a bare cache and writes a checkout of it
 * (to a temporary directory renamed into place, so a killed fetch never leaves a half checkout).
 */
export function gitConfigSource(opts: GitConfigSourceOptions): ConfigSource {
  const key = createHash('sha256').update(opts.url).digest('hex').slice(0, 16);
  const bare = path.join(opts.cacheDir, `${key}.git`);
  const checkouts = path.join(opts.cacheDir, `${key}.checkouts`);
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', ...opts.env };
  const git = async (args: string[], cwd?: string) => {
    try {
      return (await run('git', args, { env, cwd, maxBuffer: 64 << 20, timeout: 120_000 })).stdout;
    } catch (err) {
      const stderr = ((err as { stderr?: string }).stderr ?? '').trim().split('\n').pop() ?? '';
      throw new GitSourceError(opts.url, opts.branch, stderr || (err as Error).message);
    }
  };
  return {
    url: opts.url,
    branch: opts.branch,
    async head() {
      const out = await git(['ls-remote', '--exit-code', opts.url, `refs/heads/${opts.branch}`]).catch((err: unknown) => {
        throw err instanceof GitSourceError && /exit code 2|^$/.test(err.reason) ? new GitSourceError(opts.url, opts.branch, 'no such branch') : err;
      });
      const sha = out.split(/\s/)[0];
      if (!/^[0-9a-f]{40,64}$/.test(sha ?? '')) throw new GitSourceError(opts.url, opts.branch, 'no such branch');
      return sha;
    },
    async checkout(commit) {
      const dir = path.join(checkouts, commit);
      if (fs.existsSync(path.join(dir, '.fluxops-complete'))) return dir;
      fs.mkdirSync(checkouts, { recursive: true, mode: 0o700 });
      if (!fs.existsSync(path.join(bare, 'HEAD'))) await git(['init', '--bare', '--quiet', bare]);
      // Fetch by commit; servers that refuse that get the branch tip (which is the commit, or descends from it).
      const have = await git(['cat-file', '-e', `${commit}^{commit}`], bare).then(() => true, () => false);
      if (!have) {
        await git(['fetch', '--quiet', '--depth', '1', opts.url, commit], bare).catch(async () => {
          await git(['fetch', '--quiet', '--depth', '50', opts.url, `refs/heads/${opts.branch}`], bare);
        });
        await git(['cat-file', '-e', `${commit}^{commit}`], bare).catch(() => {
          throw new GitSourceError(opts.url, opts.branch, `commit ${commit} is not on the branch (force-pushed away?)`);
        });
      }
      const tmp = `${dir}.${randomBytes(3).toString('hex')}.tmp`;
      fs.mkdirSync(tmp, { recursive: true });
      // A private index per checkout: concurrent checkouts never share git's index file.
      await run('git', ['--work-tree', tmp, 'checkout', '--force', commit, '--', '.'], { cwd: bare, env: { ...env, GIT_INDEX_FILE: `${tmp}.index` }, maxBuffer: 64 << 20 }).catch((err: { stderr?: string }) => {
        throw new GitSourceError(opts.url, opts.branch, (err.stderr ?? '').trim() || 'checkout failed');
      });
      fs.rmSync(`${tmp}.index`, { force: true });
      fs.writeFileSync(path.join(tmp, '.fluxops-complete'), `${commit}\n`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
      prune(checkouts, opts.keep ?? 3, commit);
      return dir;
    },
  };
}

function prune(dir: string, keep: number, current: string): void {
  const entries = fs
    .readdirSync(dir)
    .map((name) => ({ name, mtime: fs.statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const e of entries.slice(keep)) if (e.name !== current) fs.rmSync(path.join(dir, e.name), { recursive: true, force: true });
}
