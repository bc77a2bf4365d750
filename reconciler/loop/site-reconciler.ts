import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Logger } from 'pino';

import { FluxOpsError, errorMessage } from '../../errors';
import { ImageLockError } from '../../constructs';
import { formatSummary, summarizeChangeSet, type ChangeSet } from '../../stacks/change-set';
import type { PulumiSettings } from '../../stacks/pulumi-env';
import { refId, type KubeClient, type KubeObject, type ObjectRef } from '../cluster/kube-client';
import type { ImageUse } from '../../constructs/synth/synthesize';
import { applySite, type ApplySiteResult } from '../deploy/apply-site';
import { waitForHealth, type ObjectHealth } from '../deploy/health';
import { workloadRef } from '../images/rollback/plan-rollback';
import { DryRunRejectedError } from '../deploy/diff-site';
import { DowngradeRefusedError, findDowngrades, refuseDowngrades } from '../deploy/no-downgrade';
import { CoalescingTrigger } from '../source/coalescing-trigger';
import type { ReconcilerMetrics } from '../status/metrics';
import { readSiteStatus, recordEvent, setCondition, writeSiteStatus, type RunRecord, type SiteStatus } from '../status/site-status';
import { checkStackSettingsFiles, StackSettingsError } from './stack-settings-files';
import { SynthesisError, type PolicyData, type SynthPool } from '../synth';
import { CommitSynthesizer } from './commit-synthesizer';
import { withoutProgramPath } from './workspace-project';

/** Where the loop gets commits from (a Git remote and branch). */
export interface ConfigSource {
  /** Repository URL without credentials, for messages and status. */
  readonly url: string;
  readonly branch: string;
  /** The branch's head commit, in one round trip (no fetch). */
  head(): Promise<string>;
  /** A checkout of `commit` (shallow, from the reconciler's own cache); its directory. */
  checkout(commit: string): Promise<string>;
}

/** What started a run. */
export type TriggerKind = 'start' | 'poll' | 'webhook' | 'drift' | 'retry' | 'manual';

/** The outcome of one run. */
export interface RunOutcome {
  readonly runId: string;
  readonly result: RunRecord['result'];
  readonly commit?: string;
  readonly changeSet?: ChangeSet;
  readonly apply?: ApplySiteResult;
  readonly error?: FluxOpsError | Error;
  readonly durationMs: number;
}

/** Events the loop emits for notifications (see reconciler/notify). */
export type LoopEvent =
  | { readonly kind: 'reconcile.succeeded'; readonly site: string; readonly commit: string; readonly summary: Record<string, number>; readonly changed: readonly string[]; readonly durationMs: number }
  | { readonly kind: 'reconcile.failed'; readonly site: string; readonly commit?: string; readonly reason: string; readonly code: string; readonly stalled: boolean }
  | { readonly kind: 'drift.corrected'; readonly site: string; readonly commit: string; readonly objects: ReadonlyArray<{ readonly id: string; readonly fields: readonly string[] }> };

/** Options of {@link SiteReconciler}. */
export interface SiteReconcilerOptions {
  readonly site: string;
  readonly source: ConfigSource;
  /** Directory of the fleet inside the repository. @default '.' */
  readonly configPath?: string;
  readonly kube: KubeClient;
  /** Kubeconfig contents for Pulumi's provider. */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly settings: PulumiSettings;
  /** The reconciler's Pulumi workspace for the site (stack settings are copied in from the repository). */
  readonly workDir: string;
  /** Lease identity (stable across restarts of this reconciler instance). */
  readonly identity: string;
  /** How often to check the branch head. @default 60000 */
  readonly intervalMs?: number;
  /** How often to diff the live cluster against the last applied commit and correct drift. @default 600000 */
  readonly driftIntervalMs?: number;
  /** Only report what would be applied. @default false */
  readonly dryRun?: boolean;
  /** @default 300000 */
  readonly healthTimeoutMs?: number;
  /** Backoff after a failed run: base and cap. @default 5 s and 5 min */
  readonly backoff?: { readonly baseMs: number; readonly capMs: number };
  readonly random?: () => number;
  readonly logger: Logger;
  readonly metrics?: ReconcilerMetrics;
  readonly fleetEnv?: Readonly<Record<string, string>>;
  /** Pre-spawned synthesis children (see SynthPool). */
  readonly synthPool?: SynthPool;
  /** Shared per-commit synthesis (with the image loop). @default one of its own */
  readonly synthesizer?: CommitSynthesizer;
  /** Notification hook; must not throw or block. */
  readonly onEvent?: (e: LoopEvent) => void;
  /**
   * Called when the workloads of a newly applied commit do not become healthy (health-gated
   * roll-back: the image loop reverts the image update that caused it). Must not throw or block.
   */
  readonly onUnhealthy?: (rollout: UnhealthyRollout) => void;
}

