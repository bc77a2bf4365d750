export * from './errors';
export * from './fluxops-source';
export * from './init-options';
export * from './init-repository';
export * from './plan';
export * from './template';
export * from './write-scaffold';
