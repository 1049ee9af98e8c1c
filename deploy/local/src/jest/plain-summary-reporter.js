// @ts-check
// Ends a Jest run with one plain line, "tests: N passed, N failed, N skipped", that CI and humans can
// read without knowing Jest's format; skipped tests are listed with their reason (the test's title).
class PlainSummaryReporter {
  /** @param {import('@jest/reporters').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
          skipped.push(test.fullName);
        }
      }
    }
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    // After Jest's own summary, which other reporters print later in this same callback chain.
    process.once('exit', () => {
      for (const name of skipped) process.stderr.write(`skipped: ${name}\n`);
      process.stderr.write(`\n${line}\n`);
    });
  }
}

module.exports = PlainSummaryReporter;
