/**
 * The last step of image automation (registry -> policy -> lock -> **git**): commit lock and
 * setter changes to the config repository and push them without ever losing a human commit.
 */
export * from './lock-decision';
export * from './push-status';
export * from './update-branch';
export * from './write-back';
export * from './write-back-errors';
