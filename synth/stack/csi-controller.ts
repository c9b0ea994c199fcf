import type { Chart } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-33';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import { VOLUME_NAME_PREFIX } from '../../csi-driver/volume-context.js';
import { names } from '../names.js';
import { CSI_ENDPOINT, CSI_HTTP_PORT, CSI_LIVENESS_PORT, CSI_SOCKET, CSI_SOCKET_DIR, env, healthProbes, resources, restrictedContainer, sidecarLeaderElection } from '../pod-parts.js';
import type { ResolvedSpec } from '../resolved-spec.js';
import { addDeployment } from './deployment.js';

/** CSI controller: the plugin in controller mode and the sidecars that drive it; sockets on a shared emptyDir. */
export function addCsiController(chart: Chart, spec: ResolvedSpec): void {
  const socket = [{ name: 'socket-dir', mountPath: CSI_SOCKET_DIR }];
  const sidecar = (name: string, image: string, args: string[], extraEnv: k8s.EnvVar[] = []): k8s.Container => ({
    name,
    image,
    imagePullPolicy: spec.images.pullPolicy,
    args: [`--csi-address=${CSI_SOCKET}`, ...args],
    env: [env.podName, env.podNamespace, ...extraEnv],
    volumeMounts: socket,
    resources: resources('10m', '32Mi', '256Mi'),
    securityContext: restrictedContainer,
  });
  const election = sidecarLeaderElection(spec.namespace);
  const containers: k8s.Container[] = [
    {
      name: 'csi-plugin',
      image: spec.images.openLocal,
      imagePullPolicy: spec.images.pullPolicy,
      args: ['csi', '--mode=controller', `--endpoint=${CSI_ENDPOINT}`, `--driver=${CSI_DRIVER_NAME}`, `--http-addr=:${CSI_HTTP_PORT}`, `--strategy=${spec.extender.strategy}`, `--log-level=${spec.logLevel}`],
      env: [env.podName, env.podNamespace],
      ports: [{ name: 'http', containerPort: CSI_HTTP_PORT }],
      ...healthProbes('http'),
      volumeMounts: socket,
      resources: resources('20m', '64Mi', '512Mi'),
      securityContext: restrictedContainer,
    },
    sidecar('csi-provisioner', spec.images.csiProvisioner, [
      `--volume-name-prefix=${VOLUME_NAME_PREFIX}`,
      '--strict-topology=true',
      '--extra-create-metadata=true',
      '--timeout=10m',
      '--default-fstype=ext4',
      ...(spec.csi.storageCapacityTracking ? ['--enable-capacity=true', '--capacity-ownerref-level=2'] : []),
      ...election,
      // --enable-capacity reads its namespace from NAMESPACE (not POD_NAMESPACE) and exits without it.
    ], [{ name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }]),
    sidecar('csi-resizer', spec.images.csiResizer, ['--timeout=10m', ...election]),
    ...(spec.csi.snapshots.enabled
      ? [sidecar('csi-snapshotter', spec.images.csiSnapshotter, ['--snapshot-name-prefix=snap', '--timeout=10m', ...election])]
      : []),
    { ...sidecar('liveness-probe', spec.images.livenessProbe, [`--health-port=${CSI_LIVENESS_PORT}`]), ports: [{ name: 'healthz', containerPort: CSI_LIVENESS_PORT }] },
  ];
  addDeployment(chart, spec, names.csiController, {
    replicas: 1,
    containers,
    volumes: [{ name: 'socket-dir', emptyDir: {} }],
  });
}

/** snapshot-controller, for clusters that do not run one already. */
export function addSnapshotController(chart: Chart, spec: ResolvedSpec): void {
  addDeployment(chart, spec, names.snapshotController, {
    replicas: 1,
    containers: [
      {
        name: 'snapshot-controller',
        image: spec.images.snapshotController,
        imagePullPolicy: spec.images.pullPolicy,
        args: sidecarLeaderElection(spec.namespace),
        resources: resources('10m', '32Mi', '256Mi'),
        securityContext: restrictedContainer,
      },
    ],
  });
}
