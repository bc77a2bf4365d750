/**
 * Git push receivers (GitHub, GitLab, Gitea, generic signed JSON): authenticate a delivery, parse
 * it into a {@link PushEvent} and decide whether it concerns the watched repository and branch.
 */
export * from './push-event';
export * from './repository-url';
export * from './git-push-provider';
export * from './git-push-receiver';
export * from './git-push-route';
export { genericPushSchema, type GenericPushPayload } from './providers/generic';
