import { parseBool, parseLogLevel, runUntilSignal } from '../../lib/daemon.js';
import { parseFlags } from '../../lib/flags.js';
import { startHealthServer } from '../../lib/http-server.js';
import { KubeApi } from '../../lib/kube-api.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { LeaderElector } from '../../lib/leader-election.js';
import { createLogger, LOG_LEVELS } from '../../lib/log.js';
import { createRegistry, kubeRequestMetrics } from '../../lib/metrics.js';
import { NlsController } from './controller.js';

export const controllerUsage = `Usage: open-local controller [flags]

Open-Local's NLS controller: one NodeLocalStorage per node, its spec from a NodeLocalStorageInitConfig.
  --init-config NAME      the NodeLocalStorageInitConfig to follow (default open-local)
  --update-nls BOOL       revert NodeLocalStorage spec edits to the init config (default true)
  --kubeconfig FILE       credentials (default: $KUBECONFIG, else the pod's ServiceAccount)
  --http-addr ADDR        /healthz, /readyz, /metrics (default :8080)
  --leader-elect BOOL     one active replica through a Lease in $POD_NAMESPACE (default true)
  --log-level LEVEL       ${LOG_LEVELS.join('|')} (default info)`;

/** `open-local controller`: run until SIGTERM/SIGINT. */
export async function runController(argv: readonly string[]): Promise<void> {
  const { values } = parseFlags('controller', argv, {
    'init-config': { type: 'string', default: 'open-local' },
    'update-nls': { type: 'string', default: 'true' },
    kubeconfig: { type: 'string' },
    'http-addr': { type: 'string', default: ':8080' },
    'leader-elect': { type: 'string', default: 'true' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(controllerUsage);
    return;
  }
  const log = createLogger('controller', parseLogLevel('controller', values['log-level']));
  const registry = createRegistry('controller');
  const kc = loadKubeConfig(values.kubeconfig);
  const api = new KubeApi(kc, kubeRequestMetrics(registry));
  const controller = new NlsController(api, { initConfig: values['init-config'], updateNls: parseBool('controller', 'update-nls', values['update-nls']) }, log);
  const elector = parseBool('controller', 'leader-elect', values['leader-elect'])
    ? new LeaderElector(api, { namespace: process.env.POD_NAMESPACE ?? 'default', name: 'open-local-controller', identity: process.env.POD_NAME ?? `controller-${process.pid}` }, log)
    : undefined;
  const server = await startHealthServer({ address: values['http-addr'], registry, ready: () => (elector && !elector.isLeader) || controller.synced, log });
  const stop = async () => {
    await controller.stop();
    await elector?.release();
    server.close();
  };
  if (elector) await elector.run(() => void stop().finally(() => process.exit(1)));
  await controller.start();
  log.info({ initConfig: values['init-config'] }, 'NLS controller running');
  await runUntilSignal(stop);
}
