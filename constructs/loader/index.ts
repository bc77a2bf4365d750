export * from './fleet-load-error';
export * from './load-fleet';
export * from './load-image-lock';
