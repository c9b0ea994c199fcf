// `tsx test/run-files.ts --config .mocharc.integration.json [--jobs N]`: the config's spec files, each in a mocha
// process of its own, N at a time (default 2, or OPEN_LOCAL_TEST_JOBS). Most integration time is waiting (control
// planes starting, UML guests booting, controllers acting), so two files side by side on the 2-core machine take
// little more than one. The next file starts as soon as one ends (no fixed split that a slow file unbalances). A
// file's output is printed whole when it ends, so files never interleave; then the wall time of the slowest files
// and one closing line "N passed, N failed, N skipped". Exit code: the number of failed tests (1 for a file that
// crashed without a summary), 2 for a bad argument.
import { globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT, runMochaChild, sumCounts, summaryLine, type MochaChildResult } from './mocha-child.js';

const SLOWEST = 12;

interface Result extends MochaChildResult { readonly file: string }

function parseArgs(argv: readonly string[]): { config: string; jobs: number } {
  let config: string | undefined;
  let jobsText = process.env['OPEN_LOCAL_TEST_JOBS'] ?? '2';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') config = argv[++i];
    else if (argv[i] === '--jobs') jobsText = argv[++i] ?? '';
    else throw new Error(`unknown argument ${argv[i] ?? ''} (usage: --config <mocharc.json> [--jobs N])`);
  }
  if (!config) throw new Error('--config <mocharc.json> is required');
  if (!/^[1-9]\d*$/.test(jobsText)) throw new Error(`jobs must be a whole number ≥ 1, not "${jobsText}"`);
  return { config, jobs: Number(jobsText) };
}

interface Config { readonly files: string[]; /** The config without its spec globs (mocha would add them to the file named). */ readonly perFile: string }

function readConfig(path: string, dir: string): Config {
  const { spec, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as { spec?: string | string[] } & Record<string, unknown>;
  const patterns = spec === undefined ? [] : Array.isArray(spec) ? spec : [spec];
  const perFile = join(dir, 'mocharc.json');
  // Relative paths in the config (the reporter) are relative to the working directory, which stays ROOT.
  writeFileSync(perFile, JSON.stringify(rest));
  return { files: [...new Set(patterns.flatMap((p) => globSync(p, { cwd: ROOT })))].sort(), perFile };
}

async function runFile(config: string, file: string): Promise<Result> {
  const r = await runMochaChild({ args: ['--config', config, file] });
  process.stdout.write(`\n━━ ${file} (${(r.ms / 1000).toFixed(1)} s)\n${r.output}\n`);
  return { file, ...r };
}

async function main(argv: readonly string[]): Promise<number> {
  let args: { config: string; jobs: number };
  let config: Config;
  const dir = mkdtempSync(join(tmpdir(), 'open-local-run-files-'));
  try {
    args = parseArgs(argv);
    config = readConfig(args.config, dir);
    if (config.files.length === 0) throw new Error(`${args.config} names no spec file`);
  } catch (err) {
    console.error((err as Error).message);
    rmSync(dir, { recursive: true, force: true });
    return 2;
  }
  try {
    return await runAll(config, args.jobs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runAll(config: Config, jobs: number): Promise<number> {
  const files = config.files;
  const t0 = Date.now();
  const queue = [...files];
  const results: Result[] = [];
  let notRun = 0;
  const stop = (): void => { notRun = queue.length; queue.length = 0; };
  process.once('SIGTERM', stop).once('SIGINT', stop);
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) results.push(await runFile(config.perFile, file));
  };
  console.log(`${files.length} files, ${jobs} at a time`);
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));

  const slow = [...results].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
  console.log(`\nslowest files (wall time, ${jobs} at a time, ${((Date.now() - t0) / 60_000).toFixed(1)} min in all):`);
  for (const r of slow) console.log(`  ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${relative(ROOT, join(ROOT, r.file))}`);
  const crashed = results.filter((r) => r.counts === undefined);
  for (const r of crashed) console.log(`${r.file}: ended (exit code ${r.code}) without a summary`);
  const total = sumCounts(results);
  const failedFiles = results.filter((r) => r.code !== 0).map((r) => r.file);
  if (failedFiles.length > 0) console.log(`failed: ${failedFiles.join(', ')}`);
  if (notRun > 0) console.log(`stopped by a signal: ${notRun} files not run`);
  console.log(`\n${summaryLine(total)}`);
  return Math.min(255, total[1] + crashed.length + (notRun > 0 ? 1 : 0));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
