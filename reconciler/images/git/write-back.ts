import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPathProblem } from '../../../constructs/validation/repo-path';
import type { CommitAuthor, ImageUpdateAutomation } from '../../../constructs/image-update-automation';
import { IMAGE_LOCK_FILE } from '../../../constructs/lock';
import {
  DEFAULT_GIT_RETRY,
  GitClient,
  GitConfigError,
  GitPushRejectedError,
  GitRefNotFoundError,
  SYSTEM_GIT_CLOCK,
  checkBranchName,
  gitBackoffDelay,
  type GitAuth,
  type GitClientOptions,
} from '../../git';
import { commitMessageSettings, renderCommitMessage, type CommitMessageSettings, type ImageChangeSet, type SetterProblem } from '../lock';
import { commitHeader, commitTree, signatureText, treeOf, writeTree } from './commit-files';
import { readHeadFiles, treePrefix } from './head-files';
import type { LockConflict } from './lock-decision';
import { parsePushStatus } from './push-status';
import { UpdateBranchNotOwnedError, WriteBackComputeError, WriteBackContendedError } from './write-back-errors';

/** The files at the head that the compute function decides on. */
export interface WriteBackHead {
  /** The commit the files are from (the target branch's head). */
  readonly commit: string;
  /** The target branch. */
  readonly branch: string;
  /** Path of the lock file in the repository. */
  readonly lockFile: string;
  /** Its text; `undefined` when the commit has no lock file. */
  readonly lockText: string | undefined;
  /** Files under the update path that hold setter markers (setter candidates containing `"$imagepolicy"`), by path. */
  readonly files: Readonly<Record<string, string>>;
}

/** What the compute function wants written, and why. */
export interface WriteBackPlan {
  /** New text of the files to change, by path: the lock file and/or files of `WriteBackHead.files`. */
  readonly files: Readonly<Record<string, string>>;
  /** The change set the commit message is rendered from. */
  readonly changes: ImageChangeSet;
  /** Updates dropped because a person changed the entry meanwhile. */
  readonly conflicts?: readonly LockConflict[];
  /** Setter markers that could not be applied. */
  readonly problems?: readonly SetterProblem[];
  /**
   * The commit message, when the automation's template does not fit (a roll-back says why the
   * rollout failed). @default the automation's message rendered from `changes`
   */
  readonly message?: string;
}

/**
 * Decides the updates against the files of a head. Called again on the new head when a push
 * loses a race, so it must be a function of its input (and of decisions it closes over), like
 * `lockWriteBack(...)`.
 */
export type WriteBackCompute = (head: WriteBackHead) => WriteBackPlan | Promise<WriteBackPlan>;

/** An ImageUpdateAutomation's settings, as write-back uses them. */
export interface WriteBackSettings {
  /** Author and committer of the commits. */
  readonly author: CommitAuthor;
  /** Commit message template and its data. */
  readonly message: CommitMessageSettings;
  /** Branch checked out and updated (the target). */
  readonly branch: string;
  /**
   * Branch pushed to. The target branch itself (default), or an update branch for a
   * pull-request flow (`policyUpdateBranch(policy)`): then it is (re)created as the target's
   * head plus one commit, and replaced with a lease only while it holds the automation's own commit.
   * @default branch
   */
  readonly pushBranch?: string;
  /** Directory whose marker files are read. @default './' */
  readonly updatePath?: string;
  /** Path of the lock file. @default IMAGE_LOCK_FILE */
  readonly lockFile?: string;
}

/** Settings from an ImageUpdateAutomation construct (its author, template, skipCi, branches, update path). */
export function writeBackSettings(automation: ImageUpdateAutomation, overrides: Partial<Pick<WriteBackSettings, 'pushBranch' | 'lockFile'>> = {}): WriteBackSettings {
  return {
    author: automation.author,
    message: commitMessageSettings(automation),
    branch: automation.checkoutBranch,
    pushBranch: overrides.pushBranch ?? automation.pushBranch,
    updatePath: automation.updatePath,
    ...(overrides.lockFile !== undefined ? { lockFile: overrides.lockFile } : {}),
  };
}

/** Options of {@link writeBack}. */
export interface WriteBackOptions extends GitClientOptions {
  /** Remote URL (no credentials in it). */
  readonly url: string;
  /** Credentials. */
  readonly auth: GitAuth;
  /** What to commit, as whom, where. */
  readonly settings: WriteBackSettings;
  /** Decides the changes on the files of a head. */
  readonly compute: WriteBackCompute;
  /** Parent of the temporary work repository (removed at the end, whatever happens). @default os.tmpdir() */
  readonly workDir?: string;
  /** Push attempts when the branch moves in between (each one fetches and recomputes). @default 5 */
  readonly maxAttempts?: number;
}

