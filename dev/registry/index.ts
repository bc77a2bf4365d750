/**
 * The local OCI registry for tests and `fluxops demo`: a real distribution server on 127.0.0.1,
 * a Docker-free multi-arch image pusher, and plain-HTTP read helpers.
 */
export * from './errors';
export * from './tar';
export * from './oci-layout';
export * from './client';
export * from './start-registry';
export * from './push-image';
export * from './htpasswd';
export * from './token-server';
export * from './fault-proxy';
