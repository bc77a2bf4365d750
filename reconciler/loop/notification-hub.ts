import { createHash } from 'node:crypto';

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

import { alertSpecsForSite, type AlertSpec } from '../../constructs';
import { errorMessage } from '../../errors';
import { readAlertsConfig, type AlertsConfig } from '../../stacks/alerts-config';
import type { PulumiSettings } from '../../stacks/pulumi-env';
import { openSiteStack } from '../../stacks/workspace';
import { createEvent, createNotifier, type EventInput, type FluxOpsEvent, type Notifier } from '../notify';
import type { ImageLoopEvent } from './image-loop';
import type { LoopEvent } from './site-reconciler';
import { stackConfigHash } from '../deploy/apply-site';

/** Options of {@link NotificationHub}. */
export interface NotificationHubOptions {
  readonly site: string;
  readonly fleet?: string;
  readonly repository: string;
  readonly branch: string;
  readonly settings: PulumiSettings;
  /** The site's Pulumi workspace (its stack settings hold `fluxops:alerts`). */
  readonly workDir: string;
  readonly logger: Logger;
  readonly registry?: Registry;
}

/**
 * Turns the loops' events into notifications for the fleet's Alerts. The alerts come from the
 * synthesis of the commit being applied (so a commit that adds an Alert starts using it), their
 * secrets (webhook URLs, HMAC keys, forge tokens) from the site's stack settings, read through
 * Pulumi when they change. Never blocks or fails a run: delivery is the notifier's, in the
 * background; a notifier that cannot be built is logged and events wait for the next one.
 */
export class NotificationHub {
  private notifier: Notifier | undefined;
  private alertsKey = '';
  private secrets: { hash: string; config: AlertsConfig } | undefined;
  private updating: Promise<void> = Promise.resolve();

  constructor(private readonly opts: NotificationHubOptions) {}

  /** Uses these alerts from now on (rebuilding the notifier when they or their secrets changed). */
  useAlerts(alerts: readonly AlertSpec[]): void {
    this.updating = this.updating.then(() => this.rebuild(alertSpecsForSite(alerts, this.opts.site))).catch((err: unknown) => {
      this.opts.logger.warn({ site: this.opts.site, event: 'notifier-unavailable' }, `notifications are off until the next commit: ${errorMessage(err)}`);
    });
  }

  /** Sends a loop event to the alerts that want it (returns at once). */
  emit(e: LoopEvent | ImageLoopEvent): void {
    const event = this.toEvent(e);
    if (!event) return;
    void this.updating.then(() => this.notifier?.notify(event));
  }

  /** Delivers what is queued (up to `drainMs`) and stops. */
  async close(drainMs = 5000): Promise<void> {
    await this.updating;
    await this.notifier?.close({ drainMs });
  }

  private async rebuild(alerts: AlertSpec[]): Promise<void> {
    const key = createHash('sha256').update(JSON.stringify(alerts)).digest('hex');
    const hash = stackConfigHash(this.opts.workDir, this.opts.site);
    if (key === this.alertsKey && this.secrets?.hash === hash) return;
    if (alerts.length === 0) {
      await this.notifier?.close({ drainMs: 5000 });
      this.notifier = undefined;
      this.alertsKey = key;
      return;
    }
    if (this.secrets?.hash !== hash) {
      const stack = await openSiteStack({ site: this.opts.site, settings: this.opts.settings, workDir: this.opts.workDir, program: async () => ({}) });
      this.secrets = { hash, config: await readAlertsConfig(stack) };
    }
    const next = createNotifier({
      alerts,
      secrets: this.secrets!.config.secrets,
      plaintextKeys: this.secrets!.config.plaintextKeys,
      logger: { warn: (fields, message) => this.opts.logger.warn({ site: this.opts.site, ...fields }, message) },
      ...(this.opts.registry ? { registry: this.opts.registry } : {}),
    });
    const previous = this.notifier;
    this.notifier = next;
    this.alertsKey = key;
    await previous?.close({ drainMs: 5000 });
  }

  private toEvent(e: LoopEvent | ImageLoopEvent): FluxOpsEvent | undefined {
    const commit = (sha: string) => ({ sha, repository: this.opts.repository, branch: this.opts.branch });
    const base = this.opts.fleet ? { fleet: this.opts.fleet } : {};
    let input: EventInput;
    switch (e.kind) {
      case 'reconcile.succeeded':
        input = {
          ...base,
          kind: 'reconcile.succeeded',
          site: e.site,
          commit: commit(e.commit),
          summary: { created: e.summary.created ?? 0, configured: e.summary.configured ?? 0, deleted: e.summary.deleted ?? 0, unchanged: e.summary.unchanged ?? 0 },
          changed: e.changed.map((id) => ({ id, action: 'configured' as const })),
          durationMs: e.durationMs,
        };
        break;
      case 'reconcile.failed':
        input = { ...base, kind: 'reconcile.failed', site: e.site, ...(e.commit ? { commit: commit(e.commit) } : {}), reason: e.reason.slice(0, 2000), errorCode: e.code, stalled: e.stalled };
        break;
      case 'drift.corrected':
        input = { ...base, kind: 'drift.corrected', site: e.site, commit: commit(e.commit), corrected: e.objects.map((o) => ({ id: o.id, fields: [...o.fields] })) };
        break;
      case 'image.updated':
        input = { ...base, kind: 'image.updated', policy: e.policy, image: e.repository, site: this.opts.site, ...(e.from ? { from: e.from } : {}), to: e.to, commit: commit(e.commit) };
        break;
      case 'image.refused':
        input = { ...base, kind: 'image.refused', policy: e.policy, site: this.opts.site, tag: e.tag, reasonCode: e.code, reason: e.message };
        break;
      case 'image.rolledback': {
        const pod = e.pod;
        input = {
          ...base,
          kind: 'image.rolledback',
          policy: e.policy,
          image: e.repository,
          site: e.site ?? this.opts.site,
          badTag: e.bad,
          restoredTag: e.restored,
          podState: pod
            ? { ...(pod.pod ? { pod: pod.pod } : {}), container: pod.container, reason: pod.reason, ...(pod.message ? { message: pod.message.slice(0, 4000) } : {}), ...(pod.restarts !== undefined ? { restarts: pod.restarts } : {}) }
            : { reason: e.reason.replace(/\s+/g, ' ').slice(0, 2000) },
          commit: commit(e.commit),
        };
        break;
      }
      default:
        return undefined;
    }
    try {
      return createEvent(input);
    } catch (err) {
      this.opts.logger.warn({ site: this.opts.site, event: 'notification-invalid' }, errorMessage(err));
      return undefined;
    }
  }
}
