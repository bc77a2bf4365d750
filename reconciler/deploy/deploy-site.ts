import * as fs from 'node:fs';

import type { ChangeSet } from '../../stacks/change-set';
import { requirePassphrase, type PulumiSettings } from '../../stacks/pulumi-env';
import { runStack, type StackOperation } from '../../stacks/run-stack';
import type { KubeObject as StackObject } from '../../stacks/site-stack';
import { openSiteStack, siteProgram, siteWorkDir } from '../../stacks/workspace';
import { KubeClient } from '../cluster/kube-client';
import { synthesizeIsolated, type IsolatedSynthResult } from '../synth';
import type { SiteSynthData } from '../synth/protocol';
import { findDowngrades, refuseDowngrades, type Downgrade } from './no-downgrade';

/** Options of {@link deploySite}. */
export interface DeploySiteOptions {
  readonly operation: StackOperation;
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
  /** @default false */
  readonly refresh?: boolean;
  readonly onOutput?: (text: string) => void;
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
}

/**
 * Deploys (or previews, or destroys) one site from a config repository: isolated synthesis with
 * a strict lock, refusal of downgrades against what the site runs now, then the site stack through
 * the Pulumi Automation API. Every failure is a typed error and applies nothing of the commit.
 */
export async function deploySite(opts: DeploySiteOptions): Promise<DeploySiteResult> {
  requirePassphrase(opts.settings);
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
  let downgrades: Downgrade[] = [];
  if (opts.operation !== 'destroy') {
    const kube = await KubeClient.connect({ ...(kubeconfigContents !== undefined ? { kubeconfigContents } : {}), ...(opts.context ? { context: opts.context } : {}) });
    try {
      downgrades = await findDowngrades(siteSynth.images, synth.policies, site, (ref) => kube.get(ref));
    } finally {
      kube.close();
    }
    refuseDowngrades(downgrades);
  }
  const stack = await openSiteStack({
    site,
    settings: opts.settings,
    workDir: siteWorkDir(opts.settings, opts.configDir),
    program: siteProgram({
      site,
      objects: siteSynth.objects.map((o) => o.manifest as unknown as StackObject),
      ...(kubeconfigContents !== undefined ? { kubeconfig: kubeconfigContents } : {}),
      ...(opts.context ? { context: opts.context } : {}),
    }),
  });
  const run = await runStack(stack, opts.operation, { ...(opts.refresh ? { refresh: true } : {}), ...(opts.onOutput ? { onOutput: opts.onOutput } : {}) });
  return { site, synth, siteSynth, downgrades, changeSet: run.changeSet };
}
