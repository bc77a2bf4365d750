import type { AlertSpec, ImageUse, SynthFlavor, SynthWarning } from '../../constructs';

/**
 * What the synthesis child and its parent exchange. The parent writes one {@link SynthRequest}
 * as JSON on the child's stdin; the child answers with one {@link SynthResponse} as JSON on file
 * descriptor 3. The fleet's own stdout and stderr are captured separately, so nothing a config
 * repository prints can be mistaken for manifests.
 */
export const SYNTH_PROTOCOL = 'fluxops-synth/1';

/** How the lock is treated. */
export type LockMode =
  /** A missing or invalid lock, or an entry that breaks its policy, is an error (up, preview, reconcile, `synth --strict`). */
  | 'strict'
  /** Such findings are warnings; missing or invalid locks synthesize with initial tags (`synth`). */
  | 'lenient';

/** One synthesis job. */
export interface SynthRequest {
  readonly protocol: typeof SYNTH_PROTOCOL;
  /** Absolute path of the config repository checkout. */
  readonly configDir: string;
  /** Entry file relative to `configDir`. @default fleet.ts, fleet.js or fleet.cjs */
  readonly entry?: string;
  /** Site to render; with `allSites`, ignored. */
  readonly site?: string;
  /** Render every site of the fleet (one result each). */
  readonly allSites?: boolean;
  readonly flavor: SynthFlavor;
  /** Lock file name relative to `configDir`. */
  readonly lockFile: string;
  readonly lockMode: LockMode;
  /** Human name of the lock in messages (`<repo>@<commit>:fluxops.lock.yaml`). */
  readonly lockSource: string;
}

/** A problem attached to the input that caused it: construct path and field, or lock field, with the value. */
export interface SynthProblem {
  /** Stable code of the finding (`invalid-construct-props`, `lock-image-mismatch`, ...). */
  readonly code: string;
  /** Construct path, when a construct is at fault. */
  readonly path?: string;
  /** Prop path (`containers[0].ports[0].port`) or lock field (`policies.gateway.tag`). */
  readonly field?: string;
  /** The offending value (secrets are never values here). */
  readonly value?: unknown;
  /** Why, without the prefix. */
  readonly reason: string;
  /** One line naming everything above. */
  readonly message: string;
}

/** One object as synthesized, as plain data. */
export interface SynthObjectData {
  readonly order: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly origin: string;
  readonly fileName: string;
  readonly manifest: Record<string, unknown>;
  readonly yaml: string;
}

/** The synthesis of one site (or of the whole fleet when it has no sites). */
export interface SiteSynthData {
  readonly site?: string;
  readonly flavor: SynthFlavor;
  readonly objects: readonly SynthObjectData[];
  readonly yaml: string;
  readonly warnings: readonly SynthWarning[];
  readonly images: readonly ImageUse[];
}

/** A hold as the parent sees it. */
export interface PolicyHoldData {
  readonly tag: string;
  readonly reason: string;
  /** `construct` (fleet code) or `lock` (`holds`/`siteHolds`). Absent from older children: read as `construct`. */
  readonly source?: 'construct' | 'lock';
  /** When a lock hold was set. */
  readonly since?: string;
}

/** Where the fleet's policies come from, so the parent can order tags without running fleet code. */
export interface PolicyData {
  readonly name: string;
  readonly repository: string;
  readonly rule: { readonly kind: 'semver'; readonly range: string; readonly prereleases?: 'include' | 'exclude' } | { readonly kind: 'alphabetical' | 'numerical'; readonly order: 'asc' | 'desc' };
  readonly filterTags?: { readonly pattern: string; readonly extract?: string };
  readonly initialTag: string;
  readonly platforms: readonly string[];
  readonly noDowngrade: boolean;
  readonly digestPinning: boolean;
  /**
   * The hold in effect, by site (`*`: without a site, and for every site not listed), from fleet
   * code or from the lock (code wins). A site is listed only when its hold differs from `*`.
   */
  readonly holds: Readonly<Record<string, PolicyHoldData>>;
  /** Tags the lock marks bad for this policy (`badTags`), in file order. @default none */
  readonly badTags?: readonly { readonly tag: string; readonly reason: string; readonly since: string }[];
  readonly exclusionList?: readonly string[];
  readonly insecure: boolean;
  /** Health-gated roll-back: off, or how long a workload may take to become healthy. @default { timeoutMs: 300000 } */
  readonly rollback?: false | { readonly timeoutMs: number };
}

/** An ImageUpdateAutomation as plain data: what the image loop commits, as whom, where. */
export interface AutomationData {
  readonly name: string;
  /** Image policies it updates. */
  readonly policies: readonly string[];
  /** The config repository it writes to (its GitSource URL). */
  readonly repository: string;
  /** How often it looks for new images. */
  readonly interval: string;
  /** Write-back settings (`writeBackSettings` of `reconciler/images/git`). */
  readonly settings: {
    readonly author: { readonly name: string; readonly email: string };
    readonly message: { readonly automationName: string; readonly namespace: string; readonly messageTemplate: string; readonly skipCi?: boolean };
    readonly branch: string;
    readonly pushBranch?: string;
    readonly updatePath?: string;
  };
}

/** An ImageRepository as plain data: what the image loop scans. */
export interface RepositoryData {
  readonly name: string;
  readonly image: string;
  readonly interval: string;
  readonly insecure: boolean;
  readonly exclusionList?: readonly string[];
  /** Name of a `kubernetes.io/dockerconfigjson` Secret with registry credentials. */
  readonly secretRef?: string;
}

/** What a successful child returns. */
export interface SynthPayload {
  readonly fleet: string;
  readonly sites: readonly string[];
  readonly results: readonly SiteSynthData[];
  readonly policies: readonly PolicyData[];
  /** The fleet's alerts as plain data (every site's; `alertSpecsForSite` narrows them) for `reconciler/notify`. */
  readonly alerts: readonly AlertSpec[];
  /** Image update automations. */
  readonly automations: readonly AutomationData[];
  /** Image repositories. */
  readonly repositories: readonly RepositoryData[];
  /** Whether the lock file exists; problems found in it (warnings in lenient mode). */
  readonly lock: { readonly found: boolean; readonly problems: readonly SynthProblem[] };
}

/** Stage at which a synthesis failed. */
export type SynthStage = 'load' | 'build' | 'lock' | 'synthesize';

/** The child's answer. */
export type SynthResponse =
  | { readonly protocol: typeof SYNTH_PROTOCOL; readonly ok: true; readonly payload: SynthPayload }
  | {
      readonly protocol: typeof SYNTH_PROTOCOL;
      readonly ok: false;
      readonly stage: SynthStage;
      readonly error: { readonly name: string; readonly code: string; readonly message: string; readonly problems: readonly SynthProblem[] };
    };
