import type { ComponentStatus } from '../../api/generated/types.js';
import { boundedList } from '../nodes/volume-guard.js';

/** What the kubelet keeps on its Node: a JSON map from each CSI driver it has registered to that driver's node ID. */
export const CSI_NODE_ID_ANNOTATION = 'csi.volume.kubernetes.io/nodeid';

/** Whether the kubelet of the Node with these annotations has registered `driver` (a malformed map registers none). */
export function registersDriver(annotations: Readonly<Record<string, string>> | undefined, driver: string): boolean {
  const raw = annotations?.[CSI_NODE_ID_ANNOTATION];
  if (raw === undefined) return false;
  try {
    const ids = JSON.parse(raw) as unknown;
    return typeof ids === 'object' && ids !== null && Object.hasOwn(ids, driver);
  } catch {
    return false;
  }
}

/**
 * The node plugin DaemonSet counts as available only once the kubelet of every node it runs on has registered the
 * driver: a pod there can mount a volume only from then on, and the registration comes seconds after the plugin pod
 * is Ready (after the registrar's call to the kubelet). `unregistered` are the Ready nodes marked for the plugins
 * whose kubelet has not registered it; a NotReady node is reported by its own condition, not here.
 */
export function withRegistration(components: readonly ComponentStatus[], daemonSet: string, unregistered: readonly string[]): ComponentStatus[] {
  if (unregistered.length === 0) return [...components];
  return components.map((c) =>
    c.name !== daemonSet || !c.ready ? c : { ...c, ready: false, message: `the kubelet has not registered the driver on ${boundedList(unregistered, 3)}` },
  );
}
