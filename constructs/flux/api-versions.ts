/** Flux API versions the `flux` flavor emits (Flux v2.x CRDs). */
export const FLUX_API = {
  gitRepository: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' },
  kustomization: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' },
  imageRepository: { apiVersion: 'image.toolkit.fluxcd.io/v1beta2', kind: 'ImageRepository' },
  imagePolicy: { apiVersion: 'image.toolkit.fluxcd.io/v1beta2', kind: 'ImagePolicy' },
  imageUpdateAutomation: { apiVersion: 'image.toolkit.fluxcd.io/v1beta2', kind: 'ImageUpdateAutomation' },
} as const;

/** The setter comment Flux's `Setters` strategy looks for on an image field. */
export function imagePolicySetter(namespace: string, policy: string): string {
  return `{"$imagepolicy": "${namespace}:${policy}"}`;
}
