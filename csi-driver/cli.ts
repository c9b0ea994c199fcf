/**
 * `open-local csi`: one process serves Identity plus the controller service, the node service with the reconciler
 * of this node's LocalVolumes, or both (`all`: csi-sanity and small clusters), on one unix socket.
 */
import { runUntilSignal } from '../lib/daemon.js';
import { createExec, type Exec } from '../lib/exec.js';
import { startHealthServer } from '../lib/http-server.js';
import { KubeApi } from '../lib/kube-api.js';
import { loadKubeConfig } from '../lib/kube-config.js';
import { createLogger, type Logger } from '../lib/log.js';
import { createRegistry, kubeRequestMetrics } from '../lib/metrics.js';
import { version } from '../lib/version.js';
import { startController } from './controller/service.js';
import { serveCsi, type ServiceHandlers } from './grpc/server.js';
import { identityService } from './identity.js';
import { startNodePlugin } from './node/plugin.js';
import { startVolumeReconciler } from './node/volumes/reconciler.js';
import { parseCsiFlags, type CsiOptions } from './options.js';

export interface RunningCsi {
  readonly socketPath: string;
  /** undefined when ready, else why not (Probe, /readyz). */
  notReady(): string | undefined;
  stop(): Promise<void>;
}

/** The host tools the node service runs; a node without one of them is not ready (Probe says which). */
const NODE_TOOLS: readonly (readonly string[])[] = [['lvm', 'version'], ['mkfs.ext4', '-V'], ['mkfs.xfs', '-V'], ['blkid', '-V'], ['mount', '--version'], ['resize2fs'], ['xfs_growfs', '-V']];

async function missingNodeTools(exec: Exec, log: Logger): Promise<string[]> {
  const missing: string[] = [];
  for (const argv of NODE_TOOLS) {
    // resize2fs without arguments prints its usage and exits 1: found is all we ask.
    await exec.run(argv, { timeoutMs: 30_000, okCodes: [0, 1] }).catch((err: unknown) => {
      log.error({ tool: argv[0], err: (err as Error).message }, 'node tool missing');
      missing.push(argv[0] ?? '');
    });
  }
  return missing;
}

export async function startCsi(options: CsiOptions): Promise<RunningCsi> {
  const log = createLogger('csi', options.logLevel).child({ mode: options.mode, ...(options.mode === 'controller' ? {} : { node: options.nodeId }) });
  const registry = createRegistry('csi');
  const kc = loadKubeConfig(options.kubeconfig);
  const api = new KubeApi(kc, kubeRequestMetrics(registry));
  const withController = options.mode !== 'node';
  const withNode = options.mode !== 'controller';
  const services: Partial<Record<'Controller' | 'Node', ServiceHandlers>> = {};
  const stops: (() => Promise<void>)[] = [];
  const waiting: (() => string | undefined)[] = [];

  if (withController) {
    const controller = startController({ api, log: log.child({ service: 'controller' }), operationTimeoutMs: options.operationTimeoutMs, allocator: { strategy: options.strategy }, registry });
    services.Controller = controller.handlers;
    stops.push(() => controller.stop());
    waiting.push(() => controller.notReady());
  }
  if (withNode) {
    const nodeLog = log.child({ service: 'node' });
    const exec = createExec(options.hostExec, { log: nodeLog });
    const missing = await missingNodeTools(exec, nodeLog);
    waiting.push(() => (missing.length > 0 ? `host tools missing: ${missing.join(', ')}` : undefined));
    services.Node = await startNodePlugin({
      nodeName: options.nodeId,
      kubeletDir: options.kubeletDir,
      stateDir: options.stateDir,
      cgroupRoot: options.cgroupRoot,
      maxVolumesPerNode: options.maxVolumesPerNode,
      exec,
      log: nodeLog,
    });
    const reconciler = startVolumeReconciler({ api, node: options.nodeId, exec, log: nodeLog });
    let synced = false;
    void reconciler.synced.then(() => {
      synced = true;
    });
    waiting.push(() => (synced ? undefined : `the LocalVolumes of node ${options.nodeId} are not listed yet`));
    stops.push(() => reconciler.stop());
  }

  const notReady = () => waiting.map((w) => w()).find((why) => why !== undefined);
  const server = await serveCsi({
    endpoint: options.endpoint,
    log,
    registry,
    services: { Identity: identityService({ driverName: options.driverName, version, controller: withController, ready: () => notReady() === undefined }), ...services },
  });
  const http = options.httpAddress === '' ? undefined : await startHealthServer({ address: options.httpAddress, registry, ready: () => notReady() === undefined, log });
  log.info({ driver: options.driverName, version }, 'CSI driver started');
  return {
    socketPath: server.socketPath,
    notReady,
    stop: async () => {
      // Calls in flight finish first; then the caches and the reconciler stop.
      await server.stop();
      for (const stop of stops) await stop();
      if (http) await new Promise<void>((r) => http.close(() => { r(); }));
    },
  };
}

/** `open-local csi`: serve until SIGTERM/SIGINT, then finish the calls in flight. */
export async function runCsi(argv: readonly string[]): Promise<void> {
  const options = parseCsiFlags(argv);
  if (!options) return;
  const running = await startCsi(options);
  await runUntilSignal(() => running.stop());
}
