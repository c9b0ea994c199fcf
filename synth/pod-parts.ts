import { k8s } from 'cdk8s-plus-33';
import type { ResolvedSpec } from './resolved-spec.js';
import { LEASE_TIMING, renewDeadline } from '../lib/leader-election.js';

const q = (v: string) => k8s.Quantity.fromString(v);

/** Small requests so a DaemonSet costs little per node; memory limits so a leak cannot take the node down. */
export function resources(cpu: string, memory: string, memoryLimit: string): k8s.ResourceRequirements {
  return { requests: { cpu: q(cpu), memory: q(memory) }, limits: { memory: q(memoryLimit) } };
}

/** Controllers and sidecars that need nothing from the host: non-root, read-only, no capabilities. */
export const restrictedContainer: k8s.SecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Containers that run LVM, mkfs and mount on the host: privileged is the only way (Bidirectional mounts need it). */
export const privilegedContainer: k8s.SecurityContext = { privileged: true, runAsUser: 0, readOnlyRootFilesystem: false };

/** Sidecars that must write a root-owned host directory (the kubelet's plugin registry) but need no privilege. */
export const rootUnprivilegedContainer: k8s.SecurityContext = {
  runAsUser: 0,
  runAsNonRoot: false,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

export const restrictedPod: k8s.PodSecurityContext = {
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

export function pullSecrets(spec: ResolvedSpec): k8s.LocalObjectReference[] | undefined {
  return spec.images.pullSecrets.length > 0 ? spec.images.pullSecrets.map((name) => ({ name })) : undefined;
}

export function tolerations(spec: ResolvedSpec): k8s.Toleration[] {
  return spec.nodes.tolerations.map((t) => ({ ...t }));
}

/** The image's program: the Dockerfile's ENTRYPOINT runs `node` on it (a unit test keeps the two the same). */
export const IMAGE_PROGRAM = '/opt/open-local/dist/bin/open-local.js';

/**
 * A container command that runs the image's program with Node/V8 flags on node's command line, for flags NODE_OPTIONS
 * refuses (Node allows only a short list there; --optimize-for-size is not on it).
 */
export function nodeCommand(flags: readonly string[]): string[] {
  return ['node', ...flags, IMAGE_PROGRAM];
}

export const env = {
  nodeName: { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  podName: { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  podNamespace: { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
} as const satisfies Record<string, k8s.EnvVar>;

/**
 * A startup probe for /healthz: up to 5 minutes to start, checked every 5 s, before liveness counts. A node that is
 * busy (a loaded machine, many pods starting after a reboot) can take minutes to start a Node.js process; a liveness
 * probe alone would kill it before it ever answered, and again on every restart.
 */
export function startupProbe(port: string, scheme?: 'HTTPS'): k8s.Probe {
  return { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString(port), ...(scheme ? { scheme } : {}) }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 };
}

/** The startup/liveness/readiness probes of every open-local daemon: its own HTTP health endpoints. */
export function healthProbes(port: string): Pick<k8s.Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  const get = (path: string) => ({ path, port: k8s.IntOrString.fromString(port) });
  return {
    startupProbe: startupProbe(port),
    // Two minutes without an answer before a restart: restarting a node plugin fails every mount on its node until it
    // is back, so a node too busy to answer in time (load 20 on 2 cores did it) must not be made worse by a kill.
    livenessProbe: { httpGet: get('/healthz'), periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 },
    readinessProbe: { httpGet: get('/readyz'), periodSeconds: 10, timeoutSeconds: 5 },
  };
}

/** Every open-local daemon serves /healthz, /readyz and /metrics on this port. */
export const HTTP_PORT = 8080;

/** The CSI plugin's HTTP port: the node pod also runs the agent on HTTP_PORT, and a pod has one port space. */
export const CSI_HTTP_PORT = 8081;

/** The CSI plugin's own socket inside its pods; the sidecars share the directory. */
export const CSI_SOCKET_DIR = '/csi';
export const CSI_SOCKET = `${CSI_SOCKET_DIR}/csi.sock`;
export const CSI_ENDPOINT = `unix://${CSI_SOCKET}`;

/** The livenessprobe sidecar's port: it calls the plugin's Probe over the socket, for whoever watches CSI health. */
export const CSI_LIVENESS_PORT = 9808;

/**
 * CSI sidecar (and snapshot-controller) flags for leader election in the operand namespace (the component Role
 * grants leases there), held as long as our own daemons hold theirs.
 */
export function sidecarLeaderElection(namespace: string): string[] {
  const { leaseDurationSeconds, retryPeriodSeconds } = LEASE_TIMING;
  return [
    '--leader-election=true',
    `--leader-election-namespace=${namespace}`,
    `--leader-election-lease-duration=${leaseDurationSeconds}s`,
    `--leader-election-renew-deadline=${renewDeadline(leaseDurationSeconds)}s`,
    `--leader-election-retry-period=${retryPeriodSeconds}s`,
  ];
}
