import type { Registry } from 'prom-client';
import { runUntilSignal } from '../lib/daemon.js';
import { KubeApi } from '../lib/kube-api.js';
import { loadKubeConfig } from '../lib/kube-config.js';
import { startHealthServer } from '../lib/http-server.js';
import { LeaderElector } from '../lib/leader-election.js';
import { createLogger } from '../lib/log.js';
import { createRegistry, kubeRequestMetrics } from '../lib/metrics.js';
import { Caches } from './caches.js';
import { parseOperatorFlags, type OperatorConfig } from './cli.js';
import { OpenLocalClusterController } from './controller.js';
import { operatorMetrics } from './metrics.js';

/** A running operator: for tests and for the CLI's signal handling. */
export interface RunningOperator {
  readonly controller: OpenLocalClusterController;
  readonly caches: Caches;
  readonly registry: Registry;
  stop(): Promise<void>;
}

/** Wires the operator: API client, caches, leader election, controller, health server. */
export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const log = createLogger('operator', config.logLevel);
  const registry = createRegistry('operator');
  const kc = loadKubeConfig(config.kubeconfig);
  const api = new KubeApi(kc, kubeRequestMetrics(registry));
  const caches = new Caches(api, log);
  const controller = new OpenLocalClusterController({ api, caches, log, instance: config.identity, metrics: operatorMetrics(registry), operatorNamespace: config.operatorNamespace });
  const elector = config.leaderElect ? new LeaderElector(api, { namespace: config.leaseNamespace, name: 'open-local-operator', identity: config.identity }, log) : undefined;
  const server = await startHealthServer({
    address: config.httpAddress,
    registry,
    // A standby is healthy and ready: it is waiting for the lease, as designed.
    ready: () => (elector && !elector.isLeader) || caches.synced,
    log,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    controller.queue.stop();
    await caches.stop();
    await elector?.release();
    await new Promise<void>((r) => server.close(() => { r(); }));
  };
  const lead = async () => {
    await caches.start((kind, obj) => {
      controller.onChange(kind, obj);
    });
    log.info({ unserved: [...caches.unserved] }, 'caches synced; reconciling');
  };
  if (elector) {
    void elector.run(() => {
      // Another replica may already act: stop at once and let the Deployment restart us as a standby.
      log.error('leadership lost; exiting');
      void stop().finally(() => process.exit(1));
    }).then(lead);
  } else {
    await lead();
  }
  return { controller, caches, registry, stop };
}

/** `open-local operator`: run until SIGTERM/SIGINT. */
export async function runOperator(argv: readonly string[]): Promise<void> {
  const config = parseOperatorFlags(argv);
  if (!config) return;
  const op = await startOperator(config);
  await runUntilSignal(() => op.stop());
}
