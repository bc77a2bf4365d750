export * from './fluxops-error';
