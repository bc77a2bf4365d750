import { Construct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import { Fleet } from './fleet';
import { SecretReference, checkSecretReference } from './secret-reference';
import { checkUniqueName } from './unique-name';
import {
  FluxInterval,
  check,
  childPath,
  commitShaProblem,
  dnsLabelProblem,
  gitRefNameProblem,
  gitUrlProblem,
  intervalProblem,
  normalizeRepoPath,
  repoPathProblem,
  semverRangeProblem,
} from './validation';

/** Follow the head of a branch. */
export interface GitBranchRef {
  /** Discriminant. */
  readonly kind: 'branch';
  /** Branch name, e.g. `main`. */
  readonly name: string;
}

/** Check out one tag. */
export interface GitTagRef {
  /** Discriminant. */
  readonly kind: 'tag';
  /** Tag name, e.g. `v1.4.0`. */
  readonly name: string;
}

/** Check out the highest tag in a semver range. */
export interface GitSemverRef {
  /** Discriminant. */
  readonly kind: 'semver';
  /** Semver range over the repository's tags, e.g. `>=1.0.0 <2.0.0`. */
  readonly range: string;
}

/** Check out one commit. */
export interface GitCommitRef {
  /** Discriminant. */
  readonly kind: 'commit';
  /** Full commit id. */
  readonly sha: string;
  /**
   * Branch to fetch the commit from (Flux clones that branch only, which is faster).
   * @default the remote's default branch
   */
  readonly branch?: string;
}

/** Which revision of a repository to deploy. */
export type GitRef = GitBranchRef | GitTagRef | GitSemverRef | GitCommitRef;

/** Properties of a {@link GitSource}. */
export interface GitSourceProps<R extends GitRef = GitRef> {
  /**
   * Object name (the Flux GitRepository name).
   * @default the construct id
   */
  readonly name?: string;
  /** Remote URL: `https://`, `http://`, `ssh://` (Flux) or `file://` (FluxOps reconciler only). */
  readonly url: string;
  /** Revision to deploy. */
  readonly ref: R;
  /**
   * How often to poll the remote.
   * @default '1m'
   */
  readonly interval?: FluxInterval;
  /**
   * Directory holding the rendered manifests, one sub-directory per site.
   * @default './clusters'
   */
  readonly path?: string;
  /**
   * Secret with credentials (`username`/`password` or `identity`/`known_hosts`).
   * @default anonymous access
   */
  readonly secretRef?: SecretReference;
}

/**
 * A Git repository FluxOps (or Flux) pulls the fleet's rendered manifests from. The type
 * parameter keeps the kind of ref, so an automation that needs a branch can demand one.
 */
export class GitSource<R extends GitRef = GitRef> extends Construct {
  /** Whether `x` is a GitSource (works across copies of this module). */
  static isGitSource(x: unknown): x is GitSource {
    return hasBrand(x, BRANDS.gitSource);
  }

  /** Object name. */
  readonly sourceName: string;
  /** Remote URL. */
  readonly url: string;
  /** Revision to deploy. */
  readonly ref: R;
  /** Poll interval. */
  readonly interval: FluxInterval;
  /** Manifest root, normalised (`./clusters`). */
  readonly path: string;
  /** Credentials, if any. */
  readonly secretRef?: SecretReference;

  constructor(scope: Construct, id: string, props: GitSourceProps<R>) {
    const path = childPath(scope, id);
    const name = props.name ?? id;
    const interval = props.interval ?? '1m';
    const repoPath = props.path ?? './clusters';
    check(path, 'name', name, dnsLabelProblem(name));
    check(path, 'url', props.url, gitUrlProblem(props.url));
    checkGitRef(path, props.ref);
    check(path, 'interval', interval, intervalProblem(interval));
    check(path, 'path', repoPath, repoPathProblem(repoPath));
    checkSecretReference(path, 'secretRef', props.secretRef);
    checkUniqueName(path, 'name', name, Fleet.of(scope).gitSources, (s) => s.sourceName === name);
    super(scope, id);
    this.sourceName = name;
    this.url = props.url;
    this.ref = props.ref;
    this.interval = interval;
    this.path = normalizeRepoPath(repoPath);
    this.secretRef = props.secretRef;
    setBrand(this, BRANDS.gitSource);
  }

  /** The branch this source follows, if its ref is a branch (or a commit fetched from one). */
  get branch(): string | undefined {
    const ref: GitRef = this.ref;
    if (ref.kind === 'branch') return ref.name;
    if (ref.kind === 'commit') return ref.branch;
    return undefined;
  }
}

function checkGitRef(path: string, ref: GitRef): void {
  switch (ref?.kind) {
    case 'branch':
      return check(path, 'ref.name', ref.name, gitRefNameProblem(ref.name));
    case 'tag':
      return check(path, 'ref.name', ref.name, gitRefNameProblem(ref.name));
    case 'semver':
      return check(path, 'ref.range', ref.range, semverRangeProblem(ref.range));
    case 'commit':
      check(path, 'ref.sha', ref.sha, commitShaProblem(ref.sha));
      if (ref.branch !== undefined) check(path, 'ref.branch', ref.branch, gitRefNameProblem(ref.branch));
      return;
    default:
      check(path, 'ref.kind', (ref as { kind?: unknown } | undefined)?.kind, 'must be one of branch, tag, semver, commit');
  }
}
