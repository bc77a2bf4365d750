import { findLockEntry, type ImageLock, type ImageLockEntry } from '../../../constructs';
import type { PolicyData, RepositoryData } from '../../synth/protocol';
import { createTagPolicy, selectImage, type ImageSelection } from '../policy';
import type { RegistryClient } from '../registry';
import type { LockUpdate } from '../lock';
import { policyState } from '../policy-state';

/** What one scan found for one image policy. */
export interface PolicyScan {
  readonly policy: string;
  readonly repository: string;
  /** The lock entry the scan started from. */
  readonly locked?: ImageLockEntry;
  /** The selection: chosen tag and digest, and every refused tag with its reason. */
  readonly selection: ImageSelection;
  /** The lock update to make, when the selection differs from the lock. */
  readonly update?: LockUpdate;
  /** Tags listed in the repository. */
  readonly tagCount: number;
}

/** A policy whose repository could not be scanned (the rest of the scan goes on). */
export interface ScanFailure {
  readonly policy: string;
  readonly repository: string;
  readonly error: Error;
}

/** Options of {@link scanImages}. */
export interface ScanImagesOptions {
  readonly policies: readonly PolicyData[];
  readonly repositories: readonly RepositoryData[];
  /** The lock as committed at the head. */
  readonly lock: ImageLock;
  readonly registry: RegistryClient;
  /** Scan only these policies (a registry notification names a repository). @default every policy */
  readonly only?: ReadonlySet<string>;
  /** The site whose images are chosen (its site holds apply). @default fleet-wide holds only */
  readonly site?: string;
  /** Holds and bad tags per policy. @default `policyState` of the lock (and the policy's holds in fleet code) */
  readonly state?: (policy: string) => { hold?: { tag: string; reason: string }; badTags?: readonly string[] };
  /** Clock for `updatedAt`. @default now */
  readonly now?: () => Date;
}

/**
 * Looks at each image policy's repository and decides the image it should lock: the newest tag
 * the policy admits that really provides every required platform (an amd64-only build never
 * qualifies for an arm64 site), subject to holds, bad tags and no-downgrade. Data in, data out:
 * committing the updates is {@link updateImages}' job. Batch semantics: one repository's fault
 * does not stop the others; it is returned with the results.
 */
export async function scanImages(opts: ScanImagesOptions): Promise<{ scans: PolicyScan[]; failures: ScanFailure[] }> {
  const byImage = new Map(opts.repositories.map((r) => [r.image, r]));
  const tagsOf = new Map<string, Promise<string[]>>();
  const scans: PolicyScan[] = [];
  const failures: ScanFailure[] = [];
  const now = opts.now ?? (() => new Date());
  for (const p of opts.policies) {
    if (opts.only && !opts.only.has(p.name)) continue;
    const repo = byImage.get(p.repository);
    const client = opts.registry.repository(p.repository, { insecure: repo?.insecure ?? p.insecure });
    try {
      // Repositories shared by several policies are listed once per scan.
      if (!tagsOf.has(p.repository)) tagsOf.set(p.repository, client.listTags());
      const tags = await tagsOf.get(p.repository)!;
      const locked = findLockEntry(opts.lock, p.name)?.entry;
      const state = opts.state?.(p.name) ?? policyState(opts.lock, { name: p.name, repository: p.repository, holds: p.holds }, opts.site);
      const hold = state.hold;
      const policy = createTagPolicy({ name: p.name, rule: p.rule, ...(p.filterTags ? { filterTags: p.filterTags } : {}), ...(repo?.exclusionList ?? p.exclusionList ? { exclusionList: repo?.exclusionList ?? p.exclusionList } : {}) });
      const selection = await selectImage({
        policy,
        tags,
        lookup: client,
        requiredPlatforms: p.platforms,
        ...(locked ? { locked: { tag: locked.tag, digest: locked.digest } } : {}),
        ...(hold ? { hold } : {}),
        ...(state.badTags ? { badTags: state.badTags } : {}),
        allowDowngrade: !p.noDowngrade,
      });
      const update: LockUpdate | undefined =
        selection.selected && selection.changed
          ? {
              action: 'set',
              policy: p.name,
              entry: {
                image: p.repository,
                tag: selection.selected.tag,
                digest: selection.selected.digest,
                updatedAt: now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
                platforms: [...selection.selected.platforms].sort(),
              },
            }
          : undefined;
      scans.push({ policy: p.name, repository: p.repository, ...(locked ? { locked } : {}), selection, ...(update ? { update } : {}), tagCount: tags.length });
    } catch (err) {
      failures.push({ policy: p.name, repository: p.repository, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }
  return { scans, failures };
}
