// Runs end-to-end scenarios (test/e2e/scenarios/NN-<name>.test.ts, by name or number; all when none is named).
//
//   npm run test:e2e                          all of them, on two clusters of their own booted side by side
//   npm run e2e -- [scenario ...]             against the cluster `npm start -- --example test/e2e/cluster.yaml`
//                                             is running, for debugging one scenario without booting a cluster
//   npm run e2e -- [scenario ...] --own-cluster [--clusters N]
//                                             on N clusters of their own (default 1)
//
// Each cluster is one mocha process (test/e2e/cluster.ts boots its cluster and tears it down); with more than one,
// their lines are prefixed with the cluster's number. Exit code: the number of failed tests, 2 for a bad argument.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runMochaChild, sumCounts, summaryLine, type MochaChildResult } from '../mocha-child.js';
import { pickScenarios, splitAcrossClusters } from './scenario-groups.js';

const DIR = new URL('scenarios/', import.meta.url).pathname;

interface Args { readonly scenarios: string[]; readonly own: boolean; readonly clusters: number }

function parseArgs(argv: readonly string[]): Args {
  const scenarios: string[] = [];
  let own = false;
  let clusters = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--own-cluster') own = true;
    else if (a === '--clusters') {
      const v = argv[++i] ?? '';
      clusters = /^[1-9]\d*$/.test(v) ? Number(v) : NaN;
      if (Number.isNaN(clusters)) throw new Error(`--clusters takes a whole number ≥ 1, not "${v}"`);
      own = true;
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a} (options: --own-cluster, --clusters N)`);
    else scenarios.push(a);
  }
  return { scenarios, own, clusters };
}

/** One mocha process over `files`; with a label, each of its lines is prefixed with it. */
function runMocha(files: readonly string[], own: boolean, label: string | undefined): Promise<MochaChildResult> {
  return runMochaChild({
    args: ['--config', join(ROOT, '.mocharc.e2e.json'), ...files.map((f) => join(DIR, f))],
    env: { ...process.env, OPEN_LOCAL_E2E_ATTACH: own ? '0' : '1' },
    onLine: (line, stream) => { (stream === 'stdout' ? process.stdout : process.stderr).write(`${label ? `[${label}] ` : ''}${line}\n`); },
  });
}

async function main(argv: readonly string[]): Promise<number> {
  let args: Args;
  let groups: string[][];
  try {
    args = parseArgs(argv);
    const files = readdirSync(DIR).filter((f) => f.endsWith('.test.ts')).sort();
    const picked = pickScenarios(files, args.scenarios);
    groups = args.clusters === 1 ? [picked] : splitAcrossClusters(picked, args.clusters);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (groups.length === 1) return (await runMocha(groups[0]!, args.own, undefined)).code;

  const t0 = Date.now();
  groups.forEach((g, i) => { console.log(`[c${i + 1}] ${g.join(', ')}`); });
  const outcomes = await Promise.all(groups.map((g, i) => runMocha(g, args.own, `c${i + 1}`)));
  const lost = outcomes.filter((o) => o.counts === undefined).length;
  console.log(`\n${groups.length} clusters side by side, ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
  if (lost > 0) console.log(`${lost} cluster run(s) ended without a summary (crashed or killed)`);
  console.log(summaryLine(sumCounts(outcomes)));
  return Math.min(255, outcomes.reduce((n, o) => n + (o.code === 0 ? 0 : Math.max(o.code, 1)), 0));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
