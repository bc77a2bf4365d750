/**
 * FluxOps constructs: the typed way a config repository describes its edge fleet, and the
 * pure synthesis that turns it into Kubernetes (and optionally Flux) objects.
 *
 * Entry points for callers:
 * - config repositories: `defineFleet`, `EdgeApp`, `Site`, `GitSource`, `ImageRepository`,
 *   `ImagePolicy`, `ImageUpdateAutomation`, `Alert`, `RawObjects`;
 * - synthesis (run isolated by `reconciler/synth`): `synthesize`, `synthesizeSites`,
 *   `checkImageLock`;
 * - image automation: `parseImageLock`, `serializeImageLock`, `withLockEntry`, `withLockHold`,
 *   `withBadTag`, `effectiveHold`, `policyCandidate`;
 * - notifications: `alertSpecs` (the fleet's alerts as plain data for `reconciler/notify`).
 */
export { ConstructValidationError, formatValue } from './construct-validation-error';
export { FleetValidationError, FleetProblem } from './fleet-validation-error';
export { Fleet, FleetProps, FleetBuilder, FleetDefinition, defineFleet, isFleetDefinition } from './fleet';
export {
  GitSource,
  GitSourceProps,
  GitRef,
  GitBranchRef,
  GitTagRef,
  GitSemverRef,
  GitCommitRef,
} from './git-source';
export { ImageRepository, ImageRepositoryProps } from './image-repository';
export {
  ImagePolicy,
  ImagePolicyProps,
  ImagePolicyRule,
  SemverPolicyRule,
  AlphabeticalPolicyRule,
  NumericalPolicyRule,
  SortOrder,
  ImageHold,
  ImageRollback,
  policyCandidate,
} from './image-policy';
export { ImageSource, NormalizedImageSource } from './image-source';
export {
  ImageUpdateAutomation,
  ImageUpdateAutomationProps,
  ImageUpdateAutomationBaseProps,
  ImageUpdateAutomationOnBranchProps,
  ImageUpdateAutomationExplicitBranchProps,
  CommitAuthor,
  CI_SKIP_MARKER,
  DEFAULT_COMMIT_MESSAGE_TEMPLATE,
} from './image-update-automation';
export {
  EdgeContainer,
  ContainerPortSpec,
  Protocol,
  EnvValueSpec,
  ConfigMapKeyRef,
  SecretKeyRef,
  FieldRef,
  PodFieldPath,
  EnvFromSpec,
  ProbeSpec,
  ProbeTiming,
  PortRef,
  ResourceSpec,
  VolumeMountSpec,
  ImagePullPolicy,
  ResolvedContainer,
  ResolvedProbe,
  DEFAULT_RESOURCES,
} from './container-spec';
export {
  VolumeSpec,
  EmptyDirVolumeSpec,
  ConfigMapVolumeSpec,
  SecretVolumeSpec,
  HostPathVolumeSpec,
  PersistentVolumeClaimVolumeSpec,
  DEFAULT_EMPTY_DIR_SIZE_LIMIT,
} from './volume-spec';
export {
  ServiceSpec,
  ClusterIpServiceSpec,
  NodePortServiceSpec,
  LoadBalancerServiceSpec,
  ServicePortSpec,
  NodeServicePortSpec,
  IngressSpec,
  ResolvedService,
  ResolvedServicePort,
  ResolvedIngress,
} from './exposure-spec';
export {
  EdgeApp,
  EdgeAppProps,
  EdgeAppBaseProps,
  EdgeAppWithServiceProps,
  EdgeAppWithoutServiceProps,
  SpreadSpec,
  PodSecuritySpec,
  AppConfigSpec,
  ResolvedSpread,
  ResolvedPodSecurity,
  DEFAULT_NON_ROOT_ID,
} from './edge-app';
export { Site, SiteProps, SiteNode, AppOverride, SiteImageHold } from './site';
export { RawObjects, RawObjectsProps, KubeObject } from './raw-objects';
export { Alert, AlertProps, AlertSecretKey } from './alert';
export {
  AlertEventKind,
  AlertSeverity,
  ALERT_EVENT_KINDS,
  ALERT_SEVERITIES,
  EVENT_SEVERITY,
  IMAGE_EVENT_KINDS,
  isAlertEventKind,
  isAlertSeverity,
  severityRank,
} from './alert-events';
export {
  AlertProvider,
  AlertProviderKind,
  WebhookAlertProvider,
  SlackAlertProvider,
  TeamsAlertProvider,
  GitHubAlertProvider,
  GiteaAlertProvider,
  ResolvedAlertProvider,
  ALERT_PROVIDER_KINDS,
  ALERT_SECRET_KEYS,
  GITHUB_API_URL,
  alertSecretConfigKey,
} from './alert-provider';
export { AlertSpec, AlertFilters, FleetTopology, alertSpecs, alertSpecsForSite, fleetTopology } from './alert-spec';
export { SecretReference } from './secret-reference';
export { SynthWarning, SynthWarningCode } from './synth-warning';
export { ResolvedImage, ImageResolution, resolveImage } from './resolve-image';
export { EffectiveHold, effectiveHold } from './effective-hold';
export * from './lock';
export { checkImageLock, CheckImageLockOptions, LockProblem, LockProblemCode, DEFAULT_TAG_EXCLUSIONS } from './lock/check-image-lock';
export * from './commit-template';
export * from './synth';
export { AppRenderContext, RenderedApp, RenderedObject, ImageSetter, renderEdgeApp, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SITE_LABEL } from './render';
export { FLUX_API, FLUX_NOTIFICATION_API, imagePolicySetter, toFluxSemverRange } from './flux';
export {
  Architecture,
  KNOWN_ARCHITECTURES,
  OperatingSystem,
  Platform,
  CpuQuantity,
  MemoryQuantity,
  DurationUnit,
  FluxInterval,
  PrereleaseHandling,
  TagFilter,
  ImageReference,
  CompiledGoRegex,
  GoRegexMatch,
  applyTagFilter,
  compileGoRegex,
  execGoRegex,
} from './validation';
export * as validation from './validation';
