/**
 * HTTP plumbing shared by the webhook receivers (`source/webhook`, `images/notifications`) and the
 * server that mounts them (`status`): the route contract, typed refusals with their HTTP status,
 * constant-time signature checks and schema-checked JSON payloads.
 */
export * from './errors';
export * from './request';
export * from './body-rules';
export * from './signatures';
export * from './authenticate';
export * from './json-payload';
export * from './webhook-decision';
