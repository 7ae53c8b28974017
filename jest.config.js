/** Tests run through SWC without type-checking; `npm run typecheck` (tsc --noEmit) type-checks once. */

// The workers inherit this process's Node options (jest-worker forks with process.execArgv). Each test file runs in
// a fresh context for well under a second: TurboFan's optimizations are compiled per context and rarely pay off
// there, so without them the default suite takes about 15% less CPU. The deep run (DEEP_TESTS=1, CI) keeps them: its
// fuzzing runs for tens of seconds in one file, where they do pay off.
if (process.env.DEEP_TESTS !== '1' && !process.execArgv.includes('--no-opt')) process.execArgv.push('--no-opt');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // cdktf loads archiver eagerly; it is loaded here on first use (test/lazy-archiver.cjs).
  moduleNameMapper: { '^archiver$': '<rootDir>/test/lazy-archiver.cjs' },
  testTimeout: 30000,
  // One worker per core: the files are independent and most of their time is CPU; jest's default leaves a core
  // idle, half the machine on a 2-core one.
  maxWorkers: '100%',
  // Token creation stacks stay cheap; real errors keep jest's source-mapped traces (test/stack-traces.cjs).
  setupFiles: ['<rootDir>/test/stack-traces.cjs'],
  // jest's runtime, each module read and compiled once per worker, not once per test file (test/compiled-modules.cjs).
  runtime: '<rootDir>/test/compiled-modules.cjs',
  // test/library.test.ts halfway: under `npm test` the package build it runs runs beside the tests (test/typecheck.cjs).
  testSequencer: '<rootDir>/test/sequencer.cjs',
  // One temporary directory per run, removed at the end (test/temp-dir.cjs).
  globalSetup: '<rootDir>/test/global-setup.cjs',
  globalTeardown: '<rootDir>/test/global-teardown.cjs',
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs', '<rootDir>/tools/plan-diff/snapshot-hint-reporter.cjs'],
};