/** A commit whose apply left workloads unhealthy. */
export interface UnhealthyRollout {
  readonly site: string;
  /** The commit applied. */
  readonly commit: string;
  /** The commit applied before it (what ran), if known. */
  readonly previousCommit?: string;
  /** The objects that failed their health check, with the pod state when there was one. */
  readonly failed: readonly ObjectHealth[];
  /** The images the commit deploys on the site. */
  readonly images: readonly ImageUse[];
}

/**
 * The GitOps loop of one site: follows a branch, and for every new commit synthesizes it in
 * isolation, refuses downgrades, applies only what changed (the apply engine), and records the
 * outcome in the cluster. Between commits it corrects drift on its own interval. A commit that
 * cannot be applied (fleet error, lock error, server rejection, downgrade) stalls the site on
 * that commit until a newer one arrives, leaving the last good state applied; faults (cluster,
 * Git, lease) are retried with exponential backoff and jitter.
 */
export class SiteReconciler {
  private readonly trigger: CoalescingTrigger<TriggerKind, RunOutcome>;
  private readonly pendingKinds = new Set<TriggerKind>();
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private lastApplied: string | undefined;
  private stalledCommit: string | undefined;
  private failures = 0;
  private lastOutcome: RunOutcome | undefined;
  /** The run in progress: what a run stuck on a fault (a datastore that does not answer) is doing. */
  private currentRun: { runId: string; startedAt: string; commit?: string } | undefined;
  private lastHead: string | undefined;
  private lastDryRunCommit: string | undefined;
  private firstRunDone = false;
  private suspended = false;
  private stopped = false;

  private readonly synthesizer: CommitSynthesizer;

  constructor(private readonly opts: SiteReconcilerOptions) {
    this.synthesizer =
      opts.synthesizer ??
      new CommitSynthesizer({ source: opts.source, site: opts.site, ...(opts.configPath ? { configPath: opts.configPath } : {}), ...(opts.fleetEnv ? { fleetEnv: opts.fleetEnv } : {}), ...(opts.synthPool ? { pool: opts.synthPool } : {}) });
    this.trigger = new CoalescingTrigger<TriggerKind, RunOutcome>({
      run: () => this.run(),
      onSettled: (o) => {
        // A run that threw past its own error handling (the cluster gone while writing status...)
        // is logged and retried like any fault, never lost silently.
        if (o.status !== 'failed') return;
        this.currentRun = undefined;
        this.failures += 1;
        this.firstRunDone = true;
        const log = this.opts.logger.child({ site: this.opts.site });
        log.error({ event: 'run-error', code: o.error instanceof FluxOpsError ? o.error.code : 'internal-error' }, errorMessage(o.error));
        this.scheduleRetry(log);
      },
    });
  }

  /** Reads the site's status (last applied commit), then checks now and on the intervals. */
  async start(): Promise<void> {
    const { status } = await readSiteStatus(this.opts.kube, this.opts.site);
    this.lastApplied = status.lastAppliedCommit;
    this.suspended = status.suspended;
    this.opts.metrics?.setSuspended?.(this.opts.site, this.suspended);
    this.timers.push(setInterval(() => void this.fire('poll'), this.opts.intervalMs ?? 60_000));
    this.timers.push(setInterval(() => void this.fire('drift'), this.opts.driftIntervalMs ?? 600_000));
    for (const t of this.timers) t.unref();
    void this.fire('start');
  }

