// cluster.ts: a local control plane for trying the operator by hand (the same one the integration
// tests start: real etcd + kube-apiserver with RBAC, optionally kube-controller-manager and
// kube-scheduler; binaries from `bash scripts/build-peers.sh`).
//
//   npm run cluster:up [-- --with-controller-manager] [-- --with-scheduler] [-- --detach]
//   npm run cluster:down
//
// `up` runs in the foreground: it prints `export KUBECONFIG=<repo>/.cluster/kubeconfig` and keeps the
// control plane until Ctrl-C or SIGTERM, then stops it and removes .cluster/. With --detach it starts
// itself in the background (log in .cluster/cluster.log), waits until the control plane is ready and
// returns. `down` stops a running one (foreground or detached) through .cluster/state.json, kills any
// process it recorded that is still alive, and removes .cluster/. Etcd data lives in a temp dir and is
// gone after `down`: every `up` is a fresh cluster. Exit codes: 0 ok, 1 failure, 2 bad usage.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../test/env/control-plane.js';
import { sleep } from '../test/env/net.js';
import { pidAlive } from '../test/env/processes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATE_DIR = join(ROOT, '.cluster');
const STATE_FILE = join(STATE_DIR, 'state.json');
const KUBECONFIG = join(STATE_DIR, 'kubeconfig');
const LOG_FILE = join(STATE_DIR, 'cluster.log');

interface State {
  readonly pid: number;
  readonly server: string;
  readonly kubeconfig: string;
  readonly dir: string;
  readonly processes: readonly { readonly name: string; readonly pid: number }[];
  readonly startedAt: string;
}

const USAGE = `usage: tsx scripts/cluster.ts up [--with-controller-manager] [--with-scheduler] [--detach]
       tsx scripts/cluster.ts down`;

function readState(): State | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

async function up(flags: readonly string[]): Promise<void> {
  const known = ['--with-controller-manager', '--with-scheduler', '--detach'];
  const bad = flags.filter((f) => !known.includes(f));
  if (bad.length > 0) usage(`unknown option ${bad.join(' ')}`);
  const running = readState();
  if (running && pidAlive(running.pid)) {
    throw new Error(`a cluster is already running (pid ${running.pid}, ${running.server}); run: npm run cluster:down`);
  }
  if (running) await down(); // stale state of a killed run
  if (flags.includes('--detach')) {
    await detach(flags.filter((f) => f !== '--detach'));
    return;
  }

  await mkdir(STATE_DIR, { recursive: true });
  const run: { cp?: ControlPlane; stopping: boolean } = { stopping: false };
  const shutdown = (signal: NodeJS.Signals): void => {
    if (run.stopping) return;
    run.stopping = true;
    console.error(`\n${signal}: stopping the control plane...`);
    void (async () => {
      await run.cp?.stop();
      await rm(STATE_DIR, { recursive: true, force: true });
      process.exit(0);
    })();
  };
  // Registered before any process starts, so these run before the harness' own exit hook.
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);

  const t0 = Date.now();
  const cp = await startControlPlane({
    withControllerManager: flags.includes('--with-controller-manager'),
    withScheduler: flags.includes('--with-scheduler'),
    kubeconfigPath: KUBECONFIG,
  });
  run.cp = cp;
  const state: State = {
    pid: process.pid,
    server: cp.server,
    kubeconfig: KUBECONFIG,
    dir: cp.dir,
    processes: cp.processes.map((p) => ({ name: p.name, pid: p.pid })),
    startedAt: new Date().toISOString(),
  };
  await writeFile(STATE_FILE, JSON.stringify(state, null, 2) + '\n');
  const rel = relative(process.cwd(), KUBECONFIG) || KUBECONFIG;
  console.log(`Control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${cp.server}`);
  console.log(`  ${cp.processes.map((p) => `${p.name} (pid ${p.pid}, log ${p.logPath})`).join('\n  ')}`);
  console.log(`\n  export KUBECONFIG=${KUBECONFIG}`);
  console.log(`  kubectl --kubeconfig ${rel} get namespaces   # user admin, group system:masters`);
  console.log('\nStop with Ctrl-C here, or `npm run cluster:down` from another shell.');

  // Keep running; if a component dies, say so and stop everything.
  const died = await Promise.race(cp.processes.map((p) => p.exited.then(() => p)));
  if (!run.stopping) {
    console.error(`${died.name} exited unexpectedly (log: ${died.logPath}); stopping.`);
    run.stopping = true;
    await cp.stop();
    await rm(STATE_DIR, { recursive: true, force: true });
    process.exit(1);
  }
}

async function detach(flags: readonly string[]): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true });
  const log = openSync(LOG_FILE, 'w');
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, script, 'up', ...flags], {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: process.cwd(),
  });
  closeSync(log);
  child.unref();
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || (child.pid !== undefined && !pidAlive(child.pid))) {
      throw new Error(`cluster:up failed; log ${LOG_FILE}:\n${readFileSync(LOG_FILE, 'utf8')}`);
    }
    if (readState()?.pid === child.pid) {
      process.stdout.write(readFileSync(LOG_FILE, 'utf8').replace('Stop with Ctrl-C here, or `npm run cluster:down` from another shell.', 'Stop with `npm run cluster:down`.'));
      console.log(`(running detached as pid ${child.pid ?? '?'}; log ${LOG_FILE})`);
      return;
    }
    await sleep(200);
  }
  throw new Error(`cluster:up did not get ready in 180 s; see ${LOG_FILE}`);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    if (existsSync(STATE_DIR)) await rm(STATE_DIR, { recursive: true, force: true });
    console.log('No cluster is running.');
    return;
  }
  if (pidAlive(state.pid) && state.pid !== process.pid) {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (pidAlive(state.pid) && Date.now() < deadline) await sleep(100);
  }
  // Whatever is left (the runner was SIGKILLed, or did not stop in time): kill what it recorded,
  // if the pid still belongs to that program (pids get reused).
  for (const p of [{ name: 'cluster.ts', pid: state.pid }, ...state.processes]) {
    if (p.pid !== process.pid && pidAlive(p.pid) && cmdline(p.pid).includes(p.name)) process.kill(p.pid, 'SIGKILL');
  }
  await rm(state.dir, { recursive: true, force: true });
  await rm(STATE_DIR, { recursive: true, force: true });
  console.log(`Stopped the cluster at ${state.server}.`);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function usage(msg: string): never {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

const [cmd, ...rest] = process.argv.slice(2);
try {
  if (cmd === 'up') await up(rest);
  else if (cmd === 'down') await down();
  else usage(cmd ? `unknown command ${cmd}` : 'no command');
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
