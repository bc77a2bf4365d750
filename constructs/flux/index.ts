export * from './api-versions';
export * from './flux-semver-range';
export * from './render-flux-objects';
