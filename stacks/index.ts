export * from './site-config';
export * from './site-stack';
export * from './workspace';
