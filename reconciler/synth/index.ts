export * from './protocol';
export * from './synthesis-error';
export * from './synthesize-isolated';
export * from './write-manifests';
