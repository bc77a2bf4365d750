/** Where reconcile requests come from: git push webhooks, and the trigger that serializes and coalesces them. */
export * from './coalescing-trigger';
export * from './webhook';
export * from './worktree';
