import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ConcurrentUpdateError, type StackLockHolder } from './errors';
import type { PulumiSettings } from './pulumi-env';

/** Locks Pulumi's file backend holds for a stack: `<backend>/.pulumi/locks/organization/<project>/<stack>/<id>.json`. */
function lockDir(settings: PulumiSettings, project: string, stack: string): string | undefined {
  if (!settings.backendUrl.startsWith('file://')) return undefined;
  return path.join(settings.backendUrl.slice('file://'.length), '.pulumi', 'locks', 'organization', project, stack);
}

/** What {@link clearStaleStackLocks} found. */
export interface StaleLockReport {
  /** Locks of runs that are gone (killed mid-update), removed. */
  readonly cleared: readonly StackLockHolder[];
}

/**
 * Removes the stack locks a killed run left behind, and only those: a lock is stale when it was
 * taken on this host by a process that no longer exists (or whose pid now belongs to something
 * that is not Pulumi). A lock of a live run, or of another host (whose processes cannot be
 * checked from here), is never touched: that is a {@link ConcurrentUpdateError} naming the holder.
 * Backends other than files are left to Pulumi's own locking.
 */
export function clearStaleStackLocks(settings: PulumiSettings, project: string, stack: string): StaleLockReport {
  const dir = lockDir(settings, project, stack);
  if (!dir || !fs.existsSync(dir)) return { cleared: [] };
  const cleared: StackLockHolder[] = [];
  const live: StackLockHolder[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const full = path.join(dir, file);
    let holder: StackLockHolder;
    try {
      const data = JSON.parse(fs.readFileSync(full, 'utf8')) as { pid?: number; username?: string; hostname?: string; timestamp?: string };
      holder = { pid: Number(data.pid), username: String(data.username ?? '?'), hostname: String(data.hostname ?? '?'), timestamp: String(data.timestamp ?? '?'), lock: full };
    } catch {
      continue; // being written right now by a live run, or not a lock of ours: leave it to Pulumi
    }
    if (holder.hostname === os.hostname() && !isPulumiProcess(holder.pid)) {
      fs.rmSync(full, { force: true });
      cleared.push(holder);
    } else {
      live.push(holder);
    }
  }
  if (live.length > 0) throw new ConcurrentUpdateError(stack, live);
  return { cleared };
}

function isPulumiProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /(^|\/)pulumi(\0|$)/.test(cmd.split('\0')[0] ?? '') || cmd.includes('pulumi');
  } catch {
    return false;
  }
}