  /** Requests a run (coalesced with any pending one); resolves when that run finished. */
  async fire(kind: TriggerKind): Promise<RunOutcome | undefined> {
    if (this.stopped) return undefined;
    this.pendingKinds.add(kind);
    const outcome = await this.trigger.fire(kind);
    return outcome.status === 'succeeded' ? outcome.result : undefined;
  }

  /** One run now (`fluxops reconcile --once`). */
  async runOnce(): Promise<RunOutcome> {
    const { status } = await readSiteStatus(this.opts.kube, this.opts.site);
    this.lastApplied = status.lastAppliedCommit;
    this.suspended = status.suspended;
    this.pendingKinds.add('manual');
    return this.run();
  }

  /** Stops the timers and waits for the current run. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.trigger.stop();
  }

  /** Ready once the first run finished (whatever its result: a stalled site is still a running reconciler). */
  ready(): { ready: boolean; reason?: string } {
    return this.firstRunDone ? { ready: true } : { ready: false, reason: 'first reconciliation not finished' };
  }

  /** What `/status` serves. */
  snapshot(): Record<string, unknown> {
    return {
      site: this.opts.site,
      repository: this.opts.source.url,
      branch: this.opts.source.branch,
      suspended: this.suspended,
      dryRun: !!this.opts.dryRun,
      lastHead: this.lastHead ?? null,
      lastAppliedCommit: this.lastApplied ?? null,
      stalledCommit: this.stalledCommit ?? null,
      consecutiveFailures: this.failures,
      currentRun: this.currentRun ? { runId: this.currentRun.runId, startedAt: this.currentRun.startedAt, commit: this.currentRun.commit ?? null } : null,
      trigger: this.trigger.state,
      lastRun: this.lastOutcome
        ? {
            runId: this.lastOutcome.runId,
            result: this.lastOutcome.result,
            commit: this.lastOutcome.commit ?? null,
            durationMs: this.lastOutcome.durationMs,
            summary: this.lastOutcome.changeSet ? summarizeChangeSet(this.lastOutcome.changeSet) : null,
            error: this.lastOutcome.error ? errorMessage(this.lastOutcome.error) : null,
          }
        : null,
    };
  }

