import * as path from 'node:path';

import { IMAGE_LOCK_FILE, type ImageLock } from '../../../constructs';
import type { GitAuth } from '../../git';
import type { AutomationData } from '../../synth/protocol';
import { lockDecisions, lockWriteBack, writeBack, type WriteBackResult } from '../git';
import type { PolicyScan } from './scan-images';

/** What one automation committed. */
export interface AutomationUpdate {
  readonly automation: string;
  readonly result: WriteBackResult;
  /** The scans whose updates it carried. */
  readonly scans: readonly PolicyScan[];
}

/** Options of {@link updateImages}. */
export interface UpdateImagesOptions {
  readonly automations: readonly AutomationData[];
  readonly scans: readonly PolicyScan[];
  /** The lock the scans started from (the base of every decision: a person's change since wins). */
  readonly lock: ImageLock;
  /** The config repository (no credentials in the URL). */
  readonly url: string;
  readonly auth: GitAuth;
  /** Directory of fleet.ts in the repository (the lock is next to it). @default '.' */
  readonly configPath?: string;
  /** Parent of write-back's temporary work repositories. */
  readonly workDir?: string;
}

/**
 * Commits the updates of a scan to the config repository, one commit per image update
 * automation (its author, message template, branch), through `writeBack`: only the changed
 * tokens of the lock (and of Flux setter markers) are rewritten, a concurrent push is fetched and
 * the change recomputed on it, a person's edit of the same entry wins, and an empty or duplicate
 * commit is never made.
 */
export async function updateImages(opts: UpdateImagesOptions): Promise<AutomationUpdate[]> {
  const out: AutomationUpdate[] = [];
  const lockFile = path.posix.join(opts.configPath ?? '.', IMAGE_LOCK_FILE).replace(/^\.\//, '');
  for (const automation of opts.automations) {
    const scans = opts.scans.filter((s) => s.update && automation.policies.includes(s.policy));
    if (scans.length === 0) continue;
    const decisions = lockDecisions(opts.lock, scans.map((s) => s.update!));
    const result = await writeBack({
      url: opts.url,
      auth: opts.auth,
      settings: { ...automation.settings, lockFile },
      compute: lockWriteBack({ decisions, setters: { namespace: automation.settings.message.namespace } }),
      ...(opts.workDir ? { workDir: opts.workDir } : {}),
    });
    out.push({ automation: automation.name, result, scans });
  }
  return out;
}
