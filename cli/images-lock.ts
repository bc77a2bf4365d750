import * as fs from 'node:fs';
import * as path from 'node:path';

import { DEFAULT_COMMIT_MESSAGE_TEMPLATE } from '../constructs/image-update-automation';
import {
  IMAGE_LOCK_FILE,
  ImageLock,
  ImageLockBadTag,
  emptyImageLock,
  findBadTag,
  findLockEntry,
  parseImageLock,
  type ImageLockEntry,
} from '../constructs/lock';
import { imageTagProblem, singleLineTextProblem } from '../constructs/validation';
import { FluxOpsError } from '../errors';
import { UserCheckout, type GitAuth, type GitClientOptions } from '../reconciler/git';
import { lockDecisions, lockWriteBack, writeBack, type LockConflict, type WriteBackResult } from '../reconciler/images/git';
import { LockBadTagChange, LockHoldChange, LockUpdate, lockNotesMessage, updateLockText } from '../reconciler/images/lock';
import { createTagPolicy } from '../reconciler/images/policy';
import { synthesizeIsolated, type IsolatedSynthResult, type PolicyData, type PolicyHoldData, type SynthProblem } from '../reconciler/synth';

/** Why `fluxops images ...` refused to change the lock. Nothing was written, committed or pushed. */
export type ImagesCommandProblem =
  /** The fleet has no image policy of that name. */
  | 'unknown-policy'
  /** The fleet has no site of that name, or no app on it uses the policy. */
  | 'unknown-site'
  /** `release` of a policy that is not held in the lock (at that scope). */
  | 'not-held'
  /** `hold` on a tag the lock marks bad. */
  | 'tag-marked-bad'
  /** `mark-bad` of a tag a lock hold keeps deployed. */
  | 'tag-held'
  /** `unmark-bad` of a tag that is not marked bad. */
  | 'not-marked-bad'
  /** A tag or reason that cannot be recorded. */
  | 'invalid-argument'
  /** The lock file has uncommitted changes (committing would take them along). */
  | 'lock-file-modified'
  /** `--push`: the remote's lock changed the same hold or bad tag meanwhile (the remote wins). */
  | 'push-conflict';

/** A refused `fluxops images` command: names the policy (and site, tag) and says how to go on. */
export class ImagesCommandError extends FluxOpsError {
  override readonly name = 'ImagesCommandError';
  /** What was refused. */
  readonly problem: ImagesCommandProblem;
  /** The policy. */
  readonly policy?: string;
  /** The site, for site holds. */
  readonly site?: string;
  /** The tag concerned. */
  readonly tag?: string;
  /** `push-conflict`: what the remote has now. */
  readonly conflicts?: readonly LockConflict[];

  constructor(init: { problem: ImagesCommandProblem; message: string; policy?: string; site?: string; tag?: string; conflicts?: readonly LockConflict[] }) {
    super(`images-${init.problem}`, init.message);
    this.problem = init.problem;
    this.policy = init.policy;
    this.site = init.site;
    this.tag = init.tag;
    this.conflicts = init.conflicts;
  }
}

/** One change to the holds and bad tags of the lock. */
export type ImagesLockAction =
  | { readonly kind: 'hold'; readonly policy: string; readonly tag: string; readonly reason: string; readonly site?: string }
  | { readonly kind: 'release'; readonly policy: string; readonly site?: string }
  | { readonly kind: 'mark-bad'; readonly policy: string; readonly tag: string; readonly reason: string }
  | { readonly kind: 'unmark-bad'; readonly policy: string; readonly tag: string };

/** Where to push with `--push`. */
export interface ImagesPushOptions extends GitClientOptions {
  /** Remote name in the checkout. @default 'origin' */
  readonly remote?: string;
  /** Branch to update. @default the branch checked out */
  readonly branch?: string;
  /** Credentials for the remote (FluxOps's git client ignores credential helpers). @default none (ssh uses the user's ssh setup) */
  readonly auth?: GitAuth;
}