  private async run(): Promise<RunOutcome> {
    const kinds = new Set(this.pendingKinds);
    this.pendingKinds.clear();
    const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const started = Date.now();
    const log = this.opts.logger.child({ site: this.opts.site, runId });
    this.currentRun = { runId, startedAt: new Date(started).toISOString() };
    const done = (o: Omit<RunOutcome, 'runId' | 'durationMs'>): RunOutcome => {
      const outcome = { ...o, runId, durationMs: Date.now() - started };
      this.currentRun = undefined;
      this.lastOutcome = outcome;
      this.firstRunDone = true;
      return outcome;
    };

    // Suspension is stored in the cluster, so `fluxops suspend` from anywhere stops this loop.
    const { status, object } = await readSiteStatus(this.opts.kube, this.opts.site);
    if (status.suspended !== this.suspended) {
      this.suspended = status.suspended;
      this.opts.metrics?.setSuspended?.(this.opts.site, this.suspended);
      log.info({ event: this.suspended ? 'suspended' : 'resumed' }, this.suspended ? 'site is suspended: not applying' : 'site resumed');
    }
    if (this.suspended) return done({ result: 'skipped' });
    if (status.lastAppliedCommit && status.lastAppliedCommit !== this.lastApplied) this.lastApplied = status.lastAppliedCommit;

    let head: string;
    const gitStarted = Date.now();
    try {
      head = await this.opts.source.head();
      this.opts.metrics?.recordGitCheck({ site: this.opts.site, result: head === this.lastHead ? 'unchanged' : 'changed', durationSeconds: (Date.now() - gitStarted) / 1000 });
      this.lastHead = head;
    } catch (err) {
      this.opts.metrics?.recordGitCheck({ site: this.opts.site, result: 'failure', durationSeconds: (Date.now() - gitStarted) / 1000 });
      return done(await this.failed(log, status, object, undefined, err, kinds));
    }

    if (!this.firstRunDone && !this.opts.dryRun && this.opts.onUnhealthy && head === this.lastApplied && status.conditions.find((c) => c.type === 'Ready')?.reason === 'HealthCheckFailed') {
      // The rollout of the applied commit failed before this process (re)started (a crash between
      // the health check and the roll-back): look again, so health-gated roll-back still happens.
      await this.recheckFailedRollout(log, head, status).catch((err: unknown) => log.warn({ event: 'rollout-recheck-failed', code: err instanceof FluxOpsError ? err.code : 'error' }, errorMessage(err)));
    }

    const drift = kinds.has('drift') || kinds.has('retry');
    const isNew = head !== this.lastApplied;
    if (this.opts.dryRun && head === this.lastDryRunCommit && !drift) return done({ result: 'unchanged', commit: head });
    if (!isNew && !drift && !kinds.has('manual')) return done({ result: 'unchanged', commit: head });
    if (isNew && head === this.stalledCommit && !kinds.has('manual')) {
      // Stalled on this commit: nothing to do until a newer one arrives (drift still corrected below).
      if (!drift || !this.lastApplied) return done({ result: 'stalled', commit: head });
    }
    const commit = isNew && (head !== this.stalledCommit || kinds.has('manual')) ? head : this.lastApplied!;
    const correcting = commit === this.lastApplied;
    this.currentRun = { runId, startedAt: new Date(started).toISOString(), commit };
    const clog = log.child({ commit });

    let current = status;
    let statusObject = object;
    if (!correcting && !this.opts.dryRun) {
      current = { ...current, lastAttemptedCommit: commit, conditions: setCondition(current.conditions, { type: 'Reconciling', status: 'True', reason: 'Progressing', message: `applying ${commit.slice(0, 12)}` }) };
      statusObject = await writeSiteStatus(this.opts.kube, current);
    }
    clog.info({ event: 'run-started', trigger: [...kinds].join(','), correcting }, correcting ? 'checking for drift' : `new commit ${commit.slice(0, 12)}`);

    try {
      this.prepareWorkspace(await this.synthesizer.configDir(commit));
      const synth = await this.synthesizer.synthesize(commit, 'strict');
      const siteSynth = synth.site(this.opts.site);
      refuseDowngrades(await findDowngrades(siteSynth.images, synth.policies, this.opts.site, (ref) => this.opts.kube.get(ref)));
      const apply = await applySite({
        site: this.opts.site,
        objects: siteSynth.objects.map((o) => o.manifest as unknown as KubeObject),
        kube: this.opts.kube,
        ...(this.opts.kubeconfig !== undefined ? { kubeconfig: this.opts.kubeconfig } : {}),
        ...(this.opts.context ? { context: this.opts.context } : {}),
        settings: this.opts.settings,
        workDir: this.opts.workDir,
        commit,
        identity: this.opts.identity,
        onLeaseWait: (holder) => clog.info({ event: 'lease-wait', holder }, `waiting: site is being applied by ${holder}`),
        health: { timeoutMs: this.opts.healthTimeoutMs ?? 300_000, timeoutsMs: rollbackTimeouts(siteSynth.images, synth.policies) },
        ...(this.opts.dryRun ? { dryRun: true } : {}),
      });
      this.failures = 0;
      const summary = summarizeChangeSet(apply.changeSet);
      const changed = apply.changeSet.entries.filter((e) => e.action !== 'unchanged');
      const failedHealth = apply.changeSet.entries.filter((e) => e.action === 'failed');
      this.opts.metrics?.recordReconcile({ site: this.opts.site, result: failedHealth.length > 0 ? 'failure' : 'success', durationSeconds: (Date.now() - started) / 1000, finishedAt: new Date(), objects: summary });
      if (this.opts.dryRun) {
        this.lastDryRunCommit = commit;
        clog.info({ event: 'dry-run', summary, changed: changed.map((c) => `${c.id} ${c.action}`) }, `dry run: would ${apply.pulumi === 'skipped' && changed.length === 0 ? 'change nothing' : formatSummary(apply.changeSet)}`);
        return done({ result: changed.length > 0 ? 'applied' : 'unchanged', commit, changeSet: apply.changeSet, apply });
      }
      if (correcting) {
        if (apply.pulumi === 'skipped') {
          clog.debug({ event: 'no-drift' }, 'no drift');
          return done({ result: 'unchanged', commit, changeSet: apply.changeSet, apply });
        }
        const objects = apply.diff.objects.filter((o) => o.action !== 'unchanged').map((o) => ({ id: o.id, fields: o.changes.map((c) => c.path) }));
        const message = `corrected drift of ${objects.length} object${objects.length === 1 ? '' : 's'}: ${objects.map((o) => `${o.id}${o.fields.length ? ` (${o.fields.join(', ')})` : ''}`).join('; ')}`;
        const record: RunRecord = { runId, trigger: [...kinds].join(','), commit, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, result: 'drift-corrected', summary, message };
        current = { ...current, lastChangeSet: summary, history: [record, ...current.history] };
        statusObject = await writeSiteStatus(this.opts.kube, current);
        await recordEvent(this.opts.kube, statusObject, { type: 'Normal', reason: 'DriftCorrected', message });
        this.opts.onEvent?.({ kind: 'drift.corrected', site: this.opts.site, commit, objects });
        clog.info({ event: 'drift-corrected', objects }, message);
        return done({ result: 'drift-corrected', commit, changeSet: apply.changeSet, apply });
      }
      const previousCommit = this.lastApplied;
      this.lastApplied = commit;
      this.stalledCommit = undefined;
      const healthy = failedHealth.length === 0;
      const message = healthy
        ? `applied ${commit.slice(0, 12)}: ${formatSummary(apply.changeSet)}`
        : `applied ${commit.slice(0, 12)}, but ${failedHealth.length} object${failedHealth.length === 1 ? ' is' : 's are'} not healthy: ${failedHealth.map((f) => `${f.id}: ${f.message}`).join('; ')}`;
      const record: RunRecord = { runId, trigger: [...kinds].join(','), commit, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, result: healthy ? 'applied' : 'failed', summary, message };
      current = {
        ...current,
        lastAppliedCommit: commit,
        lastAppliedAt: new Date().toISOString(),
        lastAttemptedCommit: commit,
        lastChangeSet: summary,
        conditions: setCondition(
          setCondition(setCondition(current.conditions, { type: 'Ready', status: healthy ? 'True' : 'False', reason: healthy ? 'ReconciliationSucceeded' : 'HealthCheckFailed', message }), {
            type: 'Reconciling',
            status: 'False',
            reason: 'Succeeded',
            message: `finished ${commit.slice(0, 12)}`,
          }),
          { type: 'Stalled', status: 'False', reason: 'Succeeded', message: '' },
        ),
        history: [record, ...current.history],
      };
      statusObject = await writeSiteStatus(this.opts.kube, current);
      await recordEvent(this.opts.kube, statusObject, { type: healthy ? 'Normal' : 'Warning', reason: healthy ? 'ReconciliationSucceeded' : 'HealthCheckFailed', message });
      if (healthy) this.opts.onEvent?.({ kind: 'reconcile.succeeded', site: this.opts.site, commit, summary, changed: changed.map((c) => c.id), durationMs: Date.now() - started });
      else this.opts.onEvent?.({ kind: 'reconcile.failed', site: this.opts.site, commit, reason: message, code: 'health-check-failed', stalled: false });
      clog.info({ event: healthy ? 'applied' : 'unhealthy', summary, pulumi: apply.pulumi, timings: apply.timings }, message);
      if (!healthy) {
        this.opts.onUnhealthy?.({
          site: this.opts.site,
          commit,
          ...(previousCommit && previousCommit !== commit ? { previousCommit } : {}),
          failed: apply.health.filter((h) => h.status === 'failed'),
          images: siteSynth.images,
        });
      }
      return done({ result: healthy ? 'applied' : 'failed', commit, changeSet: apply.changeSet, apply });
    } catch (err) {
      return done(await this.failed(clog, current, statusObject, commit, err, kinds));
    }
  }

