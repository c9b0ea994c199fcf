// Plays the node plugin's LocalVolume reconciler for the controller's own behaviour tests, with no LVM behind it:
// for the LocalVolumes of the nodes it plays, it reports Ready with the asked size (rounded up to 4 MiB extents, as
// lvcreate does), follows size changes, and on deletion removes the finalizer. `fail` makes it answer Failed as a
// real node would (no space, not owned, ...), `blockDelete` refuse a deletion (LVM snapshots it has). The real reconciler (csi-driver/node/volumes/) is judged by its own
// tests and by csi-sanity in UML; this only lets the controller's answers be checked against the real API server.
import type { KubeConfig } from '@kubernetes/client-node';
import type { LocalVolume } from '../../../../api/generated/types.js';
import { Informer } from '../../../../lib/informer.js';
import type { KubeApi } from '../../../../lib/kube-api.js';
import type { Logger } from '../../../../lib/log.js';
import type { ServiceHandlers } from '../../../../csi-driver/grpc/server.js';
import { TOPOLOGY_KEY } from '../../../../csi-driver/volume-context.js';

const EXTENT = 4 * 1024 ** 2;
export const roundToExtent = (bytes: number): number => Math.ceil(bytes / EXTENT) * EXTENT;

export interface PlayNode {
  /** Volumes this node refuses, with the reason and message it writes (set per test). */
  fail: (lv: LocalVolume) => { reason: string; message: string } | undefined;
  /** Deletions this node refuses, writing the reason with the phase unchanged (as the reconciler's HasSnapshots). */
  blockDelete: (lv: LocalVolume) => { reason: string; message: string } | undefined;
  /** Every LocalVolume this node acted on, by name (adoptions, creations, resizes, deletions), in order. */
  readonly acted: string[];
  stop(): Promise<void>;
}

export async function startPlayNode(kc: KubeConfig, api: KubeApi, nodes: readonly string[], log: Logger): Promise<PlayNode> {
  const informer = new Informer<LocalVolume>(api, { apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'LocalVolume' }, log);
  const play: PlayNode = { fail: () => undefined, blockDelete: () => undefined, acted: [], stop: () => informer.stop() };
  const act = async (lv: LocalVolume): Promise<void> => {
    if (!nodes.includes(lv.spec.nodeName)) return;
    const name = lv.metadata?.name ?? '';
    if (lv.metadata?.deletionTimestamp) {
      if (!lv.metadata.finalizers?.length) return;
      const blocked = play.blockDelete(lv);
      if (blocked) {
        if (lv.status?.reason === blocked.reason) return;
        play.acted.push(`refuse delete ${name}`);
        await api.mergePatch(lv, { status: { ...lv.status, ...blocked } }, 'status');
        return;
      }
      play.acted.push(`delete ${name}`);
      await api.mergePatch(lv, { metadata: { finalizers: null } });
      return;
    }
    const generation = lv.metadata?.generation ?? 0;
    if (lv.status?.observedGeneration === generation && lv.status.phase !== undefined) return;
    const failure = play.fail(lv);
    const size = String(roundToExtent(Number(lv.spec.size ?? '0')));
    const status = failure
      ? { phase: 'Failed', observedGeneration: generation, ...failure }
      : { phase: 'Ready', observedGeneration: generation, size, devicePath: lv.spec.device ?? `/dev/${lv.spec.vgName ?? ''}/${name}`, reason: '', message: '' };
    play.acted.push(`${failure ? 'fail' : lv.status?.phase === 'Ready' ? 'resize' : lv.spec.adopt ? 'adopt' : 'create'} ${name}`);
    await api.mergePatch(lv, { status }, 'status');
  };
  informer.onEvent((event, lv) => {
    if (event === 'delete') return;
    act(lv).catch((err: unknown) => {
      log.error({ err, name: lv.metadata?.name }, 'play node failed');
    });
  });
  await informer.start();
  await informer.synced;
  return play;
}

/**
 * The few Node calls csi-sanity's controller specs make while cleaning up (capabilities, unpublish, unstage), answered
 * as a node plugin with nothing published would: no capability, nothing to undo. No volume is touched.
 */
export function playedNodeService(nodeId: string): ServiceHandlers {
  return {
    NodeGetCapabilities: () => Promise.resolve({ capabilities: [] }),
    NodeGetInfo: () => Promise.resolve({ node_id: nodeId, max_volumes_per_node: '0', accessible_topology: { segments: { [TOPOLOGY_KEY]: nodeId } } }),
    NodeUnpublishVolume: () => Promise.resolve({}),
    NodeUnstageVolume: () => Promise.resolve({}),
  };
}
