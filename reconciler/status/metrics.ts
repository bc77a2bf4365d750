import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WebhookDecision } from '../http';

/**
 * The reconciler's Prometheus metrics, on a registry of their own (never prom-client's global
 * one, so tests and several reconcilers in one process do not share series). Every series carries
 * a `site` label; the loop records from small result objects through the typed helpers below.
 */

/** What happened to one object in a run (Flux's change-set actions, plus `failed`). */
export type ObjectAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped' | 'failed';

/** Every {@link ObjectAction}. */
export const OBJECT_ACTIONS: readonly ObjectAction[] = ['created', 'configured', 'unchanged', 'deleted', 'skipped', 'failed'];

/** A finished reconcile run, as the loop reports it. */
export interface ReconcileRunRecord {
  readonly site: string;
  readonly result: 'success' | 'failure';
  /** Wall time of the run, measured with a monotonic clock. */
  readonly durationSeconds: number;
  /** When the run ended; a successful run sets the last-success timestamp to it. */
  readonly finishedAt: Date;
  /** Objects per action (see {@link countObjectActions}). @default none */
  readonly objects?: Readonly<Partial<Record<ObjectAction, number>>>;
}

/** One check of the Git source for a new commit. */
export interface GitCheckRecord {
  readonly site: string;
  readonly result: 'changed' | 'unchanged' | 'failure';
  readonly durationSeconds: number;
}

/** One scan of an image repository and the policy decision that followed. */
export interface ImageScanRecord {
  readonly site: string;
  readonly result: 'success' | 'failure';
  /** Tags written to the lock by this scan. @default 0 */
  readonly tagsChosen?: number;
  /**
   * Tags the policy refused, by reason code (a small fixed set such as `platform-missing`,
   * `downgrade`, `held`: the reason becomes a label value, so never put free text here).
   */
  readonly tagsRefused?: Readonly<Record<string, number>>;
}

/** Options for {@link ReconcilerMetrics}. */
export interface ReconcilerMetricsOptions {
  /** Also export Node process metrics (CPU, memory, event loop lag, GC) as `fluxops_process_*` / `fluxops_nodejs_*`. @default true */
  readonly processMetrics?: boolean;
  /** Sites whose series are created at zero right away, so rates and alerts work before the first run. @default none */
  readonly sites?: readonly string[];
}

const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const GIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The metric registry of one reconciler process, with typed recording helpers. */
export class ReconcilerMetrics {
  /** The prom-client registry holding every series below (scrape it with {@link metrics}). */
  readonly registry: Registry;
  private readonly reconcileDuration: Histogram<'site' | 'result'>;
  private readonly reconcileRuns: Counter<'site' | 'result'>;
  private readonly objects: Counter<'site' | 'action'>;
  private readonly lastSuccess: Gauge<'site'>;
  private readonly gitCheckDuration: Histogram<'site' | 'result'>;
  private readonly suspended: Gauge<'site'>;
  private readonly imageScans: Counter<'site' | 'result'>;
  private readonly tagsChosen: Counter<'site'>;
  private readonly tagsRefused: Counter<'site' | 'reason'>;
  private readonly webhooks: Counter<'site' | 'source' | 'provider' | 'result'>;
  private readonly knownSites = new Set<string>();

