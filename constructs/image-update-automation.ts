import { Construct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import { commitTemplateProblem } from './commit-template';
import { Fleet } from './fleet';
import { GitBranchRef, GitSource } from './git-source';
import { ImagePolicy } from './image-policy';
import { checkUniqueName } from './unique-name';
import {
  FluxInterval,
  check,
  childPath,
  dnsLabelProblem,
  emailProblem,
  gitRefNameProblem,
  intervalProblem,
  normalizeRepoPath,
  repoPathProblem,
  singleLineTextProblem,
} from './validation';

/** Author of automation commits. */
export interface CommitAuthor {
  /** Display name, e.g. `FluxOps Bot`. */
  readonly name: string;
  /** E-mail address. */
  readonly email: string;
}

/** The marker CI systems (GitHub Actions, GitLab, Drone, ...) honour to skip a commit. */
export const CI_SKIP_MARKER = '[skip ci]';

/**
 * Default commit message: a Go text/template over Flux's image automation template data
 * (`.AutomationObject`, `.Changed.Changes` with `.OldValue`/`.NewValue`). The same template
 * works in Flux (flux flavor) and in FluxOps (`renderCommitMessage`).
 */
export const DEFAULT_COMMIT_MESSAGE_TEMPLATE = [
  'chore(images): update images for {{ .AutomationObject.Name }}',
  '',
  '{{ range .Changed.Changes -}}',
  '- {{ .OldValue }} -> {{ .NewValue }}',
  '{{ end }}',
].join('\n');

/** Properties shared by every {@link ImageUpdateAutomation}. */
export interface ImageUpdateAutomationBaseProps {
  /**
   * Object name.
   * @default the construct id
   */
  readonly name?: string;
  /** Policies whose selected tags this automation writes (at least one). */
  readonly policies: readonly [ImagePolicy, ...ImagePolicy[]];
  /**
   * How often to run.
   * @default '10m'
   */
  readonly interval?: FluxInterval;
  /** Author of the commits. */
  readonly author: CommitAuthor;
  /**
   * Commit message, as a Go text/template with Flux's template data (`.AutomationObject`,
   * `.Changed.FileChanges`, `.Changed.Changes`, `.Changed.Objects`, `.Values`) and Go's and
   * sprig's common functions. Checked here: unknown fields or functions and syntax errors
   * throw, naming the line and column.
   * @default DEFAULT_COMMIT_MESSAGE_TEMPLATE
   */
  readonly messageTemplate?: string;
  /**
   * Append {@link CI_SKIP_MARKER} so automation commits do not trigger CI pipelines.
   * @default false
   */
  readonly skipCi?: boolean;
  /**
   * Push to a separate branch (for review) instead of the checked-out branch.
   * @default the checkout branch
   */
  readonly pushBranch?: string;
  /**
   * Directory the automation may change.
   * @default the source's path
   */
  readonly updatePath?: string;
}

/** Automation on a source that follows a branch: the checkout branch defaults to it. */
export interface ImageUpdateAutomationOnBranchProps extends ImageUpdateAutomationBaseProps {
  /** Repository to update; it follows a branch. */
  readonly source: GitSource<GitBranchRef>;
  /**
   * Branch to check out and commit on.
   * @default the source's branch
   */
  readonly checkoutBranch?: string;
}

/** Automation on a source pinned to a tag, semver range or commit: the branch must be named. */
export interface ImageUpdateAutomationExplicitBranchProps extends ImageUpdateAutomationBaseProps {
  /** Repository to update. */
  readonly source: GitSource;
  /** Branch to check out and commit on. */
  readonly checkoutBranch: string;
}

/** Properties of an {@link ImageUpdateAutomation}. */
export type ImageUpdateAutomationProps = ImageUpdateAutomationOnBranchProps | ImageUpdateAutomationExplicitBranchProps;

/** Writes the tags chosen by image policies back to Git as commits. */
export class ImageUpdateAutomation extends Construct {
  /** Whether `x` is an ImageUpdateAutomation (works across copies of this module). */
  static isImageUpdateAutomation(x: unknown): x is ImageUpdateAutomation {
    return hasBrand(x, BRANDS.imageUpdateAutomation);
  }

  /** Object name. */
  readonly automationName: string;
  /** Repository updated. */
  readonly source: GitSource;
  /** Policies covered. */
  readonly policies: readonly ImagePolicy[];
  /** Run interval. */
  readonly interval: FluxInterval;
  /** Commit author. */
  readonly author: CommitAuthor;
  /** Final commit message template, CI-skip marker included when requested. */
  readonly messageTemplate: string;
  /** Whether the CI-skip marker is appended. */
  readonly skipCi: boolean;
  /** Branch checked out. */
  readonly checkoutBranch: string;
  /** Branch pushed to. */
  readonly pushBranch: string;
  /** Directory updated, normalised. */
  readonly updatePath: string;

  constructor(scope: Construct, id: string, props: ImageUpdateAutomationProps) {
    const path = childPath(scope, id);
    const fleet = Fleet.of(scope);
    const name = props.name ?? id;
    const interval = props.interval ?? '10m';
    check(path, 'name', name, dnsLabelProblem(name));
    check(
      path,
      'source',
      props.source,
      !GitSource.isGitSource(props.source) ? 'must be a GitSource' : Fleet.of(props.source) !== fleet ? 'belongs to a different fleet' : undefined,
    );
    const checkoutBranch = props.checkoutBranch ?? props.source.branch;
    check(
      path,
      'checkoutBranch',
      checkoutBranch,
      checkoutBranch === undefined
        ? `is required because source ${props.source.node.path} is pinned to a ${props.source.ref.kind}, not a branch`
        : gitRefNameProblem(checkoutBranch),
    );
    const pushBranch = props.pushBranch ?? (checkoutBranch as string);
    check(path, 'pushBranch', pushBranch, gitRefNameProblem(pushBranch));
    check(path, 'policies', props.policies, !props.policies || props.policies.length === 0 ? 'must name at least one policy' : undefined);
    props.policies.forEach((p, i) => {
      check(
        path,
        `policies[${i}]`,
        p,
        !ImagePolicy.isImagePolicy(p)
          ? 'must be an ImagePolicy'
          : Fleet.of(p) !== fleet
            ? 'belongs to a different fleet'
            : props.policies.indexOf(p) !== i
              ? 'is listed twice'
              : undefined,
      );
    });
    check(path, 'interval', interval, intervalProblem(interval));
    check(path, 'author.name', props.author?.name, singleLineTextProblem(props.author?.name));
    check(path, 'author.email', props.author?.email, emailProblem(props.author?.email));
    const template = props.messageTemplate ?? DEFAULT_COMMIT_MESSAGE_TEMPLATE;
    check(path, 'messageTemplate', template, templateProblem(template));
    const updatePath = props.updatePath ?? props.source.path;
    check(path, 'updatePath', updatePath, repoPathProblem(updatePath));
    checkUniqueName(path, 'name', name, fleet.imageUpdateAutomations, (a) => a.automationName === name);
    super(scope, id);
    this.automationName = name;
    this.source = props.source;
    this.policies = [...props.policies];
    this.interval = interval;
    this.author = { name: props.author.name, email: props.author.email };
    this.skipCi = props.skipCi ?? false;
    this.messageTemplate = this.skipCi ? `${template.trimEnd()}\n\n${CI_SKIP_MARKER}\n` : template;
    this.checkoutBranch = checkoutBranch as string;
    this.pushBranch = pushBranch;
    this.updatePath = normalizeRepoPath(updatePath);
    setBrand(this, BRANDS.imageUpdateAutomation);
  }

  /** Label put on this automation's Flux ImagePolicies so `spec.policySelector` finds them. */
  get policySelectorLabel(): string {
    return `automation.fluxops.dev/${this.automationName}`;
  }
}

function templateProblem(template: string): string | undefined {
  if (typeof template !== 'string' || template.trim() === '') return 'must be a non-empty Go template';
  // Parsed and checked against Flux's template data: unknown fields and functions fail here, not at the first commit.
  const problem = commitTemplateProblem(template);
  return problem === undefined ? undefined : `is not a usable commit message template: ${problem}`;
}
