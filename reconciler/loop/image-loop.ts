import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Logger } from 'pino';

import { IMAGE_LOCK_FILE, emptyImageLock, parseImageLock, type ImageLock } from '../../constructs';
import { FluxOpsError, errorMessage } from '../../errors';
import type { GitAuth } from '../git';
import { scanImages, updateImages, type PolicyScan, type ScanFailure } from '../images/automation';
import type { RegistryClient } from '../images/registry';
import { CoalescingTrigger } from '../source/coalescing-trigger';
import type { ReconcilerMetrics } from '../status/metrics';
import { SynthesisError, type IsolatedSynthResult } from '../synth';
import type { PodFailure } from '../deploy/health';
import { rollBackFailedRollout, type RollBackResult } from '../images/rollback';
import type { CommitSynthesizer } from './commit-synthesizer';
import type { ConfigSource, UnhealthyRollout } from './site-reconciler';

/** Image events for notifications (see reconciler/notify). */
export type ImageLoopEvent =
  | {
      readonly kind: 'image.updated';
      readonly policy: string;
      readonly from?: { readonly tag: string; readonly digest: string };
      readonly to: { readonly tag: string; readonly digest: string };
      readonly commit: string;
      readonly repository: string;
    }
  | { readonly kind: 'image.refused'; readonly policy: string; readonly tag: string; readonly code: string; readonly message: string }
  | {
      readonly kind: 'image.rolledback';
      readonly policy: string;
      readonly repository: string;
      /** The site of a site-specific lock entry. */
      readonly site?: string;
      /** The tag that failed (now marked bad) and the one restored. */
      readonly bad: { readonly tag: string; readonly digest: string };
      readonly restored: { readonly tag: string; readonly digest: string };
      /** The first failed workload and what its pod did. */
      readonly object: string;
      readonly reason: string;
      readonly pod?: PodFailure;
      /** The roll-back commit. */
      readonly commit: string;
    };

/** What one image run did. */
export interface ImageRunOutcome {
  readonly runId: string;
  readonly scans: readonly PolicyScan[];
  /** Policies whose repository could not be scanned (registry down, 5xx, 429, timeout), with why. */
  readonly failures: readonly ScanFailure[];
  /** Commits pushed (one per automation with updates). */
  readonly pushed: ReadonlyArray<{ readonly automation: string; readonly commit: string; readonly policies: readonly string[] }>;
  readonly error?: Error;
}

/** Options of {@link ImageAutomationLoop}. */
export interface ImageAutomationLoopOptions {
  readonly site: string;
  readonly source: ConfigSource;
  /** The config repository, and credentials to push to it. */
  readonly repoUrl: string;
  readonly auth: GitAuth;
  readonly configPath?: string;
  readonly registry: RegistryClient;
  /** How often to scan. @default the shortest interval of the fleet's image repositories */
  readonly intervalMs?: number;
  /** Only report what would be committed. */
  readonly dryRun?: boolean;
  readonly fleetEnv?: Readonly<Record<string, string>>;
  /** Shared per-commit synthesis (with the site loop). */
  readonly synthesizer: CommitSynthesizer;
  readonly logger: Logger;
  readonly metrics?: ReconcilerMetrics;
  /** Called after a push to the followed branch: the site loop looks at once. */
  readonly onPushed?: () => void;
  readonly onEvent?: (e: ImageLoopEvent) => void;
  /** Work directory for write-back. */
  readonly workDir?: string;
}

/**
 * The image automation loop of a reconciler: registry -> policy -> lock -> Git. On its interval
 * and whenever a registry says a repository got a new tag, it synthesizes the head of the config
 * repository (isolated) for its policies, scans their repositories, and commits the chosen images
 * to the lock with the automation's author and message; the site loop then applies that commit.
 * Refused tags (an amd64-only build for an arm64 site, a tag marked bad, an older tag) are logged
 * and notified once each, with the reason.
 */
