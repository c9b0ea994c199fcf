/**
 * `open-local agent`: flags → readonly AgentConfig → a running Agent with its health server, until SIGTERM.
 */
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { CliError } from '../lib/cli-error.js';
import { parseLogLevel, runUntilSignal } from '../lib/daemon.js';
import { createExec, HOST_EXEC_MODES, parseHostExec, type HostExecMode } from '../lib/exec.js';
import { parseFlags } from '../lib/flags.js';
import { startHealthServer } from '../lib/http-server.js';
import { KubeApi, type RequestObserver } from '../lib/kube-api.js';
import { loadKubeConfig } from '../lib/kube-config.js';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../lib/log.js';
import { createRegistry, kubeRequestMetrics } from '../lib/metrics.js';
import { Agent } from './agent.js';
import { HostDiscovery, type DiscoverySource } from './discovery/source.js';
import { Lvm, type LvExtender } from './lvm/commands.js';
import { ApiSnapshotPolicies } from './snapshots.js';

export interface AgentConfig {
  readonly nodeName: string;
  readonly kubeconfig?: string;
  /** Where the host's /sys is. */
  readonly sysfs: string;
  readonly mountRoot: string;
  readonly intervalMs: number;
  /** /healthz, /readyz, /metrics; "" turns the server off. */
  readonly httpAddress: string;
  readonly hostExec: HostExecMode;
  readonly logLevel: LogLevel;
}

export const agentUsage = `Usage: open-local agent --node-name NAME [flags]

Discovers this node's disks, volume groups and mount points and writes its NodeLocalStorage status.
  --node-name NAME        this node (required; the DaemonSet passes $(NODE_NAME))
  --kubeconfig FILE       credentials (default: $KUBECONFIG, else the pod's ServiceAccount)
  --sysfs DIR             the host's /sys (default /sys; the DaemonSet mounts it at /host/sys)
  --mount-root DIR        mount points are its direct children (default /mnt/open-local)
  --interval DURATION     time between discoveries, e.g. 60s, 5m, 500ms (default 60s)
  --http-addr ADDR        /healthz, /readyz, /metrics (default :8080; "" = off)
  --host-exec MODE        ${HOST_EXEC_MODES.join('|')}: run host commands in PID 1's namespaces or directly (default nsenter)
  --log-level LEVEL       ${LOG_LEVELS.join('|')} (default info)`;

/** "60s", "5m", "1h", "500ms", or plain seconds ("60"); at least 100 ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (want e.g. 60s, 5m, 500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(Number(m[1]) * unit);
  if (ms < 100) throw new Error(`"${text}" is shorter than 100ms`);
  return ms;
}

/** Parses the agent's flags once; undefined after printing --help. */
export function parseAgentFlags(argv: readonly string[]): AgentConfig | undefined {
  const { values } = parseFlags('agent', argv, {
    'node-name': { type: 'string' },
    kubeconfig: { type: 'string' },
    sysfs: { type: 'string', default: '/sys' },
    'mount-root': { type: 'string', default: '/mnt/open-local' },
    interval: { type: 'string', default: '60s' },
    'http-addr': { type: 'string', default: ':8080' },
    'host-exec': { type: 'string', default: 'nsenter' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(agentUsage);
    return undefined;
  }
  const nodeName = values['node-name'];
  if (!nodeName) throw new CliError('open-local agent: --node-name is required');
  let intervalMs: number;
  try {
    intervalMs = parseDuration(values.interval);
  } catch (err) {
    throw new CliError(`open-local agent: --interval: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    nodeName,
    kubeconfig: values.kubeconfig,
    sysfs: values.sysfs,
    mountRoot: values['mount-root'],
    intervalMs,
    httpAddress: values['http-addr'],
    hostExec: parseHostExec('agent', values['host-exec']),
    logLevel: parseLogLevel('agent', values['log-level']),
  };
}

/** Replaces what the host would provide; the API-server tests inject a fixture discovery and a fake lvextend. */
export interface AgentDependencies {
  readonly discovery?: DiscoverySource;
  readonly lvExtender?: LvExtender;
  readonly log?: Logger;
  /** Sees every API request after the metrics do (tests count writes with it). */
  readonly onRequest?: RequestObserver;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly registry: Registry;
  readonly server: Server | undefined;
  stop(): Promise<void>;
}

/** Wires the agent: API client with request metrics, host discovery, snapshot extension, health server. */
export async function startAgent(config: AgentConfig, deps: AgentDependencies = {}): Promise<RunningAgent> {
  const log = (deps.log ?? createLogger('agent', config.logLevel)).child({ node: config.nodeName });
  const registry = createRegistry('agent');
  const kc = loadKubeConfig(config.kubeconfig);
  const countRequest = kubeRequestMetrics(registry);
  const api = new KubeApi(kc, (verb, path, status) => {
    countRequest(verb, path, status);
    deps.onRequest?.(verb, path, status);
  });
  const exec = createExec(config.hostExec, { log });
  const lvm = new Lvm(exec);
  const agent = new Agent({
    nodeName: config.nodeName,
    api,
    discovery: deps.discovery ?? new HostDiscovery({ sysfsRoot: config.sysfs, exec, lvm, log }),
    mountRoot: config.mountRoot,
    intervalMs: config.intervalMs,
    log,
    registry,
    snapshots: { policies: new ApiSnapshotPolicies(api, log), lvm: deps.lvExtender ?? lvm },
  });
  const server = config.httpAddress === '' ? undefined : await startHealthServer({ address: config.httpAddress, registry, ready: () => agent.ready, log });
  await agent.start();
  log.info({ intervalMs: config.intervalMs, sysfs: config.sysfs, mountRoot: config.mountRoot, hostExec: config.hostExec }, 'agent started');
  return {
    agent,
    registry,
    server,
    stop: async () => {
      await agent.stop();
      if (server) await new Promise<void>((r) => server.close(() => { r(); }));
    },
  };
}

/** `open-local agent`: run until SIGTERM/SIGINT. */
export async function runAgent(argv: readonly string[]): Promise<void> {
  const config = parseAgentFlags(argv);
  if (!config) return;
  const running = await startAgent(config);
  await runUntilSignal(() => running.stop());
}
