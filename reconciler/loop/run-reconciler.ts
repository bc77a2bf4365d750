import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import pino, { type Logger } from 'pino';

import { requirePassphrase, resolvePulumiSettings, type PulumiSettings } from '../../stacks/pulumi-env';
import { KubeClient } from '../cluster/kube-client';
import { createGitPushReceiver, gitPushRoute } from '../source/webhook';
import { healthRoutes } from '../status/health-routes';
import { startHttpServer, type RunningHttpServer } from '../status/http-server';
import { ReconcilerMetrics } from '../status/metrics';
import { metricsRoute } from '../status/metrics-route';
import { ReconcileConfigError, parseDuration, readSecretFile, type ReconcileConfig } from './reconcile-config';
import { SiteReconciler, type ConfigSource, type LoopEvent, type RunOutcome } from './site-reconciler';
import { ImageAutomationLoop, type ImageLoopEvent } from './image-loop';
import { SynthPool } from '../synth';
import { CommitSynthesizer } from './commit-synthesizer';
import { NotificationHub } from './notification-hub';
import { gitAuthOf } from './source-factory';
import { RegistryClient, parseDockerConfigText } from '../images/registry';
import { createRegistryPushReceiver, imagePushMatches, registryPushRoute } from '../images/notifications';

/** Builds the Git side of the loop from the settings (the reconciler's own cache under the state directory). */
export type ConfigSourceFactory = (cfg: ReconcileConfig, cacheDir: string, log: Logger) => Promise<ConfigSource>;

/** A running reconciler process: the loop, its HTTP server, and how to stop both. */
export interface RunningReconciler {
  readonly reconciler: SiteReconciler;
  /** The image automation loop, unless disabled. */
  readonly images?: ImageAutomationLoop;
  readonly server?: RunningHttpServer;
  readonly metrics: ReconcilerMetrics;
  stop(): Promise<void>;
}

/** Options of {@link startReconciler}. */
export interface StartReconcilerOptions {
  readonly config: ReconcileConfig;
  readonly sourceFactory: ConfigSourceFactory;
  /** @default JSON lines on stdout */
  readonly logger?: Logger;
  /** @default resolved from the config and environment */
  readonly settings?: PulumiSettings;
  /** Serve HTTP (health, status, metrics, webhooks). @default true */
  readonly serve?: boolean;
  readonly onEvent?: (e: LoopEvent | ImageLoopEvent) => void;
  /** Registry client (tests inject one with their own credentials or retries). @default from `images.registryAuthFile` */
  readonly registry?: RegistryClient;
}

/**
 * The reconciler process: one site, one config repository. Wires the loop to the cluster, the
 * Pulumi settings, the Git source, the HTTP server (`/healthz`, `/readyz`, `/status`,
 * `/metrics`, push webhooks) and JSON logs, then starts it.
 */
