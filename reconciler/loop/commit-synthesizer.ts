import * as path from 'node:path';

import type { LockMode } from '../synth/protocol';
import { synthesizeIsolated, type IsolatedSynthResult, type SynthPool } from '../synth';
import type { ConfigSource } from './site-reconciler';

/** Options of {@link CommitSynthesizer}. */
export interface CommitSynthesizerOptions {
  readonly source: ConfigSource;
  readonly site: string;
  /** Directory of fleet.ts in the repository. @default '.' */
  readonly configPath?: string;
  readonly fleetEnv?: Readonly<Record<string, string>>;
  readonly pool?: SynthPool;
  /** Results kept (the newest commits). @default 4 */
  readonly keep?: number;
  /** Told of every successful synthesis (the notification hub takes the commit's alerts from it). */
  readonly onSynthesized?: (commit: string, result: IsolatedSynthResult) => void;
}

/**
 * Synthesizes commits of the config repository for a reconciler's loops, once per commit and
 * lock mode: the image loop pushes a commit and the site loop applies it, and both need its
 * synthesis. A commit never changes, so its result (or its failure) is kept; each synthesis still
 * runs in its own isolated child.
 */
export class CommitSynthesizer {
  private readonly results = new Map<string, Promise<IsolatedSynthResult>>();

  constructor(private readonly opts: CommitSynthesizerOptions) {}

  /** The checkout directory of the fleet at `commit`. */
  async configDir(commit: string): Promise<string> {
    return path.join(await this.opts.source.checkout(commit), this.opts.configPath ?? '.');
  }

  /** The synthesis of `commit` for the site (strict: what deploys use; lenient: what image automation can still read). */
  synthesize(commit: string, lockMode: LockMode = 'strict'): Promise<IsolatedSynthResult> {
    const key = `${commit}|${lockMode}`;
    let result = this.results.get(key);
    if (!result) {
      result = (async () =>
        synthesizeIsolated({
          configDir: await this.configDir(commit),
          site: this.opts.site,
          repo: this.opts.source.url,
          commit,
          lockMode,
          ...(this.opts.fleetEnv ? { fleetEnv: this.opts.fleetEnv } : {}),
          ...(this.opts.pool ? { pool: this.opts.pool } : {}),
        }))();
      this.results.set(key, result);
      result.then((r) => this.opts.onSynthesized?.(commit, r)).catch(() => undefined);
      // Faults that are not about the commit (a checkout that failed) are not remembered.
      result.catch((err: unknown) => {
        if (!(err instanceof Error) || err.name !== 'SynthesisError') this.results.delete(key);
      });
      while (this.results.size > (this.opts.keep ?? 4) * 2) this.results.delete(this.results.keys().next().value as string);
    }
    return result;
  }
}
