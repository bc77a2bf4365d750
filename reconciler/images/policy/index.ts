/**
 * "How versions compare": image policies with Flux semantics (semver, alphabetical, numerical;
 * tag filters; exclusion lists) and the selection pipeline that adds FluxOps's safety rules
 * (required platforms, no downgrade, holds, bad tags, digest pinning) on top.
 */
export * from './errors';
export * from './tag-rejection';
export * from './tag-ordering';
export * from './semver-ordering';
export * from './alphabetical-ordering';
export * from './numerical-ordering';
export * from './exclusion-list';
export * from './tag-policy';
export * from './select-image';