/** Common options of the `fluxops images` commands. */
export interface ImagesCommandOptions {
  /** The config repository (holds fleet.ts and the lock). */
  readonly configDir: string;
  /** Lock file name relative to `configDir`. @default IMAGE_LOCK_FILE */
  readonly lockFile?: string;
  /** `FLEET_*` variables for the fleet code. */
  readonly fleetEnv?: Readonly<Record<string, string>>;
  /** Clock for `since`. @default the system clock */
  readonly now?: () => Date;
  /** Commit the change to the local checkout. Ignored with `push`. @default true */
  readonly commit?: boolean;
  /** Push with `writeBack` (recomputed on the remote's head; the local file is not edited) instead of committing locally. */
  readonly push?: ImagesPushOptions;
}

/** Result of {@link editImageLock}: data for the CLI's output (text or JSON). */
export interface ImagesLockEditResult {
  /** What was asked. */
  readonly action: ImagesLockAction;
  /** The lock file. */
  readonly lockFile: string;
  /** Whether the lock changed (false: it already was as asked). */
  readonly changed: boolean;
  /** Holds set, changed or released. */
  readonly holds: readonly LockHoldChange[];
  /** Bad tags marked or unmarked. */
  readonly badTags: readonly LockBadTagChange[];
  /** The commit message (when something changed). */
  readonly message?: string;
  /** The local commit made (default mode). */
  readonly commit?: string;
  /** `--push`: what happened on the remote and to the local checkout. */
  readonly push?: {
    readonly remote: string;
    readonly branch: string;
    readonly status: WriteBackResult['status'];
    readonly commit?: string;
    /** Whether the checkout was fast-forwarded to the pushed commit (else: `git pull`). */
    readonly localUpdated: boolean;
  };
  /** Things worth knowing (digest unknown, tag outside the policy, a code hold that wins, ...). */
  readonly notes: readonly string[];
}

