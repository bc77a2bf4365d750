export * from './image-lock';
export * from './image-lock-error';
export * from './image-lock-schema';
export * from './parse-image-lock';
export * from './serialize-image-lock';