/** Outcome of {@link writeBack}. Data, for status and logs. */
export interface WriteBackResult {
  /**
   * `pushed`: a commit was pushed; `unchanged`: the head already has every change (or all were
   * conflicts), nothing committed; `already-pushed`: the update branch already holds exactly
   * this change on the target's head, nothing pushed.
   */
  readonly status: 'pushed' | 'unchanged' | 'already-pushed';
  /** Branch pushed to (or that would have been). */
  readonly branch: string;
  /** Target branch. */
  readonly targetBranch: string;
  /** Head of the target branch the last computation ran on. */
  readonly base: string;
  /** The pushed commit (`pushed`), or the update branch's existing head (`already-pushed`). */
  readonly commit?: string;
  /** Paths the commit changes. */
  readonly files: readonly string[];
  /** What changed (empty for `unchanged`). */
  readonly changes: ImageChangeSet;
  /** Updates dropped because a person changed the entry meanwhile. */
  readonly conflicts: readonly LockConflict[];
  /** Setter markers that could not be applied. */
  readonly problems: readonly SetterProblem[];
  /** Rounds of fetch + compute (+ push) made, the first included. */
  readonly attempts: number;
  /** The commit message (`pushed`, `already-pushed`). */
  readonly message?: string;
}

/**
 * Commits image updates to the config repository and pushes them, safely:
 *
 * 1. fetches the target branch's head (depth 1) into a private temporary repository and reads
 *    the lock and the marker files from the object database;
 * 2. runs `compute` on them; no change means no commit (never an empty or duplicate commit);
 * 3. writes the changed files byte for byte and commits them on top of the head with the
 *    automation's author and the message from `renderCommitMessage`;
 * 4. pushes: to the target branch as a plain fast-forward (never forced), or to the update branch
 *    with `--force-with-lease` (only while that branch holds the automation's own commit);
 * 5. when the push loses a race (the branch moved), fetches the new head and starts again at 2
 *    (a recomputation, not a rebase), with backoff, at most `maxAttempts` times.
 *
 * The temporary repository is removed at the end: a failed call leaves nothing a later call could
 * mistake for pushed. Faults throw typed errors (`GitUnreachableError`, `GitAuthError`,
 * `GitRefNotFoundError`, `GitPushRejectedError`, `WriteBackContendedError`,
 * `UpdateBranchNotOwnedError`, `WriteBackComputeError`, ...).
 */