export async function startReconciler(opts: StartReconcilerOptions): Promise<RunningReconciler> {
  const { cfg, logger, settings, kubeconfigContents, kube } = await connectSite(opts);
  const metrics = new ReconcilerMetrics();
  metrics.initSite?.(cfg.site);
  // One synthesis child waits, loaded, for the next commit (the loops share it).
  const synthPool = new SynthPool({ fleetEnv: cfg.fleetEnv });
  synthPool.refill();
  const source = await opts.sourceFactory(cfg, path.join(settings.stateDir, 'git'), logger);
  const workDir = path.join(settings.stateDir, 'workspaces', cfg.site);
  const hub = new NotificationHub({ site: cfg.site, repository: source.url, branch: cfg.repository.branch, settings, workDir, logger, registry: metrics.registry });
  const onEvent = (e: LoopEvent | ImageLoopEvent) => {
    hub.emit(e);
    opts.onEvent?.(e);
  };
  const synthesizer = new CommitSynthesizer({
    source,
    site: cfg.site,
    configPath: cfg.repository.path,
    fleetEnv: cfg.fleetEnv,
    pool: synthPool,
    // The Alerts of the newest commit are the ones in force.
    onSynthesized: (_commit, result) => hub.useAlerts(result.alerts),
  });
  const reconciler = new SiteReconciler({
    ...siteOptions({ cfg, logger, settings, kubeconfigContents, kube }, source),
    intervalMs: parseDuration(cfg.interval, 'interval', 'settings'),
    driftIntervalMs: parseDuration(cfg.driftInterval, 'driftInterval', 'settings'),
    metrics,
    synthesizer,
    onEvent,
    // Health-gated roll-back: the image loop (it holds the Git credentials) reverts the update.
    onUnhealthy: (rollout) => void images?.rollBack(rollout),
  });

  let images: ImageAutomationLoop | undefined;
  if (cfg.images.enabled) {
    const credentials = cfg.images.registryAuthFile ? parseDockerConfigText(fs.readFileSync(cfg.images.registryAuthFile, 'utf8'), cfg.images.registryAuthFile) : undefined;
    images = new ImageAutomationLoop({
      site: cfg.site,
      source,
      repoUrl: cfg.repository.url,
      auth: gitAuthOf(cfg),
      configPath: cfg.repository.path,
      registry: opts.registry ?? new RegistryClient(credentials ? { credentials } : {}),
      dryRun: cfg.dryRun,
      fleetEnv: cfg.fleetEnv,
      synthesizer,
      logger,
      metrics,
      workDir: path.join(settings.stateDir, 'write-back'),
      // The site loop looks at the commit that was just pushed, at once.
      onPushed: () => void reconciler.fire('webhook'),
      onEvent,
    });
  }

  let server: RunningHttpServer | undefined;
  if (opts.serve ?? true) {
    const [host, portText] = splitListen(cfg.listen);
    const routes = [
      ...healthRoutes({ ready: () => reconciler.ready(), status: () => ({ ...reconciler.snapshot(), images: images?.snapshot() ?? null }) }),
      metricsRoute(metrics),
    ];
    if (cfg.webhook) {
      const secret = readSecretFile(cfg.webhook.secretFile, 'webhook.secretFile');
      const receiver = createGitPushReceiver({ provider: cfg.webhook.provider, secret, repositoryUrl: cfg.repository.url, branch: cfg.repository.branch });
      routes.push(
        gitPushRoute(receiver, {
          // A push only says "look now": the loop reads the branch head itself, never the payload's commit.
          onPush: (e) => {
            logger.info({ event: 'webhook', provider: e.provider, commit: e.commit }, 'push received');
            void reconciler.fire('webhook');
          },
          onDecision: (d) => {
            if (d.kind === 'ignored') logger.info({ event: 'webhook-ignored', reason: d.reason }, `webhook ignored: ${d.detail}`);
            if (d.kind === 'rejected') logger.warn({ event: 'webhook-rejected', code: d.error.code }, `webhook rejected: ${d.error.message}`);
          },
        }),
      );
    }
    if (images && cfg.images.webhook) {
      const receiver = createRegistryPushReceiver({ provider: cfg.images.webhook.provider, secret: readSecretFile(cfg.images.webhook.secretFile, 'images.webhook.secretFile') });
      const loop = images;
      routes.push(
        registryPushRoute(receiver, {
          // A push names a repository: scan the policies that follow it, now.
          onPush: (events) => {
            const policies = loop.repositories().filter((r) => events.some((e) => imagePushMatches(e, r.image))).flatMap((r) => r.policies);
            logger.info({ event: 'registry-push', repositories: events.map((e) => e.repository), policies }, `registry push received${policies.length ? `: scanning ${policies.join(', ')}` : ''}`);
            if (policies.length > 0) void loop.fire(policies);
          },
        }),
      );
    }
    server = await startHttpServer({ host, port: Number(portText), routes });
    logger.info({ event: 'listening', url: server.url }, `serving /healthz /readyz /status /metrics${cfg.webhook ? ` /hooks/git/${cfg.webhook.provider}` : ''} on ${server.url}`);
  }
  await reconciler.start();
  images?.start(parseDuration(cfg.images.interval, 'images.interval', 'settings'));
  return {
    reconciler,
    ...(images ? { images } : {}),
    ...(server ? { server } : {}),
    metrics,
    async stop() {
      await images?.stop();
      await reconciler.stop();
      synthPool.close();
      await hub.close();
      await server?.close();
      kube.close();
    },
  };
}

