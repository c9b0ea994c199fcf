import { parseBool, parseLogLevel } from '../lib/daemon.js';
import { parseFlags } from '../lib/flags.js';
import { LOG_LEVELS, type LogLevel } from '../lib/log.js';

export interface OperatorConfig {
  readonly kubeconfig?: string;
  /** /healthz, /readyz, /metrics. */
  readonly httpAddress: string;
  readonly leaderElect: boolean;
  /** Namespace of the leader-election Lease (the operator's own). */
  readonly leaseNamespace: string;
  readonly identity: string;
  readonly logLevel: LogLevel;
  /** Namespace of the operator's own ServiceAccount when it runs in a pod ($POD_NAMESPACE). */
  readonly operatorNamespace?: string;
}

export const operatorUsage = `Usage: open-local operator [flags]

Reconciles OpenLocalCluster resources into a running Open-Local stack.
  --kubeconfig FILE       credentials (default: $KUBECONFIG, else the pod's ServiceAccount)
  --http-addr ADDR        /healthz, /readyz, /metrics (default :8080)
  --leader-elect BOOL     one active replica through a Lease (default true)
  --lease-namespace NS    namespace of the Lease (default $POD_NAMESPACE, else open-local-system)
  --log-level LEVEL       ${LOG_LEVELS.join('|')} (default info)`;

/** Parses the operator's flags once; everything downstream gets this readonly config. */
export function parseOperatorFlags(argv: readonly string[]): OperatorConfig | undefined {
  const { values } = parseFlags('operator', argv, {
    kubeconfig: { type: 'string' },
    'http-addr': { type: 'string', default: ':8080' },
    'leader-elect': { type: 'string', default: 'true' },
    'lease-namespace': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(operatorUsage);
    return undefined;
  }
  return {
    kubeconfig: values.kubeconfig,
    httpAddress: values['http-addr'],
    leaderElect: parseBool('operator', 'leader-elect', values['leader-elect']),
    leaseNamespace: values['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'open-local-system',
    identity: process.env.POD_NAME ?? `operator-${process.pid}`,
    logLevel: parseLogLevel('operator', values['log-level']),
    operatorNamespace: process.env.POD_NAMESPACE,
  };
}
