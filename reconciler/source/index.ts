/**
 * Where reconcile requests and config come from: git push webhooks, the trigger that serializes
 * and coalesces them, and following the config repository (`headOf`, `GitCache`, `GitRepository`).
 */
export * from './coalescing-trigger';
export * from './git-cache';
export * from './git-repository';
export * from './head-of';
export * from './webhook';
export * from './worktree';
