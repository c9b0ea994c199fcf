/**
 * `open-local csi`: one process serves Identity plus the controller service, the node service, or both (`all`, for
 * csi-sanity and small clusters), on one unix socket.
 */
import { runUntilSignal } from '../lib/daemon.js';
import { startHealthServer } from '../lib/http-server.js';
import { createLogger } from '../lib/log.js';
import { createRegistry } from '../lib/metrics.js';
import { version } from '../lib/version.js';
import { serveCsi } from './grpc/server.js';
import { identityService } from './identity.js';
import { parseCsiFlags, type CsiOptions } from './options.js';

export interface RunningCsi {
  readonly socketPath: string;
  stop(): Promise<void>;
}

export async function startCsi(options: CsiOptions): Promise<RunningCsi> {
  const log = createLogger('csi', options.logLevel).child({ mode: options.mode, ...(options.mode === 'controller' ? {} : { node: options.nodeId }) });
  const registry = createRegistry('csi');
  const controller = options.mode !== 'node';
  const server = await serveCsi({
    endpoint: options.endpoint,
    log,
    registry,
    services: { Identity: identityService({ driverName: options.driverName, version, controller, ready: () => true }) },
  });
  const http = options.httpAddress === '' ? undefined : await startHealthServer({ address: options.httpAddress, registry, ready: () => true, log });
  return {
    socketPath: server.socketPath,
    stop: async () => {
      await server.stop();
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
