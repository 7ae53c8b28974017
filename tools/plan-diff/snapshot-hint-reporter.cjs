// Jest reporter: when a snapshot test failed (a synthesized stack no longer matches its snapshot), prints one line
// pointing to plan-diff, which summarizes what the synthesized plans change far more readably than a JSON diff.
// Written at exit, so it comes after Jest's own summary; the exit listener is prepended, so the line still comes
// before scripts/summary-reporter.cjs's closing "tests: ..." line.
const HINT =
  'Snapshots changed: run `npm run plan-diff -- --base HEAD` for a readable summary of what the synthesized plans change.';

/** The hint when the aggregated results hold a failed snapshot assertion (mismatched, or not written under --ci). */
function snapshotHint(results) {
  const snapshot = (results && results.snapshot) || {};
  const failed = snapshot.unmatched || 0;
  const notWritten = (results && results.testResults ? results.testResults : []).some((file) =>
    (file.testResults || []).some(
      (test) => test.status === 'failed' && (test.failureMessages || []).some((m) => /New snapshot was not written/.test(m)),
    ),
  );
  return failed > 0 || notWritten ? HINT : undefined;
}

class SnapshotHintReporter {
  constructor() {
    /** Runs `print` once the run is over (replaced in tests). */
    this.atExit = (print) => process.prependListener('exit', print);
    /** Where the hint goes (replaced in tests). */
    this.write = (text) => process.stderr.write(text);
  }

  onRunComplete(_contexts, results) {
    const hint = snapshotHint(results);
    if (hint) this.atExit(() => this.write(`\n${hint}\n`));
  }
}

module.exports = SnapshotHintReporter;
module.exports.snapshotHint = snapshotHint;
module.exports.HINT = HINT;
