import { execFile } from 'node:child_process';

/**
 * The one place the dev git helpers run the `git` binary. Every call gets an environment that
 * ignores the user's and the system's git config, so tests behave the same on every machine.
 */

/** Author and committer recorded on commits made by the dev helpers. */
export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

/** The fixed identity of test commits. */
export const TEST_IDENTITY: GitIdentity = { name: 'FluxOps Test', email: 'fluxops-test@example.invalid' };

/** `-c` options put in front of every git command: no signing, `main` as the initial branch, stable output. */
export const GIT_BASE_CONFIG: readonly string[] = [
  '-c', 'init.defaultBranch=main',
  '-c', 'commit.gpgsign=false',
  '-c', 'tag.gpgsign=false',
  '-c', 'core.autocrlf=false',
  '-c', 'core.quotePath=false',
  '-c', 'advice.detachedHead=false',
];

/** A git command exited non-zero (or could not be run). */
export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | null,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim().slice(0, 1000)}`, options);
  }
}

/** Options for {@link runGit}. */
export interface RunGitOptions {
  readonly cwd?: string;
  /** Added on top of {@link isolatedGitEnv}. */
  readonly env?: NodeJS.ProcessEnv;
  /** @default 60000 */
  readonly timeoutMs?: number;
}

/**
 * The caller's environment minus every inherited `GIT_*` variable (a surrounding hook's `GIT_DIR`
 * would redirect every command), with global and system config switched off and prompts disabled.
 */
export function isolatedGitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_') && k !== 'SSH_ASKPASS'));
  return {
    ...base,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    LC_ALL: 'C',
    ...extra,
  };
}

/** Runs `git <GIT_BASE_CONFIG> <args>` without a shell and returns stdout. Throws {@link GitCommandError}. */
export function runGit(args: readonly string[], opts: RunGitOptions = {}): Promise<string> {
  const full = [...GIT_BASE_CONFIG, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      full,
      { cwd: opts.cwd, env: isolatedGitEnv(opts.env), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
          reject(new GitCommandError(args, code, stderr || err.message, { cause: err }));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** Environment that makes commits carry `identity` (and optionally a fixed date) as author and committer. */
export function identityEnv(identity: GitIdentity, date?: Date | string): NodeJS.ProcessEnv {
  const when = date === undefined ? {} : { GIT_AUTHOR_DATE: toGitDate(date), GIT_COMMITTER_DATE: toGitDate(date) };
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
    ...when,
  };
}

function toGitDate(date: Date | string): string {
  return typeof date === 'string' ? date : `${Math.floor(date.getTime() / 1000)} +0000`;
}
