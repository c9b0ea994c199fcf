import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import { componentLabels, names, selectorLabels, STORAGE_READY_LABEL } from '../names.js';
import { CSI_ENDPOINT, CSI_HTTP_PORT, CSI_LIVENESS_PORT, CSI_SOCKET, CSI_SOCKET_DIR, env, healthProbes, HTTP_PORT, privilegedContainer, pullSecrets, resources, rootUnprivilegedContainer, tolerations } from '../pod-parts.js';
import type { ResolvedSpec } from '../resolved-spec.js';

const REGISTRAR_PORT = 9809;
/** Where mount-point volumes live on the host (Open-Local's --path.mount). */
export const MOUNT_ROOT = '/mnt/open-local';
/** Inline ephemeral volumes' state on the node: it must outlive the plugin's container to survive a restart. */
export const CSI_STATE_DIR = '/var/lib/open-local/csi';
/** The host's cgroup hierarchy, where the plugin writes io.max / blkio limits of the pods' cgroups. */
const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The node plugins: agent, CSI node plugin, registrar, liveness probe. Runs only on nodes the operator marked
 * ready (their volume groups are prepared), so a pod never lands on a node that cannot serve volumes.
 */
export function addNodeDaemonSet(chart: Chart, spec: ResolvedSpec): void {
  const kubelet = spec.csi.kubeletDir;
  const pluginDir = `${kubelet}/plugins/${CSI_DRIVER_NAME}`;
  const hostPath = (name: string, path: string, type: string): k8s.Volume => ({ name, hostPath: { path, type } });
  const labels = componentLabels(names.node, spec.name);
  const plugin: k8s.Container = {
    name: 'csi-plugin',
    image: spec.images.openLocal,
    imagePullPolicy: spec.images.pullPolicy,
    args: [
      'csi',
      '--mode=node',
      `--endpoint=${CSI_ENDPOINT}`,
      `--driver=${CSI_DRIVER_NAME}`,
      '--node-id=$(NODE_NAME)',
      `--kubelet-dir=${kubelet}`,
      `--max-volumes-per-node=${spec.csi.maxVolumesPerNode}`,
      `--state-dir=${CSI_STATE_DIR}`,
      // The pod has hostPID: LVM, mkfs and mount run in the host's namespaces, against the host's devices.
      '--host-exec=nsenter',
      `--cgroup-root=${CGROUP_ROOT}`,
      `--http-addr=:${CSI_HTTP_PORT}`,
      `--log-level=${spec.logLevel}`,
    ],
    env: [env.nodeName],
    ports: [{ name: 'csi-http', containerPort: CSI_HTTP_PORT }],
    ...healthProbes('csi-http'),
    resources: resources('20m', '64Mi', '512Mi'),
    securityContext: privilegedContainer,
    volumeMounts: [
      { name: 'plugin-dir', mountPath: CSI_SOCKET_DIR },
      { name: 'kubelet-dir', mountPath: kubelet, mountPropagation: 'Bidirectional' },
      { name: 'dev', mountPath: '/dev' },
      { name: 'mount-root', mountPath: MOUNT_ROOT, mountPropagation: 'Bidirectional' },
      { name: 'sys', mountPath: '/host/sys', readOnly: true },
      { name: 'csi-state', mountPath: CSI_STATE_DIR },
      // The container's own /sys/fs/cgroup shows only its cgroup namespace; the pods' cgroups are in the host's.
      { name: 'cgroup', mountPath: CGROUP_ROOT },
    ],
  };
  const agent: k8s.Container = {
    name: 'agent',
    image: spec.images.openLocal,
    imagePullPolicy: spec.images.pullPolicy,
    args: [
      'agent',
      '--node-name=$(NODE_NAME)',
      '--sysfs=/host/sys',
      `--mount-root=${MOUNT_ROOT}`,
      `--http-addr=:${HTTP_PORT}`,
      `--log-level=${spec.logLevel}`,
    ],
    env: [env.nodeName],
    ports: [{ name: 'http', containerPort: HTTP_PORT }],
    ...healthProbes('http'),
    resources: resources('20m', '64Mi', '256Mi'),
    securityContext: privilegedContainer,
    volumeMounts: [
      { name: 'dev', mountPath: '/dev' },
      { name: 'sys', mountPath: '/host/sys', readOnly: true },
      { name: 'mount-root', mountPath: MOUNT_ROOT, mountPropagation: 'Bidirectional' },
    ],
  };
  const registrar: k8s.Container = {
    name: 'node-driver-registrar',
    image: spec.images.nodeDriverRegistrar,
    imagePullPolicy: spec.images.pullPolicy,
    args: [`--csi-address=${CSI_SOCKET}`, `--kubelet-registration-path=${pluginDir}/csi.sock`, `--http-endpoint=:${REGISTRAR_PORT}`],
    ports: [{ name: 'registrar', containerPort: REGISTRAR_PORT }],
    // As patient as our own liveness probes: each restart removes the registration socket, so the kubelet
    // unregisters the driver until the new registrar is up (seen in a loaded e2e run: 5 s probe timeouts).
    livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('registrar') }, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 },
    resources: resources('10m', '16Mi', '64Mi'),
    securityContext: rootUnprivilegedContainer,
    volumeMounts: [
      { name: 'plugin-dir', mountPath: CSI_SOCKET_DIR },
      { name: 'registration-dir', mountPath: '/registration' },
    ],
  };
  const liveness: k8s.Container = {
    name: 'liveness-probe',
    image: spec.images.livenessProbe,
    imagePullPolicy: spec.images.pullPolicy,
    args: [`--csi-address=${CSI_SOCKET}`, `--health-port=${CSI_LIVENESS_PORT}`],
    ports: [{ name: 'healthz', containerPort: CSI_LIVENESS_PORT }],
    resources: resources('10m', '16Mi', '64Mi'),
    securityContext: rootUnprivilegedContainer,
    volumeMounts: [{ name: 'plugin-dir', mountPath: CSI_SOCKET_DIR }],
  };
  new k8s.KubeDaemonSet(chart, names.node, {
    metadata: { name: names.node, namespace: spec.namespace, labels },
    spec: {
      selector: { matchLabels: selectorLabels(names.node) },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: names.node,
          automountServiceAccountToken: true,
          priorityClassName: 'system-node-critical',
          // nsenter into the host's mount namespace (PID 1) runs LVM against the host's view of devices.
          hostPid: true,
          nodeSelector: { [STORAGE_READY_LABEL]: 'true' },
          tolerations: tolerations(spec),
          imagePullSecrets: pullSecrets(spec),
          containers: [agent, plugin, registrar, liveness],
          volumes: [
            hostPath('plugin-dir', pluginDir, 'DirectoryOrCreate'),
            hostPath('registration-dir', `${kubelet}/plugins_registry`, 'Directory'),
            hostPath('kubelet-dir', kubelet, 'Directory'),
            hostPath('dev', '/dev', 'Directory'),
            hostPath('sys', '/sys', 'Directory'),
            hostPath('mount-root', MOUNT_ROOT, 'DirectoryOrCreate'),
            hostPath('csi-state', CSI_STATE_DIR, 'DirectoryOrCreate'),
            hostPath('cgroup', CGROUP_ROOT, 'Directory'),
          ],
        },
      },
    },
  });
}