/** The fleet as the commands need it: policies, sites and which policies each site uses. */
export interface FleetView {
  readonly synth: IsolatedSynthResult;
  readonly policies: ReadonlyMap<string, PolicyData>;
  readonly sitePolicies: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The fleet (isolated synthesis of every site, lenient lock): policies, sites, which policies each site uses. */
export async function loadFleetView(opts: ImagesCommandOptions): Promise<FleetView> {
  const synth = await synthesizeIsolated({
    configDir: opts.configDir,
    allSites: true,
    lockMode: 'lenient',
    ...(opts.lockFile ? { lockFile: opts.lockFile } : {}),
    ...(opts.fleetEnv ? { fleetEnv: opts.fleetEnv } : {}),
  });
  const sitePolicies = new Map<string, Set<string>>();
  for (const r of synth.results) if (r.site !== undefined) sitePolicies.set(r.site, new Set(r.images.map((i) => i.policy)));
  return { synth, policies: new Map(synth.policies.map((p) => [p.name, p])), sitePolicies };
}

/** The lock file's text (`undefined` when absent) and the lock (empty when absent or blank). */
export function readLock(lockPath: string): { text: string | undefined; lock: ImageLock } {
  let text: string | undefined;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const blank = text === undefined || text.replace(/^\uFEFF/, '').trim() === '';
  return { text, lock: blank ? emptyImageLock() : parseImageLock(text as string, lockPath) };
}

function requirePolicy(view: FleetView, policy: string, site?: string): PolicyData {
  const p = view.policies.get(policy);
  if (!p) {
    const known = [...view.policies.keys()].sort();
    throw new ImagesCommandError({ problem: 'unknown-policy', policy, message: `policy ${policy}: the fleet has no image policy of this name (policies: ${known.join(', ') || 'none'})` });
  }
  if (site !== undefined) {
    const used = view.sitePolicies.get(site);
    if (!used) {
      throw new ImagesCommandError({ problem: 'unknown-site', policy, site, message: `site ${site}: the fleet has no site of this name (sites: ${view.synth.sites.join(', ') || 'none'})` });
    }
    if (!used.has(policy)) throw new ImagesCommandError({ problem: 'unknown-site', policy, site, message: `site ${site}: no app on this site uses policy ${policy}; a hold there would have no effect` });
  }
  return p;
}

function checkArgument(what: string, value: string, problem: string | undefined, policy: string): void {
  if (problem) throw new ImagesCommandError({ problem: 'invalid-argument', policy, message: `${what} ${JSON.stringify(value)}: ${problem}` });
}

const where = (site?: string) => (site === undefined ? 'fleet-wide' : `on site ${site}`);
const codeHoldFor = (p: PolicyData, site?: string): PolicyHoldData | undefined => {
  const h = (site !== undefined ? p.holds[site] : undefined) ?? p.holds['*'];
  return h && (h.source ?? 'construct') === 'construct' ? h : undefined;
};

/** Turns an action into a lock update, after the checks that need the fleet and the lock. */
function planAction(view: FleetView, lock: ImageLock, action: ImagesLockAction, since: string): { update: LockUpdate; notes: string[] } {
  const notes: string[] = [];
  switch (action.kind) {
    case 'hold': {
      const p = requirePolicy(view, action.policy, action.site);
      checkArgument('tag', action.tag, imageTagProblem(action.tag), action.policy);
      checkArgument('--reason', action.reason, singleLineTextProblem(action.reason), action.policy);
      const bad = findBadTag(lock, action.policy, action.tag);
      if (bad) {
        throw new ImagesCommandError({
          problem: 'tag-marked-bad',
          policy: action.policy,
          tag: action.tag,
          message: `policy ${action.policy}: ${action.tag} is marked bad since ${bad.since} (${bad.reason}); to hold it anyway, first run: fluxops images unmark-bad ${action.policy} ${action.tag}`,
        });
      }
      const code = codeHoldFor(p, action.site);
      if (code) notes.push(`a hold in fleet code keeps ${action.policy} at ${code.tag} (${code.reason}); holds in code win, so this lock hold takes effect only once that one is removed`);
      const rejected = createTagPolicy({ rule: p.rule, ...(p.filterTags ? { filterTags: p.filterTags } : {}), ...(p.exclusionList ? { exclusionList: p.exclusionList } : {}) }).rank([action.tag]).rejected[0];
      if (rejected) notes.push(`${action.tag} is not a candidate of the policy (${rejected.message}); the hold deploys it anyway`);
      const entry: ImageLockEntry | undefined = [findLockEntry(lock, action.policy, action.site)?.entry, lock.policies[action.policy]].find((e) => e?.tag === action.tag && e.image === p.repository);
      notes.push(
        entry
          ? `deploys ${p.repository}:${action.tag}@${entry.digest} (the digest the lock records for ${action.tag})`
          : `the lock records no digest for ${action.tag}: it deploys by tag (digest-unknown) until image automation records it; nothing checked that the tag exists or provides ${p.platforms.join(', ')}`,
      );
      return { update: { action: 'set-hold', policy: action.policy, ...(action.site !== undefined ? { site: action.site } : {}), hold: { tag: action.tag, reason: action.reason, since } }, notes };
    }
    case 'release': {
      const p = requirePolicy(view, action.policy, action.site);
      const held = action.site === undefined ? lock.holds?.[action.policy] : lock.siteHolds?.[action.site]?.[action.policy];
      if (!held) {
        const others = [
          ...(lock.holds?.[action.policy] ? ['fleet-wide (release without --site)'] : []),
          ...Object.keys(lock.siteHolds ?? {})
            .filter((s) => lock.siteHolds![s][action.policy] !== undefined)
            .map((s) => `on site ${s} (--site ${s})`),
        ];
        const code = codeHoldFor(p, action.site);
        const hint = others.length > 0 ? `; the lock holds it ${others.join(', ')}` : code ? `; it is held in fleet code (at ${code.tag}), which only a change of the code releases` : '';
        throw new ImagesCommandError({ problem: 'not-held', policy: action.policy, ...(action.site !== undefined ? { site: action.site } : {}), message: `policy ${action.policy} is not held ${where(action.site)} in the lock${hint}` });
      }
      return { update: { action: 'remove-hold', policy: action.policy, ...(action.site !== undefined ? { site: action.site } : {}) }, notes };
    }
    case 'mark-bad': {
      requirePolicy(view, action.policy);
      checkArgument('tag', action.tag, imageTagProblem(action.tag), action.policy);
      checkArgument('--reason', action.reason, singleLineTextProblem(action.reason), action.policy);
      const holders = [
        ...(lock.holds?.[action.policy]?.tag === action.tag ? ['fleet-wide'] : []),
        ...Object.keys(lock.siteHolds ?? {})
          .filter((s) => lock.siteHolds![s][action.policy]?.tag === action.tag)
          .map((s) => `on site ${s}`),
      ];
      if (holders.length > 0) {
        throw new ImagesCommandError({
          problem: 'tag-held',
          policy: action.policy,
          tag: action.tag,
          message: `policy ${action.policy}: ${action.tag} is held (${holders.join(', ')}); release the hold first (fluxops images release ${action.policy}), then mark the tag bad`,
        });
      }
      const already = findBadTag(lock, action.policy, action.tag);
      if (already) notes.push(`${action.tag} is already marked bad since ${already.since} (${already.reason}); the first record is kept`);
      const locked = [lock.policies[action.policy], ...Object.values(lock.sites).map((s) => s[action.policy])].some((e) => e?.tag === action.tag);
      if (locked) notes.push(`the lock still deploys ${action.tag}: it stays until image automation selects another tag; to roll back now: fluxops images hold ${action.policy} <good tag> --reason "..."`);
      return { update: { action: 'add-bad-tag', policy: action.policy, badTag: { tag: action.tag, reason: action.reason, since } }, notes };
    }
    case 'unmark-bad': {
      requirePolicy(view, action.policy);
      if (!findBadTag(lock, action.policy, action.tag)) {
        const marked = (lock.badTags?.[action.policy] ?? []).map((b) => b.tag);
        throw new ImagesCommandError({
          problem: 'not-marked-bad',
          policy: action.policy,
          tag: action.tag,
          message: `policy ${action.policy}: ${action.tag} is not marked bad (bad tags: ${marked.join(', ') || 'none'})`,
        });
      }
      return { update: { action: 'remove-bad-tag', policy: action.policy, tag: action.tag }, notes };
    }
  }
}

/** `2026-11-26T10:00:00Z`: ISO-8601 UTC, whole seconds (what the lock records). */
export function lockTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Writes `file` through a temporary file and a rename: a reader sees the old or the new text, never half. */
export function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.fluxops-${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * Holds, releases, marks a tag bad or clears a bad mark in the lock of a config repository:
 * checks the action against the fleet (isolated synthesis, lenient lock) and the lock, rewrites
 * `fluxops.lock.yaml` byte-exactly, and by default commits exactly that file to the local
 * checkout (`commit: false`: only the file; `push`: commit on the remote's head with `writeBack`,
 * where a concurrent change of the same hold or bad tag wins and is reported). Offline except
 * for `push`: the registry is never asked.
 *
 * @throws ImagesCommandError for refused actions, ImageLockError for a lock that cannot be read,
 *   UserCheckoutError / GitError for git failures, SynthesisError when the fleet does not load.
 */
export async function editImageLock(opts: ImagesCommandOptions, action: ImagesLockAction): Promise<ImagesLockEditResult> {
  const configDir = path.resolve(opts.configDir);
  const lockPath = path.join(configDir, opts.lockFile ?? IMAGE_LOCK_FILE);
  const since = lockTimestamp((opts.now ?? (() => new Date()))());
  const view = await loadFleetView({ ...opts, configDir });
  const local = readLock(lockPath);
  const { update, notes } = planAction(view, local.lock, action, since);

  if (opts.push) return pushEdit(opts.push, lockPath, local.lock, update, action, notes);

  const checkout = (opts.commit ?? true) ? await openLockCheckout(configDir, lockPath, action.policy) : undefined;
  const rewrite = updateLockText(local.text, [update], { source: lockPath });
  const base = { action, lockFile: lockPath, changed: rewrite.changed, holds: rewrite.holds, badTags: rewrite.badTags, notes };
  if (!rewrite.changed) return base;
  const message = lockNotesMessage(rewrite) as string;
  const commit = await writeLockFile(checkout, lockPath, local.text, rewrite.text, message);
  return { ...base, message, ...(commit ? { commit } : {}) };
}

/**
 * The user's checkout the lock is committed in, after checking the lock file has no uncommitted
 * changes (a commit would take them along) and that git knows who the user is.
 */
export async function openLockCheckout(configDir: string, lockPath: string, policy?: string): Promise<UserCheckout> {
  const checkout = await UserCheckout.open(configDir);
  const state = await checkout.fileState(lockPath);
  if (state === 'modified' || state === 'untracked') {
    throw new ImagesCommandError({
      problem: 'lock-file-modified',
      ...(policy !== undefined ? { policy } : {}),
      message: `${lockPath} has uncommitted changes; commit or stash them first, or use --no-commit to only edit the file`,
    });
  }
  await checkout.identity();
  return checkout;
}

/**
 * Writes the new lock text and, with a checkout, commits exactly that file; returns the commit.
 * A refused commit (a hook, signing) puts the file back as it was and rethrows.
 */
export async function writeLockFile(checkout: UserCheckout | undefined, lockPath: string, before: string | undefined, text: string, message: string): Promise<string | undefined> {
  writeAtomically(lockPath, text);
  if (!checkout) return undefined;
  try {
    return await checkout.commitFile(lockPath, message);
  } catch (err) {
    if (before === undefined) fs.rmSync(lockPath, { force: true });
    else writeAtomically(lockPath, before);
    throw err;
  }
}

async function pushEdit(push: ImagesPushOptions, lockPath: string, localLock: ImageLock, update: LockUpdate, action: ImagesLockAction, notes: string[]): Promise<ImagesLockEditResult> {
  const checkout = await UserCheckout.open(path.dirname(lockPath));
  const remote = push.remote ?? 'origin';
  const branch = push.branch ?? (await checkout.branch());
  if (branch === undefined) throw new ImagesCommandError({ problem: 'invalid-argument', policy: action.policy, message: 'HEAD is detached: name the branch to push to with --branch' });
  const author = await checkout.identity();
  const url = await checkout.remoteUrl(remote);
  const lockFile = checkout.relative(lockPath);
  const result = await writeBack({
    ...push,
    url,
    auth: push.auth ?? { kind: 'none' },
    settings: {
      author,
      // Only holds and bad tags change here: the message is lockNotesMessage's (the template is not used).
      message: { automationName: 'fluxops-cli', namespace: 'flux-system', messageTemplate: DEFAULT_COMMIT_MESSAGE_TEMPLATE },
      branch,
      lockFile,
      updatePath: path.posix.dirname(lockFile) === '.' ? './' : `${path.posix.dirname(lockFile)}/`,
    },
    compute: lockWriteBack({ decisions: lockDecisions(localLock, [update]) }),
  });
  if (result.conflicts.length > 0) {
    const c = result.conflicts[0];
    const now = c.current === undefined ? 'nothing' : `${c.current.tag}${'reason' in c.current ? ` (${c.current.reason})` : ''}`;
    throw new ImagesCommandError({
      problem: 'push-conflict',
      policy: action.policy,
      conflicts: result.conflicts,
      message: `${remote}/${branch} changed the same ${c.reason === 'hold-changed' ? 'hold' : 'bad tag'} of ${c.policy}${c.site ? ` on site ${c.site}` : ''} meanwhile (it has ${now} now); nothing was pushed. Pull, look, and run the command again`,
    });
  }
  const holds = result.changes.holds ?? [];
  const badTags = result.changes.badTags ?? [];
  const localUpdated = result.status === 'pushed' && result.commit !== undefined ? await checkout.fastForward(remote, branch, result.commit) : false;
  return {
    action,
    lockFile: lockPath,
    changed: result.status === 'pushed',
    holds,
    badTags,
    ...(result.message ? { message: result.message } : {}),
    push: { remote, branch, status: result.status, ...(result.commit ? { commit: result.commit } : {}), localUpdated },
    notes,
  };
}

/** One policy as `fluxops images list` shows it. */
export interface ImageListEntry {
  /** Policy name (lock key). */
  readonly policy: string;
  /** Repository followed. */
  readonly repository: string;
  /** The rule in words (`semver ^1.4.0`, `numerical asc, filter ^main-...`). */
  readonly rule: string;
  /** Required platforms. */
  readonly platforms: readonly string[];
  /** The fleet-wide lock entry. */
  readonly locked?: ImageLockEntry;
  /** Site entries, by site. */
  readonly siteLocked: Readonly<Record<string, ImageLockEntry>>;
  /** The hold in effect fleet-wide (code or lock). */
  readonly hold?: PolicyHoldData;
  /** Holds in effect on sites where they differ from the fleet-wide one, by site. */
  readonly siteHolds: Readonly<Record<string, PolicyHoldData>>;
  /** Tags marked bad. */
  readonly badTags: readonly ImageLockBadTag[];
}

/** Result of {@link listImages}. */
export interface ImageListing {
  /** The lock file. */
  readonly lockFile: string;
  /** Whether it exists. */
  readonly found: boolean;
  /** Every image policy of the fleet, by name. */
  readonly policies: readonly ImageListEntry[];
  /** What checking the lock against the fleet found (warnings and errors). */
  readonly problems: readonly SynthProblem[];
}

function describeRule(p: PolicyData): string {
  const r = p.rule;
  const rule = r.kind === 'semver' ? `semver ${r.range}${r.prereleases === 'include' ? ' (prereleases)' : ''}` : `${r.kind} ${r.order}`;
  return p.filterTags ? `${rule}, filter ${p.filterTags.pattern}${p.filterTags.extract ? ` -> ${p.filterTags.extract}` : ''}` : rule;
}

/** Every image policy of the fleet with its lock entries, holds and bad tags (offline). */
export async function listImages(opts: ImagesCommandOptions): Promise<ImageListing> {
  const configDir = path.resolve(opts.configDir);
  const lockPath = path.join(configDir, opts.lockFile ?? IMAGE_LOCK_FILE);
  const view = await loadFleetView({ ...opts, configDir });
  const { text, lock } = readLock(lockPath);
  const policies = [...view.policies.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p): ImageListEntry => {
      const siteLocked: Record<string, ImageLockEntry> = {};
      for (const site of Object.keys(lock.sites).sort()) if (lock.sites[site][p.name]) siteLocked[site] = lock.sites[site][p.name];
      const { '*': hold, ...siteHolds } = p.holds;
      return {
        policy: p.name,
        repository: p.repository,
        rule: describeRule(p),
        platforms: p.platforms,
        ...(lock.policies[p.name] ? { locked: lock.policies[p.name] } : {}),
        siteLocked,
        ...(hold ? { hold } : {}),
        siteHolds,
        badTags: lock.badTags?.[p.name] ?? [],
      };
    });
  return { lockFile: lockPath, found: text !== undefined, policies, problems: view.synth.lock.problems };
}
