export * from './apply-order';
export * from './manifest-yaml';
export * from './synthesize';
export * from './write-manifests';
