/** Renderers: one event -> the request(s) a destination receives. Pure. */
export * from './outgoing-request';
export * from './webhook';
export * from './slack';
export * from './teams';
export * from './commit-status';
