export * from './labels';
export * from './rendered-object';
export * from './render-edge-app';
