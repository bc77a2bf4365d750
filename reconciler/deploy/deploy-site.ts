import * as fs from 'node:fs';

import type { ChangeSet } from '../../stacks/change-set';
import { requirePassphrase, type PulumiSettings } from '../../stacks/pulumi-env';
import { runStack } from '../../stacks/run-stack';
import type { KubeObject as StackObject } from '../../stacks/site-stack';
import { openSiteStack, siteProgram, siteWorkDir } from '../../stacks/workspace';
import { KubeClient, type KubeObject } from '../cluster/kube-client';
import { synthesizeIsolated, type IsolatedSynthResult } from '../synth';
import type { SiteSynthData } from '../synth/protocol';
import { applySite, type ApplySiteResult } from './apply-site';
import { findDowngrades, refuseDowngrades, type Downgrade } from './no-downgrade';
import { acquireSiteLease } from './site-lease';

/** What to do with a site. */
export type SiteOperation = 'up' | 'preview' | 'destroy';

/** Options of {@link deploySite}. */
export interface DeploySiteOptions {
  readonly operation: SiteOperation;
  /** Config repository checkout. */
  readonly configDir: string;
  /** Site (= stack). @default the fleet's only site */
  readonly site?: string;
  /** Repository URL and commit, for messages. */
  readonly repo?: string;
  readonly commit?: string;
  /** Kubeconfig file of the site's cluster. @default $KUBECONFIG / ~/.kube/config */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly settings: PulumiSettings;
  /** Register every object with Pulumi (resynchronise its state). @default only when needed */
  readonly full?: boolean;
  /** Wait for health. @default { timeoutMs: 300000 } */
  readonly health?: false | { readonly timeoutMs?: number };
  readonly onOutput?: (text: string) => void;
  /** Told who holds the site while waiting for its lease. */
  readonly onLeaseWait?: (holder: string) => void;
  /** Lease identity. @default this process */
  readonly identity?: string;
  /** Extra `FLEET_*` variables for the fleet code. */
  readonly fleetEnv?: Readonly<Record<string, string>>;
}

/** The outcome of {@link deploySite}. */
export interface DeploySiteResult {
  readonly site: string;
  readonly synth: IsolatedSynthResult;
  readonly siteSynth: SiteSynthData;
  /** Downgrades found; only allowed ones (holds, policies allowing downgrades) reach this point. */
  readonly downgrades: readonly Downgrade[];
  readonly changeSet: ChangeSet;
  /** The apply engine's report (up and preview). */
  readonly apply?: ApplySiteResult;
}

/**
 * Deploys (or previews, or destroys) one site from a config repository: isolated synthesis with
 * a strict lock, refusal of downgrades against what the site runs now, then the apply engine
 * (live diff, Pulumi only for what changed, health). Every failure is a typed error and applies
 * nothing of the commit. `preview` is the live diff: no lease, no Pulumi, no write.
 */
export async function deploySite(opts: DeploySiteOptions): Promise<DeploySiteResult> {
  if (opts.operation !== 'preview') requirePassphrase(opts.settings);
  const synth = await synthesizeIsolated({
    configDir: opts.configDir,
    ...(opts.site !== undefined ? { site: opts.site } : {}),
    ...(opts.repo ? { repo: opts.repo } : {}),
    ...(opts.commit ? { commit: opts.commit } : {}),
    lockMode: 'strict',
    ...(opts.fleetEnv ? { fleetEnv: opts.fleetEnv } : {}),
  });
  const siteSynth = synth.site(opts.site);
  const site = siteSynth.site ?? opts.site;
  if (site === undefined) throw new TypeError('deploySite: the fleet has no site; name one with a Site construct');
  const kubeconfigContents = opts.kubeconfig !== undefined ? fs.readFileSync(opts.kubeconfig, 'utf8') : undefined;
  const kube = await KubeClient.connect({ ...(kubeconfigContents !== undefined ? { kubeconfigContents } : {}), ...(opts.context ? { context: opts.context } : {}) });
  const workDir = siteWorkDir(opts.settings, opts.configDir);
  const objects = siteSynth.objects.map((o) => o.manifest as unknown as KubeObject);
  try {
    if (opts.operation === 'destroy') {
      const lease = await acquireSiteLease(kube, { site, ...(opts.identity ? { identity: opts.identity } : {}), ...(opts.onLeaseWait ? { onWait: (h) => opts.onLeaseWait!(h.identity) } : {}) });
      let completed = false;
      try {
        const stack = await openSiteStack({
          site,
          settings: opts.settings,
          workDir,
          program: siteProgram({ site, objects: objects as unknown as StackObject[], ...(kubeconfigContents !== undefined ? { kubeconfig: kubeconfigContents } : {}), ...(opts.context ? { context: opts.context } : {}) }),
        });
        const run = await runStack(stack, 'destroy', { ...(opts.onOutput ? { onOutput: opts.onOutput } : {}), cluster: kube.server });
        completed = true;
        return { site, synth, siteSynth, downgrades: [], changeSet: run.changeSet };
      } finally {
        await lease.release({ completed }).catch(() => undefined);
      }
    }
    const downgrades = await findDowngrades(siteSynth.images, synth.policies, site, (ref) => kube.get(ref));
    refuseDowngrades(downgrades);
    const apply = await applySite({
      site,
      objects,
      kube,
      ...(kubeconfigContents !== undefined ? { kubeconfig: kubeconfigContents } : {}),
      ...(opts.context ? { context: opts.context } : {}),
      settings: opts.settings,
      workDir,
      ...(synth.source.commit ? { commit: synth.source.commit } : {}),
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...(opts.onLeaseWait ? { onLeaseWait: opts.onLeaseWait } : {}),
      ...(opts.health !== undefined ? { health: opts.health } : {}),
      ...(opts.full ? { full: true } : {}),
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
      dryRun: opts.operation === 'preview',
    });
    return { site, synth, siteSynth, downgrades, changeSet: apply.changeSet, apply };
  } finally {
    kube.close();
  }
}
