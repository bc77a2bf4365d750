/** Deterministic OCI building blocks: tar layers, image documents and the on-disk image layout. */
export * from './tar';
export * from './layout';
export * from './layer';
