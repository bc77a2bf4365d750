/**
 * Flux API versions the `flux` flavor emits: the GA versions Flux v2.9 serves (its image CRDs
 * serve only `image.toolkit.fluxcd.io/v1`; v1beta2 is no longer served). Tests dry-run them
 * against the real CRDs (`toolchain/flux-versions.env`).
 */
export const FLUX_API = {
  gitRepository: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' },
  kustomization: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' },
  imageRepository: { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository' },
  imagePolicy: { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImagePolicy' },
  imageUpdateAutomation: { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageUpdateAutomation' },
} as const;

/**
 * The notification kinds the `flux` flavor emits for `Alert`s: `v1beta3`, the storage version of
 * Provider and Alert in notification-controller v1.9 (its `v1` holds only Receiver). Kept apart
 * from {@link FLUX_API}: only fleets with alerts emit them.
 */
export const FLUX_NOTIFICATION_API = {
  provider: { apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Provider' },
  alert: { apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Alert' },
} as const;

/** The setter comment Flux's `Setters` strategy looks for on an image field. */
export function imagePolicySetter(namespace: string, policy: string): string {
  return `{"$imagepolicy": "${namespace}:${policy}"}`;
}