  constructor(opts: ReconcilerMetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    const registers = [registry];
    this.reconcileDuration = new Histogram({
      name: 'fluxops_reconcile_duration_seconds',
      help: 'Duration of reconcile runs (git -> synth -> diff -> apply), by result.',
      labelNames: ['site', 'result'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.reconcileRuns = new Counter({ name: 'fluxops_reconcile_runs_total', help: 'Reconcile runs, by result.', labelNames: ['site', 'result'], registers });
    this.objects = new Counter({
      name: 'fluxops_reconcile_objects_total',
      help: 'Objects handled by reconcile runs, by action (created, configured, unchanged, deleted, skipped, failed).',
      labelNames: ['site', 'action'],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'fluxops_reconcile_last_success_timestamp_seconds',
      help: 'Unix time at which the last successful reconcile run finished.',
      labelNames: ['site'],
      registers,
    });
    this.gitCheckDuration = new Histogram({
      name: 'fluxops_git_check_duration_seconds',
      help: 'Duration of checks of the Git source for a new commit, by result (changed, unchanged, failure).',
      labelNames: ['site', 'result'],
      buckets: GIT_BUCKETS,
      registers,
    });
    this.suspended = new Gauge({ name: 'fluxops_suspended', help: '1 while reconciliation of the site is suspended, else 0.', labelNames: ['site'], registers });
    this.imageScans = new Counter({ name: 'fluxops_image_scans_total', help: 'Image repository scans, by result.', labelNames: ['site', 'result'], registers });
    this.tagsChosen = new Counter({ name: 'fluxops_image_tags_chosen_total', help: 'Image tags chosen by a policy and written to the lock.', labelNames: ['site'], registers });
    this.tagsRefused = new Counter({
      name: 'fluxops_image_tags_refused_total',
      help: 'Image tags a policy refused, by reason.',
      labelNames: ['site', 'reason'],
      registers,
    });
    this.webhooks = new Counter({
      name: 'fluxops_webhook_deliveries_total',
      help: 'Webhook deliveries, by source (git, registry), provider and result (accepted, ignored, rejected).',
      labelNames: ['site', 'source', 'provider', 'result'],
      registers,
    });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'fluxops_' });
    for (const site of opts.sites ?? []) this.initSite(site);
  }

  /** The Prometheus text exposition of every series. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` of {@link metrics}' output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Records a finished reconcile run: duration, result, objects per action and, on success, the last-success time. */
  recordReconcile(run: ReconcileRunRecord): void {
    this.initSite(run.site);
    const labels = { site: run.site, result: run.result };
    this.reconcileDuration.observe(labels, nonNegative(run.durationSeconds));
    this.reconcileRuns.inc(labels);
    for (const action of OBJECT_ACTIONS) {
      const n = run.objects?.[action] ?? 0;
      if (n > 0) this.objects.inc({ site: run.site, action }, n);
    }
    if (run.result === 'success') this.lastSuccess.set({ site: run.site }, run.finishedAt.getTime() / 1000);
  }

  /** Records one check of the Git source. */
  recordGitCheck(check: GitCheckRecord): void {
    this.initSite(check.site);
    this.gitCheckDuration.observe({ site: check.site, result: check.result }, nonNegative(check.durationSeconds));
  }

  /** Sets whether reconciliation of `site` is suspended. */
  setSuspended(site: string, suspended: boolean): void {
    this.initSite(site);
    this.suspended.set({ site }, suspended ? 1 : 0);
  }

  /** Records one image scan with the tags chosen and refused. */
  recordImageScan(scan: ImageScanRecord): void {
    this.initSite(scan.site);
    this.imageScans.inc({ site: scan.site, result: scan.result });
    if ((scan.tagsChosen ?? 0) > 0) this.tagsChosen.inc({ site: scan.site }, scan.tagsChosen);
    for (const [reason, n] of Object.entries(scan.tagsRefused ?? {})) if (n > 0) this.tagsRefused.inc({ site: scan.site, reason }, n);
  }

  /** Counts one webhook decision (`source`: git push or registry notification). */
  recordWebhook(site: string, source: 'git' | 'registry', decision: WebhookDecision<unknown>): void {
    this.webhooks.inc({ site, source, provider: decision.provider, result: decision.kind });
  }

  /** Creates the site's series at zero (done automatically on its first record). */
  initSite(site: string): void {
    if (this.knownSites.has(site)) return;
    this.knownSites.add(site);
    for (const result of ['success', 'failure']) this.reconcileRuns.inc({ site, result }, 0);
    for (const action of OBJECT_ACTIONS) this.objects.inc({ site, action }, 0);
    for (const result of ['success', 'failure']) this.imageScans.inc({ site, result }, 0);
    this.tagsChosen.inc({ site }, 0);
    this.suspended.set({ site }, 0);
  }
}

/** Counts a change set (`{ action }` per object) per action; unknown actions are not counted. */
export function countObjectActions(changes: Iterable<{ readonly action: string }>): Partial<Record<ObjectAction, number>> {
  const counts: Partial<Record<ObjectAction, number>> = {};
  for (const { action } of changes) {
    if ((OBJECT_ACTIONS as readonly string[]).includes(action)) {
      const a = action as ObjectAction;
      counts[a] = (counts[a] ?? 0) + 1;
    }
  }
  return counts;
}

function nonNegative(seconds: number): number {
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}
