/**
 * Commit message templates: Go text/template syntax over Flux's image-automation template data,
 * so one template works in FluxOps and in Flux. Parsed and checked when a fleet is defined,
 * rendered when image automation commits.
 */
export * from './commit-template';
export * from './commit-template-data';
export * from './commit-template-error';
export { TEMPLATE_FUNCTIONS, UNSUPPORTED_SPRIG_FUNCTIONS } from './go-template-functions';
