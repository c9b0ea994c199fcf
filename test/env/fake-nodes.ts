// Node objects without kubelets, for tests that schedule onto them (kube-scheduler, extenders).
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';

export interface FakeNodeOptions {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Capacity = allocatable. @default { cpu: '4', memory: '8Gi', pods: '110' } */
  readonly capacity?: Readonly<Record<string, string>>;
}

/**
 * Creates a Node that kube-scheduler treats as ready: status Ready=True, and without the
 * `node.kubernetes.io/not-ready` taint that the TaintNodesByCondition admission plugin puts on
 * every new Node (the node lifecycle controller, which would remove it, is not started).
 */
export async function addReadyNode(kc: KubeConfig, name: string, opts: FakeNodeOptions = {}): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const labels = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...opts.labels };
  const created = await core.createNode({ body: { metadata: { name, labels, annotations: { ...opts.annotations } } } });
  const capacity = { cpu: '4', memory: '8Gi', pods: '110', ...opts.capacity };
  await core.replaceNodeStatus({
    name,
    body: {
      metadata: created.metadata,
      spec: created.spec,
      status: {
        capacity,
        allocatable: capacity,
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake node', lastHeartbeatTime: new Date() },
        ],
      },
    },
  });
  const node = await core.readNode({ name });
  if (node.spec) node.spec.taints = [];
  return core.replaceNode({ name, body: node });
}
