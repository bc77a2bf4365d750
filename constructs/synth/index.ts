export * from './apply-order';
export * from './manifest-yaml';
export * from './synthesize';
