// `npm run e2e -- [scenario ...] [--own-cluster]`: runs end-to-end scenarios (test/e2e/scenarios/NN-<name>.test.ts,
// by name or number; all when none is named) against the cluster `npm start -- --example test/e2e/cluster.yaml` is
// running, for debugging one scenario without booting a cluster each time. --own-cluster boots one as
// `npm run test:e2e` does. Exit code: mocha's (the number of failed tests), 2 for a bad argument.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const DIR = new URL('scenarios/', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;

export function pickScenarios(files: readonly string[], wanted: readonly string[]): string[] {
  if (wanted.length === 0) return [...files];
  return wanted.map((w) => {
    const hits = files.filter((f) => f === w || f.startsWith(`${w}-`) || f.replace(/^\d+-/, '').replace(/\.test\.ts$/, '') === w);
    if (hits.length !== 1) throw new Error(`scenario "${w}" ${hits.length === 0 ? 'matches none' : `matches ${hits.join(', ')}`} of: ${files.join(', ')}`);
    return hits[0]!;
  });
}

function main(argv: readonly string[]): number {
  const own = argv.includes('--own-cluster');
  const files = readdirSync(DIR).filter((f) => f.endsWith('.test.ts')).sort();
  let picked: string[];
  try {
    picked = pickScenarios(files, argv.filter((a) => a !== '--own-cluster'));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const mocha = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const r = spawnSync(process.execPath, [mocha, '-n', 'import=tsx', '--extension', 'ts', '--timeout', '600000', ...picked.map((f) => join(DIR, f))], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...(own ? {} : { OPEN_LOCAL_E2E_ATTACH: '1' }) },
  });
  return r.status ?? 1;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) process.exit(main(process.argv.slice(2)));
