import { readFileSync } from 'node:fs';
import { CliError } from '../lib/cli-error.js';
import { parseLogLevel, runUntilSignal } from '../lib/daemon.js';
import { parseFlags } from '../lib/flags.js';
import { KubeApi } from '../lib/kube-api.js';
import { loadKubeConfig } from '../lib/kube-config.js';
import { createLogger, LOG_LEVELS } from '../lib/log.js';
import { createRegistry, kubeRequestMetrics } from '../lib/metrics.js';
import type { AllocatorOptions } from './allocator/types.js';
import { Evaluator } from './evaluator.js';
import { StateFeed } from './informers.js';
import { extenderMetrics } from './metrics.js';
import { parseAntiAffinity, parseStrategy } from './options.js';
import { startExtenderServer } from './server.js';
import { ClusterState } from './state/cluster-state.js';

export const extenderUsage = `Usage: open-local extender [flags]

kube-scheduler extender: filter and prioritize nodes by local storage (Open-Local's routes and wire format).
  --port N                     port of every route (default 23000)
  --bind-address IP            interface to listen on (default: all)
  --strategy binpack|spread    which volume group a volume goes to (default spread)
  --node-anti-affinity LIST    e.g. Device=5,MountPoint=3: prefer nodes without free whole disks for pods
                               that do not need one (default none)
  --tls-cert-file FILE         serve HTTPS with this certificate ...
  --tls-key-file FILE          ... and key
  --max-request-bytes N        larger request bodies get 413 (default 4194304)
  --request-timeout SECONDS    time a client gets to send a request (default 30)
  --kubeconfig FILE            credentials (default: $KUBECONFIG, else the pod's ServiceAccount)
  --log-level LEVEL            ${LOG_LEVELS.join('|')} (default info)`;

function positiveInt(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new CliError(`open-local extender: --${flag}: "${text}" is not a whole number from 1 to ${max}`);
  return n;
}

/** `open-local extender`: serve until SIGTERM/SIGINT. */
export async function runExtender(argv: readonly string[]): Promise<void> {
  const { values } = parseFlags('extender', argv, {
    port: { type: 'string', default: '23000' },
    'bind-address': { type: 'string' },
    strategy: { type: 'string', default: 'spread' },
    'node-anti-affinity': { type: 'string', default: '' },
    'tls-cert-file': { type: 'string' },
    'tls-key-file': { type: 'string' },
    'max-request-bytes': { type: 'string', default: '4194304' },
    'request-timeout': { type: 'string', default: '30' },
    kubeconfig: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(extenderUsage);
    return;
  }
  const port = positiveInt('port', values.port, 65535);
  const maxBodyBytes = positiveInt('max-request-bytes', values['max-request-bytes'], 2 ** 30);
  const requestTimeoutMs = positiveInt('request-timeout', values['request-timeout'], 3600) * 1000;
  const allocator: AllocatorOptions = { strategy: parseStrategy(values.strategy), antiAffinity: parseAntiAffinity(values['node-anti-affinity']) };
  const certFile = values['tls-cert-file'];
  const keyFile = values['tls-key-file'];
  if ((certFile === undefined) !== (keyFile === undefined)) throw new CliError('open-local extender: --tls-cert-file and --tls-key-file go together');
  const tls = certFile && keyFile ? { cert: readPem('tls-cert-file', certFile), key: readPem('tls-key-file', keyFile) } : undefined;
  const log = createLogger('extender', parseLogLevel('extender', values['log-level']));
  const registry = createRegistry('extender');
  const kc = loadKubeConfig(values.kubeconfig);
  const api = new KubeApi(kc, kubeRequestMetrics(registry));
  const state = new ClusterState();
  const metrics = extenderMetrics(registry, state);
  const feed = new StateFeed(api, state, log, { onSynced: (resource, synced) => { metrics.setSynced(resource, synced); } });
  feed.start();
  const server = await startExtenderServer({
    host: values['bind-address'] || undefined,
    port,
    tls,
    maxBodyBytes,
    requestTimeoutMs,
    state,
    evaluator: new Evaluator(state, allocator),
    allocator,
    notReady: () => feed.notReady(),
    registry,
    metrics,
    log,
  });
  log.info({ strategy: allocator.strategy, antiAffinity: allocator.antiAffinity }, 'extender running');
  await runUntilSignal(async () => {
    await server.close();
    await feed.stop();
  });
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`open-local extender: --${flag}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
