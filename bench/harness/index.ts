/** The benchmark report's parts: module contract, verdicts, rendering, plot, measuring helpers. */
export * from './types';
export * from './verdict';
export * from './render';
export * from './svg-plot';
export * from './measure';
export * from './machine';
export * from './run-process';
export * from './args';
export * from './combine';
