// Mocha's spec reporter plus one plain closing line ("N passed, N failed, N skipped") that any CI can read, and the
// slowest test files with their wall time (hooks included): CI time is a budget, and this shows where it goes.
const { relative } = require('node:path');
const Mocha = require('mocha');

const SLOWEST = 12;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const files = new Map();
    let current;
    const enter = (file) => {
      if (!file || file === current?.file) return;
      const now = Date.now();
      if (current) files.set(current.file, (files.get(current.file) ?? 0) + now - current.since);
      current = { file, since: now };
    };
    // Hooks and tests carry their file; a root-level suite's hooks run inside it.
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite) => enter(suite.file));
    runner.on(Mocha.Runner.constants.EVENT_HOOK_BEGIN, (hook) => enter(hook.file ?? hook.parent?.file));
    runner.on(Mocha.Runner.constants.EVENT_TEST_BEGIN, (test) => enter(test.file));
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      enter('(end)');
      const s = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      const slow = [...files].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
      if (slow.length > 1) {
        process.stdout.write(`\nslowest files (wall time):\n`);
        for (const [file, ms] of slow) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${relative(process.cwd(), file)}\n`);
      }
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = SummaryReporter;
