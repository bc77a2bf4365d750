/** @type {import('jest').Config} */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Config repositories import the constructs by this name (see constructs/loader).
  moduleNameMapper: { '^fluxops/constructs$': '<rootDir>/constructs' },
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: { warnOnly: false } }] },
};

module.exports = {
  projects: [
    // Pure logic: no servers, fast.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] },
    // Crosses a boundary: starts the real local edge cluster, registry, git remote or Pulumi CLI.
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.int.test.ts'], testTimeout: 300000 },
  ],
};
