/** Tests run through SWC without type-checking; `npm run typecheck` (tsc --noEmit) type-checks once. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // One temporary directory per run, removed at the end (test/temp-dir.cjs).
  globalSetup: '<rootDir>/test/global-setup.cjs',
  globalTeardown: '<rootDir>/test/global-teardown.cjs',
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs', '<rootDir>/tools/plan-diff/snapshot-hint-reporter.cjs'],
};
