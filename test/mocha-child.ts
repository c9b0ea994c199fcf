// One mocha process started by a test runner (test/run-files.ts: one integration file; test/e2e/run.ts: one
// cluster's scenarios): its lines, its closing counts (the summary reporter's "N passed, N failed, N skipped"), and
// its exit. Our SIGTERM/SIGINT is passed on so it tears its control planes and guests down; and if this runner dies
// without passing anything on (SIGKILL, or its tsx wrapper killed), the child sees its stdin close and does the same
// (exit-with-parent.ts), so no cluster outlives the run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = new URL('../', import.meta.url).pathname;
const MOCHA = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const EXIT_WITH_PARENT = join(ROOT, 'test', 'exit-with-parent.ts');
const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;

export type Counts = readonly [passed: number, failed: number, skipped: number];

export interface MochaChildOptions {
  /** mocha's arguments (config, files). */
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Each output line as it comes; without it the lines are kept and returned in `output`. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface MochaChildResult {
  /** The exit code; 1 when a signal ended it. */
  readonly code: number;
  /** The last summary line's counts; undefined when it ended without one (crashed or killed). */
  readonly counts: Counts | undefined;
  /** Its output, stdout and stderr lines in arrival order (empty with onLine). */
  readonly output: string;
  readonly ms: number;
}

export function runMochaChild(opts: MochaChildOptions): Promise<MochaChildResult> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [MOCHA, '--require', EXIT_WITH_PARENT, ...opts.args], {
    cwd: ROOT,
    // stdin stays open and unwritten: its end tells the child this runner is gone.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  const lines: string[] = [];
  let counts: Counts | undefined;
  const streams = [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const;
  const closed = streams.map(([stream, name]) => new Promise<void>((resolve) => {
    createInterface({ input: stream }).on('line', (line) => {
      const m = SUMMARY.exec(line);
      if (m) counts = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (opts.onLine) opts.onLine(line, name);
      else lines.push(line);
    }).on('close', resolve);
  }));
  const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
  process.on('SIGTERM', forward).on('SIGINT', forward);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      process.off('SIGTERM', forward).off('SIGINT', forward);
      void Promise.all(closed).then(() => {
        resolve({ code: code ?? (signal ? 1 : 0), counts, output: lines.join('\n'), ms: Date.now() - t0 });
      });
    });
  });
}

/** The counts of several runs added up. */
export function sumCounts(runs: readonly { readonly counts: Counts | undefined }[]): Counts {
  const total = [0, 0, 0] as [number, number, number];
  for (const r of runs) r.counts?.forEach((n, i) => { total[i]! += n; });
  return total;
}

export const summaryLine = (c: Counts): string => `${c[0]} passed, ${c[1]} failed, ${c[2]} skipped`;
