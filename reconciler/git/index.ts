/**
 * FluxOps' git plumbing: the one place the `git` executable runs for the reconciler (following
 * the config repository) and for image automation (writing updates back). Credentials travel in
 * git's environment only, failures are classified once into typed errors, faults are retried.
 */
export * from './classify-git-failure';
export * from './git-auth';
export * from './git-client';
export * from './git-errors';
export * from './git-retry';
export * from './git-url';
export * from './keyed-mutex';
export * from './redact';
export * from './remote-heads';
export * from './run-git';
export * from './ssh-command';
export * from './user-checkout';
