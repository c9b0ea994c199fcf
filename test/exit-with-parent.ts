// Required (mocha --require) into each mocha process test/mocha-child.ts starts. The runner holds this process's stdin open and never
// writes to it, so its end means the runner died without passing a signal on (SIGKILL, or its tsx wrapper killed).
// This process then signals itself as the runner would have, and its exit hooks (test/env/processes.ts) stop the
// control planes and guests it started instead of leaving them running.
if (!process.stdin.isTTY) {
  process.stdin.on('end', () => { process.kill(process.pid, 'SIGTERM'); });
  process.stdin.resume();
  // Reading stdin must not keep mocha from exiting when its tests are done.
  process.stdin.unref();
}
