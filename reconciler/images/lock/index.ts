/**
 * How files change in image automation (registry -> policy -> **lock** -> git): pure functions
 * from file contents to new file contents plus a typed change set. Committing is a separate step.
 */
export * from './lock-change';
export * from './lock-edit-error';
export * from './update-lock-text';
export * from './setter-errors';
export * from './setter-marker';
export * from './update-setters';
export * from './render-commit-message';
export * from './lock-notes-message';
export * from './setter-images';