  /**
   * Health of the image-carrying workloads of the applied commit, after a restart found its
   * rollout failed: what is still failing (each workload's roll-back timeout counted from the
   * apply) is handed to `onUnhealthy` with the commit applied before it (from the history).
   */
  private async recheckFailedRollout(log: Logger, commit: string, status: SiteStatus): Promise<void> {
    const synth = await this.synthesizer.synthesize(commit, 'strict');
    const siteSynth = synth.site(this.opts.site);
    const appliedAt = status.lastAppliedAt ? Date.parse(status.lastAppliedAt) : Date.now();
    const timeouts = rollbackTimeouts(siteSynth.images, synth.policies);
    const refs = new Map<string, ObjectRef>();
    for (const ref of siteSynth.images.map(workloadRef)) refs.set(refId(ref), ref);
    const remaining: Record<string, number> = {};
    for (const id of refs.keys()) remaining[id] = Math.max(0, appliedAt + (timeouts[id] ?? this.opts.healthTimeoutMs ?? 300_000) - Date.now());
    const failed = (await waitForHealth(this.opts.kube, [...refs.values()], { timeoutsMs: remaining })).filter((h) => h.status === 'failed');
    const previousCommit = status.history.find((r) => r.commit && r.commit !== commit && r.result === 'applied')?.commit;
    log.info({ event: 'rollout-rechecked', commit, failed: failed.map((f) => f.id) }, failed.length ? `the rollout of ${commit.slice(0, 12)} is still failing: ${failed.map((f) => f.id).join(', ')}` : `the rollout of ${commit.slice(0, 12)} is healthy now`);
    if (failed.length === 0) return;
    this.opts.onUnhealthy?.({ site: this.opts.site, commit, ...(previousCommit ? { previousCommit } : {}), failed, images: siteSynth.images });
  }