export class ImageAutomationLoop {
  private readonly trigger: CoalescingTrigger<void, ImageRunOutcome>;
  private pendingOnly: Set<string> | 'all' = 'all';
  private timer: NodeJS.Timeout | undefined;
  private cached: { commit: string; synth: IsolatedSynthResult; lock: ImageLock } | undefined;
  private readonly refusedSeen = new Set<string>();
  private lastOutcome: ImageRunOutcome | undefined;
  private stopped = false;

  constructor(private readonly opts: ImageAutomationLoopOptions) {
    this.trigger = new CoalescingTrigger<void, ImageRunOutcome>({
      run: () => this.run(),
      onSettled: (o) => {
        if (o.status === 'failed') opts.logger.error({ site: opts.site, event: 'image-run-error' }, errorMessage(o.error));
      },
    });
  }

  /** Starts scanning on the interval (after a first scan now). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.fire(), intervalMs);
    this.timer.unref();
    void this.fire();
  }

  /** Scans now: every policy, or only those (a registry notification names their repository). */
  async fire(only?: readonly string[]): Promise<ImageRunOutcome | undefined> {
    if (this.stopped) return undefined;
    if (!only) this.pendingOnly = 'all';
    else if (this.pendingOnly !== 'all') for (const p of only) this.pendingOnly.add(p);
    const outcome = await this.trigger.fire();
    return outcome.status === 'succeeded' ? outcome.result : undefined;
  }

  /** The image repositories of the fleet at the last scan (to match registry notifications). */
  repositories(): ReadonlyArray<{ image: string; policies: string[] }> {
    if (!this.cached) return [];
    const byImage = new Map<string, string[]>();
    for (const p of this.cached.synth.policies) byImage.set(p.repository, [...(byImage.get(p.repository) ?? []), p.name]);
    return [...byImage.entries()].map(([image, policies]) => ({ image, policies }));
  }

  snapshot(): Record<string, unknown> {
    return {
      lastRun: this.lastOutcome
        ? {
            runId: this.lastOutcome.runId,
            pushed: this.lastOutcome.pushed,
            error: this.lastOutcome.error ? errorMessage(this.lastOutcome.error) : null,
            policies: this.lastOutcome.scans.map((s) => ({ policy: s.policy, outcome: s.selection.outcome, selected: s.selection.selected?.tag ?? null, changed: s.selection.changed, refused: s.selection.rejected.length })),
            // A repository that could not be scanned is said so, per policy (not only logged).
            failed: this.lastOutcome.failures.map((f) => ({ policy: f.policy, repository: f.repository, code: f.error instanceof FluxOpsError ? f.error.code : 'error', error: errorMessage(f.error) })),
          }
        : null,
    };
  }

