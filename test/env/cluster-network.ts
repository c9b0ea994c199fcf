// The network of a test cluster with real nodes, as a real cluster has one: every node (a UML guest,
// kubelet-node.ts) on one L2 segment, a bridge in a network namespace the environment creates. The bridge holds
// <subnet>.1, where kube-apiserver (started inside the namespace: control-plane.ts `network`) and the cluster DNS
// listen, so nodes and pods reach them directly and the apiserver reaches every kubelet by its InternalIP
// (`kubectl logs/exec`). Each node has its own pod CIDR (clusterNodeNetwork), and the namespace routes it to the
// node: a pod on node A reaches a pod on node B by its IP through the namespace, like routers between hosts
// (flannel's host-gw does the same with routes on the nodes). Nothing changes in the host's network; destroy()
// removes the namespace with every tap and route in it.
import { clusterNodeNetwork, type ClusterNodeNetwork } from './kubelet-node/config.js';
import { createNetns, type TestNetns } from './netns.js';

export interface ClusterNetwork {
  readonly netns: TestNetns;
  /** The bridge's address: kube-apiserver and the cluster DNS listen here. */
  readonly gatewayIp: string;
  /** Creates node `index`'s tap on the bridge and routes its pod CIDR to it; returns its addressing. */
  attachNode(index: number): Promise<ClusterNodeNetwork>;
  /** Deletes the node's tap (its guest has stopped); the node can be attached again. */
  detachNode(index: number): Promise<void>;
  /** Deletes the namespace (taps, routes, relays). Idempotent. */
  destroy(): Promise<void>;
}

export async function createClusterNetwork(): Promise<ClusterNetwork> {
  const first = clusterNodeNetwork(0);
  const netns = await createNetns({ subnet: first.subnet, bridge: true });
  return {
    netns,
    gatewayIp: first.hostIp,
    async attachNode(index) {
      const node = clusterNodeNetwork(index);
      await netns.addTap(node.tap);
      await netns.addRoute(node.podCidr, node.guestIp);
      return node;
    },
    async detachNode(index) {
      // The pod route (through the bridge) stays, pointing at the node's address until it comes back.
      await netns.deleteLink(clusterNodeNetwork(index).tap);
    },
    destroy: () => netns.destroy(),
  };
}