  /** Records a failed run: a deterministic failure stalls the commit; a fault is retried with backoff. */
  private async failed(log: Logger, status: SiteStatus, object: KubeObject | undefined, commit: string | undefined, err: unknown, kinds: Set<TriggerKind>): Promise<Omit<RunOutcome, 'runId' | 'durationMs'>> {
    const stalled = commit !== undefined && isDeterministic(err);
    const code = err instanceof FluxOpsError ? err.code : 'internal-error';
    const message = errorMessage(err);
    this.opts.metrics?.recordReconcile({ site: this.opts.site, result: 'failure', durationSeconds: 0, finishedAt: new Date() });
    if (stalled) {
      this.stalledCommit = commit;
    } else {
      this.failures += 1;
      this.scheduleRetry(log);
    }
    log.error({ event: stalled ? 'stalled' : 'failed', code, consecutiveFailures: this.failures }, message);
    if (this.opts.dryRun) return { result: stalled ? 'stalled' : 'failed', ...(commit ? { commit } : {}), error: err instanceof Error ? err : new Error(message) };
    const reason = stalled ? reasonOf(err) : 'ReconciliationFailed';
    const record: RunRecord = { runId: 'n/a', trigger: [...kinds].join(','), ...(commit ? { commit } : {}), startedAt: new Date().toISOString(), durationMs: 0, result: stalled ? 'stalled' : 'failed', message: message.slice(0, 2000) };
    let conditions = setCondition(status.conditions, { type: 'Ready', status: 'False', reason, message: message.slice(0, 2000) });
    conditions = setCondition(conditions, { type: 'Reconciling', status: 'False', reason: stalled ? 'Stalled' : 'RetryScheduled', message: stalled ? 'waiting for a newer commit' : `retrying with backoff (failure ${this.failures})` });
    conditions = setCondition(conditions, { type: 'Stalled', status: stalled ? 'True' : 'False', reason, message: stalled ? message.slice(0, 2000) : '' });
    try {
      const written = await writeSiteStatus(this.opts.kube, { ...status, ...(commit ? { lastAttemptedCommit: commit } : {}), conditions, history: [record, ...status.history] });
      await recordEvent(this.opts.kube, written ?? object, { type: 'Warning', reason, message });
    } catch (statusErr) {
      // The cluster may be what failed; the run's outcome stands, the status is written next time.
      log.warn({ event: 'status-write-failed', code: statusErr instanceof FluxOpsError ? statusErr.code : 'error' }, errorMessage(statusErr));
    }
    this.opts.onEvent?.({ kind: 'reconcile.failed', site: this.opts.site, ...(commit ? { commit } : {}), reason: message, code, stalled });
    return { result: stalled ? 'stalled' : 'failed', ...(commit ? { commit } : {}), error: err instanceof Error ? err : new Error(message) };
  }

