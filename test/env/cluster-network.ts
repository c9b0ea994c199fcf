// The network of a test cluster with real nodes, as a real cluster has one: every node (a UML guest,
// kubelet-node.ts) on one L2 segment, a bridge in a network namespace the environment creates. The bridge holds
// <subnet>.1, where kube-apiserver (started inside the namespace: control-plane.ts `network`) and the cluster DNS
// listen, so nodes and pods reach them directly and the apiserver reaches every kubelet by its InternalIP
// (`kubectl logs/exec`). Each node has its own pod CIDR (clusterNodeNetwork), and the namespace routes it to the
// node: a pod on node A reaches a pod on node B by its IP through the namespace, like routers between hosts
// (flannel's host-gw does the same with routes on the nodes). Nothing changes in the host's network; destroy()
// removes the namespace with every tap and route in it.
//
// Processes of the control plane that run in the namespace (the scheduler) see the cluster as a control-plane node's
// host-network pods with `dnsPolicy: ClusterFirstWithHostNet` do: names resolve through the cluster DNS (on the
// bridge), and Service IPs route to a node, whose kube-proxy forwards them (and masquerades what comes from outside
// the pod CIDRs, so replies come back the same way). So the scheduler reaches the extender by its Service name, the
// URL synth renders.
import { SERVICE_CIDR } from './control-plane.js';
import { clusterNodeNetwork, type ClusterNodeNetwork } from './kubelet-node/config.js';
import { createNetns, type TestNetns } from './netns.js';

/** The search path of a pod in kube-system: `<service>.<namespace>.svc` names resolve as in a pod. */
export function clusterResolvConf(nameserver: string): string {
  return `nameserver ${nameserver}\nsearch kube-system.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;
}

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
  const netns = await createNetns({ subnet: first.subnet, bridge: true, resolvConf: clusterResolvConf(first.hostIp) });
  const attached = new Set<number>();
  /** The node Service IPs are routed through: one attached node (kube-proxy on any node forwards to all). */
  let servicesVia: number | undefined;
  const routeServices = async (): Promise<void> => {
    const via = servicesVia !== undefined && attached.has(servicesVia) ? servicesVia : [...attached].sort((a, b) => a - b)[0];
    if (via === undefined || via === servicesVia) return;
    await netns.addRoute(SERVICE_CIDR, clusterNodeNetwork(via).guestIp);
    servicesVia = via;
  };
  return {
    netns,
    gatewayIp: first.hostIp,
    async attachNode(index) {
      const node = clusterNodeNetwork(index);
      await netns.addTap(node.tap);
      await netns.addRoute(node.podCidr, node.guestIp);
      attached.add(index);
      await routeServices();
      return node;
    },
    async detachNode(index) {
      // The pod route (through the bridge) stays, pointing at the node's address until it comes back.
      await netns.deleteLink(clusterNodeNetwork(index).tap);
      attached.delete(index);
      await routeServices();
    },
    destroy: () => netns.destroy(),
  };
}
