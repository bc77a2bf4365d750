// The toolchain locator is product code (the CLI and the reconciler run the toolchain's Pulumi);
// dev/ keeps this path for the fixtures and tests that import it from here.
export * from '../toolchain/locate';
