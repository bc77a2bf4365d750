export * from './plan-rollback';
export * from './roll-back';