/** One reconciliation, for `fluxops reconcile --once`. */
export async function reconcileOnce(opts: Omit<StartReconcilerOptions, 'serve'>): Promise<RunOutcome> {
  const { cfg, logger, settings, kubeconfigContents, kube } = await connectSite(opts);
  try {
    const source = await opts.sourceFactory(cfg, path.join(settings.stateDir, 'git'), logger);
    const reconciler = new SiteReconciler({
      ...siteOptions({ cfg, logger, settings, kubeconfigContents, kube }, source),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
    return await reconciler.runOnce();
  } finally {
    kube.close();
  }
}

/** What both entry points set up first: settings, logger, Pulumi settings (passphrase checked), the cluster client. */
async function connectSite(opts: Omit<StartReconcilerOptions, 'serve'>) {
  const cfg = opts.config;
  const logger = opts.logger ?? pino({ base: { site: cfg.site }, level: cfg.logLevel, timestamp: pino.stdTimeFunctions.isoTime });
  const settings = opts.settings ?? resolvePulumiSettings({ ...(cfg.stateDir ? { stateDir: cfg.stateDir } : {}) });
  if (!cfg.dryRun) requirePassphrase(settings);
  const kubeconfigContents = cfg.kubeconfig ? fs.readFileSync(cfg.kubeconfig, 'utf8') : undefined;
  const kube = await KubeClient.connect({ ...(kubeconfigContents !== undefined ? { kubeconfigContents } : {}), ...(cfg.context ? { context: cfg.context } : {}) });
  return { cfg, logger, settings, kubeconfigContents, kube };
}

/** The SiteReconciler options both entry points share. */
function siteOptions(c: Awaited<ReturnType<typeof connectSite>>, source: ConfigSource) {
  const { cfg, settings } = c;
  return {
    site: cfg.site,
    source,
    configPath: cfg.repository.path,
    kube: c.kube,
    ...(c.kubeconfigContents !== undefined ? { kubeconfig: c.kubeconfigContents } : {}),
    ...(cfg.context ? { context: cfg.context } : {}),
    settings,
    workDir: path.join(settings.stateDir, 'workspaces', cfg.site),
    identity: reconcilerIdentity(settings.stateDir, cfg.site),
    dryRun: cfg.dryRun,
    healthTimeoutMs: parseDuration(cfg.healthTimeout, 'healthTimeout', 'settings'),
    logger: c.logger,
    fleetEnv: cfg.fleetEnv,
  };
}

/**
 * A stable identity for this reconciler instance (`reconciler/<host>/<site>-<id>`), kept in its
 * state directory: a restarted reconciler is the same holder of the site's lease and takes it
 * back at once instead of waiting for it to expire.
 */
export function reconcilerIdentity(stateDir: string, site: string): string {
  const file = path.join(stateDir, `identity-${site}`);
  let id: string;
  try {
    id = fs.readFileSync(file, 'utf8').trim();
  } catch {
    id = randomBytes(6).toString('hex');
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${id}\n`, { mode: 0o600 });
  }
  return `reconciler/${os.hostname()}/${site}-${id}`;
}

function splitListen(listen: string): [string, string] {
  const i = listen.lastIndexOf(':');
  if (i <= 0) throw new ReconcileConfigError('settings', 'listen', `${JSON.stringify(listen)} must be host:port (for example 127.0.0.1:9797)`);
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), listen.slice(i + 1)];
}

export { readSecretFile } from './reconcile-config';
