/**
 * jest testSequencer: jest's own order (failed files first, then the slowest), except that test/library.test.ts runs
 * last. Under `npm test` it uses the package build that test/typecheck-build.cjs makes beside the tests; last, it
 * finds that build done instead of holding a worker while it waits.
 */
const Sequencer = require('@jest/test-sequencer').default;

const LAST = /[\\/]test[\\/]library\.test\.ts$/;

class LibraryLast extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => !LAST.test(t.path)), ...sorted.filter((t) => LAST.test(t.path))];
  }
}

module.exports = LibraryLast;
