export * from './scan-images';
export * from './update-images';
