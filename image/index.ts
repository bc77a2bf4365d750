/**
 * The FluxOps reconciler image, built without Docker: pinned inputs (Node from npm, Debian
 * packages, cross-compiled Pulumi), deterministic layers and an OCI layout pushed with skopeo.
 */
export * from './errors';
export * from './platforms';
export * from './pins';
export * from './node-runtime';
export * from './pulumi-binaries';
export * from './fluxops-files';
export * from './build-image';
export * from './push-image';
export * from './base';
export * from './oci';
