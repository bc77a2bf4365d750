import * as fs from 'node:fs';
import * as path from 'node:path';

import { DEFAULT_COMMIT_MESSAGE_TEMPLATE } from '../constructs/image-update-automation';
import { IMAGE_LOCK_FILE } from '../constructs/lock';
import { scanImages, type PolicyScan, type ScanFailure } from '../reconciler/images/automation';
import { renderCommitMessage, updateLockText } from '../reconciler/images/lock';
import { RegistryClient, parseDockerConfigText } from '../reconciler/images/registry';
import { ImagesCommandError, loadFleetView, openLockCheckout, readLock, writeLockFile, type ImagesCommandOptions } from './images-lock';

/** Options of {@link scanLocalImages}. */
export interface ImagesScanOptions extends ImagesCommandOptions {
  /** Only these policies. @default every policy of the fleet */
  readonly policies?: readonly string[];
  /** Choose for this site (its lock holds apply). @default fleet-wide */
  readonly site?: string;
  /** A Docker `config.json` with registry credentials. */
  readonly registryAuthFile?: string;
  /** The registry client (tests). @default one with `registryAuthFile`'s credentials */
  readonly registry?: RegistryClient;
  /** `update`: write the lock (and commit unless `commit: false`); otherwise only report. @default false */
  readonly write?: boolean;
}

/** What `fluxops images scan|update` found and did. Data for text and JSON output. */
export interface ImagesScanResult {
  readonly lockFile: string;
  /** Per policy: tags listed, the locked tag, the choice and every refused tag with its reason. */
  readonly scans: readonly PolicyScan[];
  /** Policies whose repository could not be scanned (a registry fault), with the error. */
  readonly failures: ReadonlyArray<{ readonly policy: string; readonly repository: string; readonly code: string; readonly message: string }>;
  /** The updates the scan asks for (policy, from, to). */
  readonly updates: ReadonlyArray<{ readonly policy: string; readonly from?: string; readonly to: string; readonly digest: string }>;
  /** `update`: whether the lock file was written, and the commit made. */
  readonly written: boolean;
  readonly commit?: string;
  readonly message?: string;
}

/**
 * `fluxops images scan` / `update`: the image loop of the reconciler, run once from a checkout.
 * Synthesizes the fleet (isolated), asks the registries, and reports for each policy what it
 * would lock and why every newer tag was refused. `update` writes the lock byte-exactly and
 * commits it with the user's git identity; a registry fault for any policy writes nothing.
 */
export async function scanLocalImages(opts: ImagesScanOptions): Promise<ImagesScanResult> {
  const configDir = path.resolve(opts.configDir);
  const lockPath = path.join(configDir, opts.lockFile ?? IMAGE_LOCK_FILE);
  const view = await loadFleetView({ ...opts, configDir });
  for (const name of opts.policies ?? []) {
    if (!view.policies.has(name)) throw new ImagesCommandError({ problem: 'unknown-policy', policy: name, message: `policy ${name}: the fleet has no image policy of this name (policies: ${[...view.policies.keys()].sort().join(', ') || 'none'})` });
  }
  if (opts.site !== undefined && !view.sitePolicies.has(opts.site)) {
    throw new ImagesCommandError({ problem: 'unknown-site', site: opts.site, message: `site ${opts.site}: the fleet has no site of this name (sites: ${view.synth.sites.join(', ') || 'none'})` });
  }
  const local = readLock(lockPath);
  const registry =
    opts.registry ?? new RegistryClient(opts.registryAuthFile ? { credentials: parseDockerConfigText(fs.readFileSync(opts.registryAuthFile, 'utf8'), opts.registryAuthFile) } : {});
  const { scans, failures } = await scanImages({
    policies: view.synth.policies,
    repositories: view.synth.repositories,
    lock: local.lock,
    registry,
    ...(opts.site !== undefined ? { site: opts.site } : {}),
    ...(opts.policies?.length ? { only: new Set(opts.policies) } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const updates = scans
    .filter((s) => s.update)
    .map((s) => ({ policy: s.policy, ...(s.locked ? { from: s.locked.tag } : {}), to: s.selection.selected!.tag, digest: s.selection.selected!.digest }));
  const base: ImagesScanResult = { lockFile: lockPath, scans, failures: failures.map(failureData), updates, written: false };
  if (!opts.write || updates.length === 0) return base;
  if (failures.length > 0) {
    // Half a scan is not a basis for a commit: a policy that could not be checked might be the one that matters.
    throw new ImagesCommandError({ problem: 'invalid-argument', message: `nothing written: ${failures.length} polic${failures.length === 1 ? 'y' : 'ies'} could not be scanned (${failures.map((f) => `${f.policy}: ${f.error.message}`).join('; ')})` });
  }
  const checkout = (opts.commit ?? true) ? await openLockCheckout(configDir, lockPath) : undefined;
  const rewrite = updateLockText(local.text, scans.filter((s) => s.update).map((s) => s.update!), { source: lockPath });
  if (!rewrite.changed) return base;
  const message = renderCommitMessage(
    { automationName: 'fluxops-cli', namespace: 'flux-system', messageTemplate: DEFAULT_COMMIT_MESSAGE_TEMPLATE },
    { lockFile: checkout ? checkout.relative(lockPath) : path.basename(lockPath), lock: rewrite.changes },
  );
  const commit = await writeLockFile(checkout, lockPath, local.text, rewrite.text, message ?? 'images: update the lock');
  return { ...base, written: true, ...(message ? { message } : {}), ...(commit ? { commit } : {}) };
}

function failureData(f: ScanFailure): ImagesScanResult['failures'][number] {
  const code = (f.error as { code?: unknown }).code;
  return { policy: f.policy, repository: f.repository, code: typeof code === 'string' ? code : 'error', message: f.error.message };
}

/** Text output: per policy the choice, then each refused tag with its reason. */
export function renderScan(r: ImagesScanResult, mode: 'scan' | 'update' | 'dry-run'): string {
  const out: string[] = [];
  for (const s of r.scans) {
    const sel = s.selection;
    const choice = sel.selected ? `${sel.selected.tag}@${sel.selected.digest.slice(0, 19)} [${[...sel.selected.platforms].sort().join(',')}]` : 'nothing qualifies';
    const how = sel.outcome === 'held' ? ` (held: ${sel.hold?.reason ?? ''})` : '';
    out.push(`${s.policy}  ${s.repository}  ${s.tagCount} tags`);
    out.push(`  locked    ${s.locked ? `${s.locked.tag}@${s.locked.digest.slice(0, 19)}` : '-'}`);
    out.push(`  chosen    ${choice}${how}${sel.changed ? '  <- update' : ''}`);
    for (const x of sel.rejected) out.push(`  refused   ${x.tag}: ${x.code}: ${x.message}`);
  }
  for (const f of r.failures) out.push(`error: ${f.policy} (${f.repository}): ${f.message}`);
  if (r.updates.length === 0) out.push('no updates: the lock has the newest qualifying image of every policy');
  else if (mode === 'update' && r.written) out.push(r.commit ? `committed ${r.commit.slice(0, 12)}: ${(r.message ?? '').split('\n')[0]}` : `edited ${r.lockFile} (not committed)`);
  else out.push(`${mode === 'dry-run' ? 'would update' : 'updates available'}: ${r.updates.map((u) => `${u.policy} ${u.from ?? '(none)'} -> ${u.to}`).join(', ')}${mode === 'scan' ? ' (run fluxops images update)' : ''}`);
  return `${out.join('\n')}\n`;
}
