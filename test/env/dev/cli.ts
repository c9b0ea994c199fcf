// `open-local dev up | down` (bin/open-local.ts loads this only in a source checkout). `up` runs in the
// foreground: it records its PID and the kubeconfig in .dev/state.json, brings the cluster up, prints the status
// and how to use it, and keeps it until Ctrl-C / SIGTERM, which tear down everything it started. `down` (another
// shell) sends that SIGTERM through the state file and waits for the `up` process to finish its teardown.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CliError } from '../../../lib/cli-error.js';
import { startDevCluster, statusReport, Teardown, waitReady } from '../dev-cluster.js';
import { sleep } from '../net.js';
import { pidAlive, registerExitHook } from '../processes.js';
import { parseDevArgs, parseDevState, progressLine, type DevState } from './plan.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
export const DEV_DIR = join(ROOT, '.dev');
export const STATE_FILE = join(DEV_DIR, 'state.json');
const KUBECONFIG = join(DEV_DIR, 'kubeconfig');
const DEFAULT_EXAMPLE = join(ROOT, 'examples', 'minimal.yaml');

export async function runDev(argv: readonly string[]): Promise<void> {
  let args;
  try {
    args = parseDevArgs(argv);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  if (args.command === 'down') return down();
  return up(args.nodes, args.example ?? DEFAULT_EXAMPLE, args.readyTimeoutS * 1000);
}

function readState(): DevState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return parseDevState(readFileSync(STATE_FILE, 'utf8'));
}

async function up(nodes: number, example: string, readyTimeoutMs: number): Promise<void> {
  if (!existsSync(example)) throw new CliError(`--example ${example}: no such file`, 2);
  const running = readState();
  if (running && pidAlive(running.pid)) throw new CliError(`a dev cluster is already up (pid ${running.pid}); run \`open-local dev down\` first`);
  const t0 = Date.now();
  const say = (step: string, node?: string): void => { console.log(progressLine(Date.now() - t0, step, node)); };
  const teardown = new Teardown();
  // The test environment kills every child with SIGKILL on a signal (processes.ts); here a signal means "tear down
  // gracefully" (guests halt, namespaces go), so its handlers are replaced by ours once they are installed.
  registerExitHook(() => undefined)();
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signalled > 1) process.exit(130); // a second Ctrl-C: the exit hook kills what is left at once
    say(`${signal}: tearing down`);
    void teardown.stop((line) => { say(line); }).then(() => rm(DEV_DIR, { recursive: true, force: true })).finally(() => {
      say('down');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(s);
    process.on(s, onSignal);
  }
  await mkdir(DEV_DIR, { recursive: true });
  await writeFile(STATE_FILE, JSON.stringify({ pid: process.pid, kubeconfig: KUBECONFIG, startedAt: new Date().toISOString() } satisfies DevState));

  let dev;
  try {
    dev = await startDevCluster({ nodes, exampleFile: example, kubeconfigPath: KUBECONFIG, report: say }, teardown);
  } catch (err) {
    say(`dev up failed: ${err instanceof Error ? err.message : String(err)}`);
    say('the parts that started stay up for debugging; Ctrl-C or `open-local dev down` removes them');
    await new Promise(() => undefined);
    return;
  }
  say(`waiting for OpenLocalCluster ${dev.clusterName} Ready`);
  const notReady = await waitReady(dev, readyTimeoutMs, say);
  say(notReady === undefined ? `OpenLocalCluster ${dev.clusterName} Ready` : `OpenLocalCluster ${dev.clusterName} not Ready after ${readyTimeoutMs / 1000} s:\n${notReady}\nThe cluster stays up for debugging.`);
  console.log(`\n${await statusReport(dev.api)}\n`);
  const kc = relative(process.cwd(), KUBECONFIG) || KUBECONFIG;
  console.log([
    `kubeconfig: ${KUBECONFIG}`,
    `  export KUBECONFIG=${kc}`,
    '  kubectl get openlocalcluster',
    '  kubectl get nodelocalstorage',
    '  kubectl -n open-local get pods -o wide',
    'Ctrl-C here, or `open-local dev down` (`npx tsx bin/open-local.ts dev down`) from another shell, removes the cluster.',
  ].join('\n'));
  await new Promise(() => undefined);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state || !pidAlive(state.pid)) {
    await rm(DEV_DIR, { recursive: true, force: true });
    console.log(state ? `no dev up process (pid ${state.pid} is gone); removed ${DEV_DIR}` : 'no dev cluster is up');
    return;
  }
  console.log(`stopping dev up (pid ${state.pid})`);
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 300_000;
  while (pidAlive(state.pid)) {
    if (Date.now() > deadline) throw new CliError(`dev up (pid ${state.pid}) is still tearing down after 300 s; see its terminal`);
    await sleep(500);
  }
  console.log('dev cluster removed');
}