  /**
   * Health-gated roll-back of a commit whose rollout failed (see `rollBackFailedRollout`): reads
   * the lock of the failing commit and of the one before, pushes the roll-back commit(s), notifies,
   * and tells the site loop. Git faults are retried with backoff (the write-back's own retries,
   * then whole attempts); the outcome is logged and returned, never thrown.
   */
  async rollBack(rollout: UnhealthyRollout): Promise<RollBackResult | undefined> {
    const log = this.opts.logger.child({ site: this.opts.site, event: 'rollback', commit: rollout.commit });
    if (this.opts.dryRun) {
      log.info({ failed: rollout.failed.map((f) => f.id) }, 'dry run: the rollout failed; a roll-back would be considered');
      return undefined;
    }
    const attempts = 5;
    for (let attempt = 1; attempt <= attempts && !this.stopped; attempt++) {
      try {
        const synth = await this.opts.synthesizer.synthesize(rollout.commit, 'strict');
        const currentLock = this.readLock(await this.opts.synthesizer.configDir(rollout.commit), rollout.commit) ?? emptyImageLock();
        const previousLock = rollout.previousCommit ? this.readLock(await this.opts.synthesizer.configDir(rollout.previousCommit), rollout.previousCommit) : undefined;
        if (this.opts.workDir) fs.mkdirSync(this.opts.workDir, { recursive: true, mode: 0o700 });
        const result = await rollBackFailedRollout({
          site: this.opts.site,
          failingCommit: rollout.commit,
          unhealthy: rollout.failed.map((f) => ({ id: f.id, message: f.message, ...(f.pod ? { pod: f.pod } : {}) })),
          images: rollout.images,
          policies: synth.policies,
          automations: synth.automations,
          currentLock,
          previousLock,
          url: this.opts.repoUrl,
          auth: this.opts.auth,
          ...(this.opts.configPath ? { configPath: this.opts.configPath } : {}),
          ...(this.opts.workDir ? { workDir: this.opts.workDir } : {}),
        });
        for (const s of result.skipped) log.info({ policy: s.policy, reason: s.reason }, `not rolled back: ${s.message}`);
        let pushed = false;
        for (const c of result.commits) {
          for (const conflict of c.result.conflicts) log.warn({ policy: conflict.policy }, `roll-back of ${conflict.policy} dropped: a person changed its lock entry meanwhile; their change wins`);
          if (c.result.status !== 'pushed' || !c.result.commit) continue;
          pushed = true;
          log.warn({ rollbackCommit: c.result.commit, policies: c.plans.map((p) => p.policy) }, c.result.message?.split('\n')[0] ?? 'rolled back');
          for (const p of c.plans) {
            const first = p.objects[0];
            this.opts.onEvent?.({
              kind: 'image.rolledback',
              policy: p.policy,
              repository: p.failing.image,
              ...(p.site !== undefined ? { site: p.site } : {}),
              bad: { tag: p.failing.tag, digest: p.failing.digest },
              restored: { tag: p.previous.tag, digest: p.previous.digest },
              object: first.id,
              reason: first.message,
              ...(first.pod ? { pod: first.pod } : {}),
              commit: c.result.commit,
            });
          }
        }
        if (pushed) this.opts.onPushed?.();
        return result;
      } catch (err) {
        const delay = Math.min(60_000, 2_000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        log.error({ code: err instanceof FluxOpsError ? err.code : 'error', attempt, retryInMs: attempt < attempts ? Math.round(delay) : null }, `roll-back failed: ${errorMessage(err)}`);
        if (attempt < attempts) await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
    return undefined;
  }

  private readLock(configDir: string, commit: string): ImageLock | undefined {
    const lockPath = path.join(configDir, IMAGE_LOCK_FILE);
    return fs.existsSync(lockPath) ? parseImageLock(fs.readFileSync(lockPath, 'utf8'), `${this.opts.source.url}@${commit.slice(0, 12)}:${IMAGE_LOCK_FILE}`) : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.trigger.stop();
  }

  private async run(): Promise<ImageRunOutcome> {
    const only = this.pendingOnly === 'all' ? undefined : new Set(this.pendingOnly);
    this.pendingOnly = new Set();
    const runId = `img-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    const log = this.opts.logger.child({ site: this.opts.site, runId });
    try {
      const head = await this.opts.source.head();
      if (!this.cached || this.cached.commit !== head) {
        const configDir = await this.opts.synthesizer.configDir(head);
        // The site loop needs the strict synthesis of the same commit: share it. A lock that
        // does not pass is what image automation may be about to fix: read it leniently then.
        const synth = await this.opts.synthesizer.synthesize(head, 'strict').catch((err: unknown) => {
          if (err instanceof SynthesisError && err.kind === 'invalid-lock') return this.opts.synthesizer.synthesize(head, 'lenient');
          throw err;
        });
        const lock = this.readLock(configDir, head) ?? emptyImageLock();
        this.cached = { commit: head, synth, lock };
      }
      const { synth, lock } = this.cached;
      const sitePolicies = new Set(synth.site(this.opts.site).images.map((i) => i.policy));
      const automated = new Set(synth.automations.flatMap((a) => a.policies));
      const policies = synth.policies.filter((p) => automated.has(p.name) && sitePolicies.has(p.name));
      const { scans, failures } = await scanImages({ policies, repositories: synth.repositories, lock, site: this.opts.site, registry: this.opts.registry, ...(only ? { only } : {}) });
      for (const f of failures) {
        log.warn({ event: 'image-scan-failed', policy: f.policy, repository: f.repository, code: f.error instanceof FluxOpsError ? f.error.code : 'error' }, errorMessage(f.error));
        this.opts.metrics?.recordImageScan?.({ site: this.opts.site, result: 'failure' });
      }
      for (const s of scans) {
        for (const r of s.selection.rejected) {
          // Platform refusals are the ones people must hear about (an amd64-only build); once each.
          if (r.code !== 'missing-platform' && r.code !== 'bad-tag') continue;
          const key = `${s.policy}|${r.tag}|${r.code}`;
          if (this.refusedSeen.has(key)) continue;
          this.refusedSeen.add(key);
          log.warn({ event: 'image-refused', policy: s.policy, tag: r.tag, code: r.code }, r.message);
          this.opts.onEvent?.({ kind: 'image.refused', policy: s.policy, tag: r.tag, code: r.code, message: r.message });
        }
        this.opts.metrics?.recordImageScan?.({ site: this.opts.site, result: 'success', tagsChosen: s.update ? 1 : 0, tagsRefused: countBy(s.selection.rejected.map((r) => r.code)) });
      }
      const updates = scans.filter((s) => s.update);
      if (updates.length === 0) return this.done({ runId, scans, failures, pushed: [] });
      for (const s of updates) log.info({ event: 'image-chosen', policy: s.policy, from: s.locked?.tag ?? null, to: s.selection.selected!.tag, digest: s.selection.selected!.digest }, `${s.policy}: ${s.locked?.tag ?? '(none)'} -> ${s.selection.selected!.tag}`);
      if (this.opts.dryRun) return this.done({ runId, scans, failures, pushed: [] });
      if (this.opts.workDir) fs.mkdirSync(this.opts.workDir, { recursive: true, mode: 0o700 });
      const results = await updateImages({
        automations: synth.automations,
        scans,
        lock,
        url: this.opts.repoUrl,
        auth: this.opts.auth,
        ...(this.opts.configPath ? { configPath: this.opts.configPath } : {}),
        ...(this.opts.workDir ? { workDir: this.opts.workDir } : {}),
      });
      const pushed: Array<{ automation: string; commit: string; policies: string[] }> = [];
      for (const r of results) {
        for (const c of r.result.conflicts) log.warn({ event: 'image-update-conflict', policy: c.policy }, `a person changed the lock entry of ${c.policy} meanwhile; their change wins`);
        if (r.result.status !== 'pushed' || !r.result.commit) continue;
        pushed.push({ automation: r.automation, commit: r.result.commit, policies: r.scans.map((s) => s.policy) });
        log.info({ event: 'image-committed', automation: r.automation, commit: r.result.commit, branch: r.result.branch }, `committed ${r.scans.map((s) => `${s.policy} ${s.selection.selected!.tag}`).join(', ')} to ${r.result.branch}`);
        for (const s of r.scans) {
          this.opts.onEvent?.({
            kind: 'image.updated',
            policy: s.policy,
            ...(s.locked ? { from: { tag: s.locked.tag, digest: s.locked.digest } } : {}),
            to: { tag: s.selection.selected!.tag, digest: s.selection.selected!.digest },
            commit: r.result.commit,
            repository: s.repository,
          });
        }
      }
      if (pushed.length > 0) this.opts.onPushed?.();
      return this.done({ runId, scans, failures, pushed });
    } catch (err) {
      log.error({ event: 'image-run-failed', code: err instanceof FluxOpsError ? err.code : 'error' }, errorMessage(err));
      return this.done({ runId, scans: [], failures: [], pushed: [], error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  private done(o: ImageRunOutcome): ImageRunOutcome {
    this.lastOutcome = o;
    return o;
  }
}

function countBy(codes: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of codes) out[c] = (out[c] ?? 0) + 1;
  return out;
}
