// The cluster every scenario runs on. By default the suite starts its own `open-local dev` cluster (the same code
// as `npm start`: OLM installs the operator, then test/e2e/cluster.yaml is applied) once, before the first
// scenario, and tears it down after the last. With OPEN_LOCAL_E2E_ATTACH=1 (`npm run e2e -- <scenario>`) it uses the
// cluster `open-local dev up` is running instead, and the scenarios that stop or add node guests skip, since only
// the process that booted the guests can.
//
// Root hooks live here because every scenario imports this module: one cluster for the whole run, and a failing
// test prints the cluster's state (diagnostics.ts) before anything is cleaned up.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApi } from '../../lib/kube-api.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { startDevCluster, Teardown, waitReady, type DevCluster } from '../env/dev-cluster.js';
import { STATE_FILE } from '../env/dev/cli.js';
import { parseDevState, progressLine } from '../env/dev/plan.js';
import { registerTempDir, unregisterTempDir } from '../env/processes.js';
import type { UmlDisk } from '../env/uml.js';
import { diagnose } from './diagnostics.js';
import { prepareDisks, type NodeDisks } from './disks.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

const EXAMPLE = new URL('cluster.yaml', import.meta.url).pathname;
/** Nodes the suite boots; the failure scenario adds one more (dev-node-2). */
export const INITIAL_NODES = 2;
/** The OpenLocalCluster of cluster.yaml. */
export const CLUSTER_NAME = 'open-local';
/** Where the operand pods run (the default spec.namespace). */
export const STACK_NAMESPACE = 'open-local';

export interface E2eCluster {
  readonly api: KubeApi;
  readonly kubectl: Kubectl;
  readonly kubeconfigPath: string;
  /** Present when this run booted the cluster: node guests can be stopped, started and added. */
  readonly dev: DevCluster | undefined;
  /** Each node's disk files on the host (when this run booted the cluster), by node name. */
  readonly disks: ReadonlyMap<string, NodeDisks>;
}

const attach = process.env['OPEN_LOCAL_E2E_ATTACH'] === '1';
let cluster: Promise<E2eCluster> | undefined;
let teardown: Teardown | undefined;
let workDir: string | undefined;

const say = (() => {
  const t0 = Date.now();
  return (step: string, node?: string): void => { console.log(`      ${progressLine(Date.now() - t0, step, node)}`); };
})();

/** The suite's cluster, started on first use. */
export function e2eCluster(): Promise<E2eCluster> {
  return (cluster ??= attach ? attachToDev() : bootOwn());
}

function attachToDev(): Promise<E2eCluster> {
  if (!existsSync(STATE_FILE)) return Promise.reject(new Error(`OPEN_LOCAL_E2E_ATTACH=1 but no dev cluster is up (${STATE_FILE} is missing): run \`npm start -- --example test/e2e/cluster.yaml\` first`));
  const state = parseDevState(readFileSync(STATE_FILE, 'utf8'));
  return Promise.resolve({ api: new KubeApi(loadKubeConfig(state.kubeconfig)), kubectl: kubectlFor(state.kubeconfig), kubeconfigPath: state.kubeconfig, dev: undefined, disks: new Map() });
}

async function bootOwn(): Promise<E2eCluster> {
  workDir = await mkdtemp(join(tmpdir(), 'open-local-e2e-'));
  registerTempDir(workDir);
  const disks = new Map<string, NodeDisks>();
  const storageDisks = (node: string): UmlDisk[] => {
    const d = disks.get(node) ?? prepareDisks(workDir!, node);
    disks.set(node, d);
    return d.umlDisks;
  };
  teardown = new Teardown();
  const kubeconfigPath = join(workDir, 'kubeconfig');
  const dev = await startDevCluster({ nodes: INITIAL_NODES, exampleFile: EXAMPLE, kubeconfigPath, report: say, storageDisks }, teardown);
  const notReady = await waitReady(dev, 600_000, say);
  if (notReady !== undefined) {
    // A before-all hook failing runs no afterEach: the state that explains it is printed here.
    const c: E2eCluster = { api: dev.api, kubectl: kubectlFor(kubeconfigPath), kubeconfigPath, dev, disks };
    console.log(await diagnose(c).catch((err: unknown) => `diagnostics failed: ${String(err)}`));
    throw new Error(`OpenLocalCluster ${dev.clusterName} not Ready after 600 s:\n${notReady}`);
  }
  say(`OpenLocalCluster ${dev.clusterName} Ready`);
  return { api: dev.api, kubectl: kubectlFor(kubeconfigPath), kubeconfigPath, dev, disks };
}

async function stopOwn(): Promise<void> {
  await teardown?.stop((line) => { say(line); });
  if (workDir) {
    await rm(workDir, { recursive: true, force: true });
    unregisterTempDir(workDir);
  }
}

// Root hooks (mocha's globals exist while spec files, and so this module, load).
if (typeof afterEach === 'function') {
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !cluster) return;
    const c = await cluster.catch(() => undefined);
    if (c) console.log(await diagnose(c).catch((err: unknown) => `diagnostics failed: ${String(err)}`));
  });
  after(async function () {
    this.timeout(300_000);
    if (!attach) await stopOwn();
  });
}
