import { CSI_DRIVER_NAME } from '../api/group.js';
import { STRATEGIES, type Strategy } from '../extender/allocator/types.js';
import { CliError } from '../lib/cli-error.js';
import { parseLogLevel } from '../lib/daemon.js';
import { HOST_EXEC_MODES, type HostExecMode } from '../lib/exec.js';
import { parseFlags } from '../lib/flags.js';
import { LOG_LEVELS, type LogLevel } from '../lib/log.js';
import { socketPathOf } from './grpc/endpoint.js';
import { CsiError } from './grpc/errors.js';

export const CSI_MODES = ['controller', 'node', 'all'] as const;
export type CsiMode = (typeof CSI_MODES)[number];

export interface CsiOptions {
  readonly mode: CsiMode;
  readonly endpoint: string;
  readonly driverName: string;
  /** This node's name (node and all modes). */
  readonly nodeId: string;
  readonly kubeletDir: string;
  readonly maxVolumesPerNode: number;
  readonly stateDir: string;
  readonly hostExec: HostExecMode;
  readonly cgroupRoot: string;
  /** `host:port` of /healthz, /readyz, /metrics; "" = off. */
  readonly httpAddress: string;
  /** How long CreateVolume, DeleteVolume, expansion and snapshots wait for the node before DEADLINE_EXCEEDED. */
  readonly operationTimeoutMs: number;
  /** Which VG an LVM volume without vgName goes to: the extender's strategy, so both place alike. */
  readonly strategy: Strategy;
  readonly kubeconfig: string | undefined;
  readonly logLevel: LogLevel;
}

export const csiUsage = `Usage: open-local csi [flags]

CSI driver local.csi.aliyun.com: the controller (CreateVolume, snapshots, capacity) and/or the node plugin (stage,
publish, expand, stats, and the LocalVolumes of this node).
  --mode MODE                   ${CSI_MODES.join('|')} (default all)
  --endpoint unix:///PATH       the CSI socket (default unix:///csi/csi.sock)
  --driver NAME                 driver name (default ${CSI_DRIVER_NAME})
  --node-id NAME                this node (node/all; default $NODE_NAME)
  --kubelet-dir DIR             kubelet root: every target path must be under it (default /var/lib/kubelet)
  --max-volumes-per-node N      NodeGetInfo's limit, 0 = none (default 256)
  --state-dir DIR               node state (inline volumes, IO limits) (default /var/lib/open-local/csi)
  --host-exec MODE              ${HOST_EXEC_MODES.join('|')}: LVM, mkfs and mount in PID 1's namespaces or directly (default nsenter)
  --cgroup-root DIR             cgroup mount for IO limits (default /sys/fs/cgroup)
  --http-addr ADDR              /healthz, /readyz, /metrics (default "" = off)
  --operation-timeout SECONDS   wait for a node to act on a volume (default 540, under csi-provisioner's 10m)
  --strategy binpack|spread     VG choice for LVM volumes without vgName; the extender's (default spread)
  --kubeconfig FILE             credentials (default: $KUBECONFIG, else the pod's ServiceAccount)
  --log-level LEVEL             ${LOG_LEVELS.join('|')} (default info)`;

const fail = (message: string): never => {
  throw new CliError(`open-local csi: ${message}`);
};

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) fail(`--${flag}: "${text}" is not a whole number from ${min} to ${max}`);
  return n;
}

function absoluteDir(flag: string, text: string): string {
  if (!text.startsWith('/') || text.split('/').includes('..')) fail(`--${flag}: "${text}" is not an absolute path without ".."`);
  return text.length > 1 ? text.replace(/\/+$/, '') : text;
}

/** Parses `open-local csi` flags; undefined for --help (usage printed). */
export function parseCsiFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CsiOptions | undefined {
  const { values } = parseFlags('csi', argv, {
    mode: { type: 'string', default: 'all' },
    endpoint: { type: 'string', default: 'unix:///csi/csi.sock' },
    driver: { type: 'string', default: CSI_DRIVER_NAME },
    'node-id': { type: 'string', default: env.NODE_NAME ?? '' },
    'kubelet-dir': { type: 'string', default: '/var/lib/kubelet' },
    'max-volumes-per-node': { type: 'string', default: '256' },
    'state-dir': { type: 'string', default: '/var/lib/open-local/csi' },
    'host-exec': { type: 'string', default: 'nsenter' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
    'http-addr': { type: 'string', default: '' },
    'operation-timeout': { type: 'string', default: '540' },
    strategy: { type: 'string', default: 'spread' },
    kubeconfig: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(csiUsage);
    return undefined;
  }
  if (!(CSI_MODES as readonly string[]).includes(values.mode)) fail(`--mode: "${values.mode}" is not one of ${CSI_MODES.join(', ')}`);
  const mode = values.mode as CsiMode;
  if (mode !== 'controller' && values['node-id'] === '') fail(`--node-id (or $NODE_NAME) is required in ${mode} mode`);
  if (!/^[a-zA-Z][A-Za-z0-9-._]{0,61}[a-zA-Z]$/.test(values.driver)) fail(`--driver: "${values.driver}" is not a CSI driver name (letters first and last, at most 63 characters)`);
  try {
    socketPathOf(values.endpoint);
  } catch (err) {
    if (err instanceof CsiError) fail(`--endpoint: ${err.message}`);
    throw err;
  }
  if (!(STRATEGIES as readonly string[]).includes(values.strategy)) fail(`--strategy: "${values.strategy}" is not one of ${STRATEGIES.join(', ')}`);
  if (!(HOST_EXEC_MODES as readonly string[]).includes(values['host-exec'])) fail(`--host-exec: "${values['host-exec']}" is not one of ${HOST_EXEC_MODES.join(', ')}`);
  return {
    mode,
    endpoint: values.endpoint,
    driverName: values.driver,
    nodeId: values['node-id'],
    kubeletDir: absoluteDir('kubelet-dir', values['kubelet-dir']),
    maxVolumesPerNode: wholeNumber('max-volumes-per-node', values['max-volumes-per-node'], 0, 100_000),
    stateDir: absoluteDir('state-dir', values['state-dir']),
    hostExec: values['host-exec'] as HostExecMode,
    cgroupRoot: absoluteDir('cgroup-root', values['cgroup-root']),
    httpAddress: values['http-addr'],
    operationTimeoutMs: wholeNumber('operation-timeout', values['operation-timeout'], 1, 86_400) * 1000,
    strategy: values.strategy as Strategy,
    kubeconfig: values.kubeconfig,
    logLevel: parseLogLevel('csi', values['log-level']),
  };
}