  private scheduleRetry(log: Logger): void {
    if (this.stopped) return;
    const { baseMs, capMs } = this.opts.backoff ?? { baseMs: 5_000, capMs: 300_000 };
    const exp = Math.min(capMs, baseMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = Math.round(exp / 2 + (this.opts.random ?? Math.random)() * (exp / 2));
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.fire('retry'), delay);
    this.retryTimer.unref();
    log.info({ event: 'retry-scheduled', inMs: delay }, `retrying in ${Math.round(delay / 1000)} s`);
  }

  /** Stack settings committed in the repository (Pulumi.yaml, Pulumi.<site>.yaml) are the site's. */
  private prepareWorkspace(configDir: string): void {
    checkStackSettingsFiles(configDir, this.opts.site);
    fs.mkdirSync(this.opts.workDir, { recursive: true, mode: 0o700 });
    for (const name of ['Pulumi.yaml', `Pulumi.${this.opts.site}.yaml`]) {
      const from = path.join(configDir, name);
      if (!fs.existsSync(from)) continue;
      const to = path.join(this.opts.workDir, name);
      if (name === 'Pulumi.yaml') fs.writeFileSync(to, withoutProgramPath(fs.readFileSync(from, 'utf8')));
      else fs.copyFileSync(from, to);
    }
  }
}

/**
 * Health timeouts of the workloads whose image policy has roll-back on: the policy's timeout
 * (the shortest, when a workload runs images of several policies).
 */
function rollbackTimeouts(images: readonly ImageUse[], policies: readonly PolicyData[]): Record<string, number> {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const out: Record<string, number> = {};
  for (const use of images) {
    const rollback = byName.get(use.policy)?.rollback;
    if (rollback === false) continue;
    const ms = rollback?.timeoutMs ?? 300_000;
    const id = refId(workloadRef(use));
    out[id] = Math.min(out[id] ?? ms, ms);
  }
  return out;
}

/** Failures that retrying the same commit cannot fix: the commit itself is the problem. */
function isDeterministic(err: unknown): boolean {
  return err instanceof SynthesisError || err instanceof DryRunRejectedError || err instanceof DowngradeRefusedError || err instanceof ImageLockError || err instanceof StackSettingsError;
}

function reasonOf(err: unknown): string {
  if (err instanceof SynthesisError) return err.kind === 'invalid-lock' ? 'InvalidLock' : 'SynthesisFailed';
  if (err instanceof DryRunRejectedError) return 'InvalidManifest';
  if (err instanceof DowngradeRefusedError) return 'DowngradeRefused';
  if (err instanceof ImageLockError) return 'InvalidLock';
  if (err instanceof StackSettingsError) return 'InvalidStackSettings';
  return 'ReconciliationFailed';
}
