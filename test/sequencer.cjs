/**
 * jest testSequencer: jest's own order (failed files first, then the slowest), except that test/library.test.ts runs
 * halfway through. Under `npm test` it uses the package build that test/typecheck-build.cjs makes beside the tests:
 * halfway, it finds that build done instead of holding a worker while it waits, and the small files that follow it
 * still fill both workers to the end (run last, it left one worker idle for its half second).
 */
const Sequencer = require('@jest/test-sequencer').default;

const LIBRARY = /[\\/]test[\\/]library\.test\.ts$/;

class LibraryHalfway extends Sequencer {
  sort(tests) {
    const others = super.sort(tests).filter((t) => !LIBRARY.test(t.path));
    const library = tests.filter((t) => LIBRARY.test(t.path));
    const half = Math.ceil(others.length / 2);
    return [...others.slice(0, half), ...library, ...others.slice(half)];
  }
}

module.exports = LibraryHalfway;