export async function writeBack(opts: WriteBackOptions): Promise<WriteBackResult> {
  const s = opts.settings;
  const target = s.branch;
  const pushBranch = s.pushBranch ?? target;
  const lockFile = s.lockFile ?? IMAGE_LOCK_FILE;
  const updatePath = s.updatePath ?? './';
  checkBranchName('settings.branch', target);
  checkBranchName('settings.pushBranch', pushBranch);
  for (const [field, value] of [['settings.lockFile', lockFile], ['settings.updatePath', updatePath]] as const) {
    const problem = repoPathProblem(value);
    if (problem) throw new GitConfigError({ field, value, reason: problem });
  }
  const lockPath = treePrefix(lockFile);
  if (lockPath === '' || lockPath.endsWith('/')) throw new GitConfigError({ field: 'settings.lockFile', value: lockFile, reason: 'must name a file' });
  const updateMode = pushBranch !== target;
  const client = await GitClient.create(opts.url, opts.auth, opts);
  const clock = opts.clock ?? SYSTEM_GIT_CLOCK;
  const retry = { ...DEFAULT_GIT_RETRY, ...(opts.retry ?? {}) };
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const timeMs = clock.now();

  const work = await fs.mkdtemp(path.join(opts.workDir ?? os.tmpdir(), 'fluxops-write-back-'));
  try {
    const gitDir = path.join(work, 'repo.git');
    await client.local('init', ['init', '--quiet', '--bare', gitDir]);
    /** Fetches the branch's head (depth 1) and returns its commit; `undefined` when the remote has no such branch. */
    const fetchHead = async (branch: string, into: string): Promise<string | undefined> => {
      const args = ['--git-dir', gitDir, 'fetch', '--quiet', '--depth', '1', '--no-tags', '--no-write-fetch-head', client.url, `+refs/heads/${branch}:${into}`];
      const r = await client.tryNetwork('fetch', args, { ref: branch });
      if ('failure' in r) {
        if (r.failure.kind === 'ref-not-found') return undefined;
        throw client.toError(r.failure, { repository: client.display, operation: 'fetch', ref: branch });
      }
      // The commit fetched, not an earlier ls-remote answer: the branch may move in between.
      return (await client.local('fetch', ['--git-dir', gitDir, 'rev-parse', '--verify', `${into}^{commit}`], { ref: branch })).stdout.toString('utf8').trim();
    };

    let lastPushed: WriteBackResult | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const base = await fetchHead(target, 'refs/fluxops/target');
      if (base === undefined) throw new GitRefNotFoundError({ repository: client.display, operation: 'fetch', ref: target });
      const existing = updateMode ? await fetchHead(pushBranch, 'refs/fluxops/update') : undefined;
      // A push whose answer was lost (the connection dropped after the remote took it) shows up here.
      if (lastPushed !== undefined && (updateMode ? existing : base) === lastPushed.commit) return lastPushed;

      const head = await readHeadFiles(client, gitDir, base, lockPath, updatePath);
      const plan = await opts.compute({ commit: base, branch: target, lockFile: lockPath, lockText: head.lockText, files: head.files });
      const changed = checkPlan(plan, lockPath, head.lockText, head.files);
      const conflicts = plan.conflicts ?? [];
      const problems = plan.problems ?? [];
      const common = { branch: pushBranch, targetBranch: target, base, conflicts, problems, attempts: attempt };
      if (Object.keys(changed).length === 0) {
        return { ...common, status: 'unchanged', files: [], changes: { lockFile: lockPath, lock: [], setters: [] } };
      }
      const message = plan.message ?? renderCommitMessage(s.message, plan.changes);
      if (message === undefined) throw new WriteBackComputeError('changes', 'files change but the change set is empty, so there is nothing to write a commit message from');
      const files = Object.keys(changed).sort();
      const tree = await writeTree(client, gitDir, work, base, changed, head.entries);
      if (tree === (await treeOf(client, gitDir, base))) {
        return { ...common, status: 'unchanged', files: [], changes: { lockFile: lockPath, lock: [], setters: [] } };
      }
      if (existing !== undefined) {
        const header = await commitHeader(client, gitDir, existing);
        if (header.parents.length === 1 && header.parents[0] === base && (await treeOf(client, gitDir, existing)) === tree) {
          return { ...common, status: 'already-pushed', commit: existing, files, changes: plan.changes, message };
        }
        // Replacing the update branch is fine only while it holds the automation's own commit.
        const own = signatureText(s.author);
        if (header.author !== own || header.committer !== own) {
          throw new UpdateBranchNotOwnedError({ repository: client.display, branch: pushBranch, commit: existing, author: header.author });
        }
      }
      const commit = await commitTree(client, gitDir, tree, base, message, { author: s.author, timeMs });
      const ref = `refs/heads/${pushBranch}`;
      const args = ['--git-dir', gitDir, 'push', '--porcelain', '--no-verify'];
      // The target branch is only ever fast-forwarded. The update branch is ours: replaced, but
      // only if it still is what we just looked at (absent, or our own commit).
      if (updateMode) args.push(`--force-with-lease=${ref}:${existing ?? ''}`);
      args.push(client.url, `${commit}:${ref}`);
      const pushed = await client.tryNetwork('push', args, { ref: pushBranch, okExitCodes: [1] });
      const pushedResult: WriteBackResult = { ...common, status: 'pushed', commit, files, changes: plan.changes, message };
      if ('failure' in pushed) throw client.toError(pushed.failure, { repository: client.display, operation: 'push', ref: pushBranch });
      const status = parsePushStatus(pushed.result.stdout.toString('utf8'), ref);
      if (status === undefined) {
        throw client.toError({ kind: 'other', result: pushed.result, attempts: 1 }, { repository: client.display, operation: 'push', ref: pushBranch });
      }
      if (status.kind === 'updated') return pushedResult;
      if (status.kind === 'refused') {
        throw new GitPushRejectedError({ repository: client.display, operation: 'push', ref: pushBranch }, status.reason, { detail: client.redact(pushed.result.stderr) || undefined });
      }
      lastPushed = pushedResult;
      if (attempt < maxAttempts) await clock.sleep(gitBackoffDelay(attempt, retry, clock.random));
    }
    throw new WriteBackContendedError({ repository: client.display, branch: pushBranch, attempts: maxAttempts });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** The files of the plan that really change, after checking that the plan only touches what it was given. */
function checkPlan(plan: WriteBackPlan, lockFile: string, lockText: string | undefined, files: Readonly<Record<string, string>>): Record<string, string> {
  if (typeof plan !== 'object' || plan === null || typeof plan.files !== 'object' || plan.files === null) {
    throw new WriteBackComputeError('files', 'must be an object of new file texts by path');
  }
  const changed: Record<string, string> = {};
  for (const [file, text] of Object.entries(plan.files)) {
    const field = `files[${JSON.stringify(file)}]`;
    if (typeof text !== 'string') throw new WriteBackComputeError(field, 'must be the new file text (a string)');
    if (file !== lockFile && !(file in files)) throw new WriteBackComputeError(field, `is neither the lock file (${lockFile}) nor one of the marker files it was given`);
    const before = file === lockFile ? lockText : files[file];
    if (text !== before) changed[file] = text;
  }
  return changed;
}
