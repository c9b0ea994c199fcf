/**
 * The CSI gRPC server on a unix socket: registers the handlers of each service, maps thrown errors to status codes,
 * logs and measures every call, and shuts down gracefully (in-flight calls finish, new ones are refused).
 */
import { unlink } from 'node:fs/promises';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../lib/log.js';
import { socketPathOf } from './endpoint.js';
import { CsiError, codeName, codeOf } from './errors.js';
import { csiServices, type CsiServiceName } from './load.js';
import { claimSocketPath } from './socket-file.js';

/** Handlers of one service, keyed by proto method name; a missing method answers UNIMPLEMENTED. */
export type ServiceHandlers = Partial<Record<string, (request: never) => Promise<unknown>>>;

export interface CsiServerOptions {
  readonly endpoint: string;
  readonly services: Partial<Record<CsiServiceName, ServiceHandlers>>;
  readonly log: Logger;
  readonly registry?: Registry;
}

export interface CsiServer {
  readonly socketPath: string;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cancels the rest and removes the socket. */
  stop(graceMs?: number): Promise<void>;
}

/** Calls that run all the time (the sidecars' and kubelet's probes): logged at trace, not debug. */
const CHATTY = new Set(['Probe', 'GetPluginInfo', 'GetPluginCapabilities', 'ControllerGetCapabilities', 'NodeGetCapabilities', 'NodeGetVolumeStats', 'GetCapacity']);

export async function serveCsi(options: CsiServerOptions): Promise<CsiServer> {
  const socketPath = socketPathOf(options.endpoint);
  const { log } = options;
  const latency = options.registry
    ? new Histogram({
        name: 'open_local_csi_operation_seconds',
        help: 'CSI calls by method and gRPC status code',
        labelNames: ['method', 'code'] as const,
        buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60, 300],
        registers: [options.registry],
      })
    : undefined;
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const definitions = csiServices();
  for (const [name, handlers] of Object.entries(options.services) as [CsiServiceName, ServiceHandlers][]) {
    const definition = definitions[name];
    const implementation: UntypedServiceImplementation = {};
    for (const method of Object.keys(definition)) {
      const handler = handlers[method];
      if (!handler) continue;
      implementation[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const started = process.hrtime.bigint();
        const level = CHATTY.has(method) ? 'trace' : 'debug';
        log[level]({ method, request: redactSecrets(call.request) }, 'CSI call');
        handler(call.request as never).then(
          (response) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            latency?.observe({ method, code: 'OK' }, seconds);
            log[level]({ method, seconds }, 'CSI call answered');
            callback(null, response);
          },
          (err: unknown) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const code = codeOf(err);
            const message = err instanceof Error ? err.message : String(err);
            latency?.observe({ method, code: codeName(code) }, seconds);
            if (err instanceof CsiError) log.info({ method, code: codeName(code), seconds, msg: message }, 'CSI call refused');
            else log.error({ method, err, seconds }, 'CSI call failed');
            callback({ code, details: message });
          },
        );
      };
    }
    server.addService(definition, implementation);
  }
  await claimSocketPath(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  log.info({ socket: socketPath, services: Object.keys(options.services) }, 'serving CSI');
  let stopping: Promise<void> | undefined;
  return {
    socketPath,
    stop(graceMs = 30_000) {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            log.warn({ graceMs }, 'CSI calls still running at the end of the grace period: cancelling them');
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await unlink(socketPath).catch(() => undefined);
        log.info('CSI server stopped');
      })();
      return stopping;
    },
  };
}

/** Secrets fields (csi_secret in the proto) never reach a log. */
function redactSecrets(request: unknown): unknown {
  if (request === null || typeof request !== 'object' || !('secrets' in request)) return request;
  const secrets = (request as { secrets?: Record<string, string> }).secrets;
  if (!secrets || Object.keys(secrets).length === 0) return request;
  return { ...request, secrets: Object.fromEntries(Object.keys(secrets).map((k) => [k, '[REDACTED]'])) };
}

