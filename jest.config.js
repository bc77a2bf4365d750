/** @type {import('jest').Config} */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Config repositories import the constructs by this name (see reconciler/synth).
  moduleNameMapper: { '^fluxops/constructs$': '<rootDir>/constructs' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: { warnOnly: false } }],
    // @kubernetes/client-node 1.x and its auth helpers ship ES modules only; Jest's loader needs
    // them as CommonJS (Node 20 itself can require them).
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
};

module.exports = {
  // Jest reads the timeout from the top level only (a project's testTimeout is ignored). Tests
  // that start servers set their own, longer ones; this covers the rest on a loaded machine.
  testTimeout: 60000,
  projects: [
    // Pure logic: no servers, fast.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] },
    // Crosses a boundary: starts the real local edge cluster, registry, git remote or Pulumi CLI.
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.int.test.ts'] },
  ],
};
