/**
 * This node's LocalVolumes, watched for one reason: when the node plugin has just created, resized or removed an
 * LV, the VG's free space changed, and the NodeLocalStorage (what the extender schedules by) should say so now,
 * not up to one discovery interval later. A volume counts as changed when its phase or actual size changes, or when
 * it is gone; progress and messages do not start a pass.
 */
import { API_GROUP_VERSION } from '../api/group.js';
import type { LocalVolume } from '../api/generated/types.js';
import { Informer } from '../lib/informer.js';
import type { KubeApi } from '../lib/kube-api.js';
import type { Logger } from '../lib/log.js';

/** What of a LocalVolume moves the node's free space. */
export const volumeChangeKey = (v: LocalVolume): string => `${v.status?.phase ?? ''}/${v.status?.size ?? ''}`;

export interface VolumeChanges {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Calls `onChange` with a reason each time one of `node`'s LocalVolumes changes as `volumeChangeKey` sees it. */
export function watchVolumeChanges(api: KubeApi, node: string, log: Logger, onChange: (why: string) => void): VolumeChanges {
  const seen = new Map<string, string>();
  const informer = new Informer<LocalVolume>(api, {
    apiVersion: API_GROUP_VERSION,
    kind: 'LocalVolume',
    fieldSelector: `spec.nodeName=${node}`,
    // Only the key is read: keep nothing else of each volume.
    transform: (v) => ({ apiVersion: v.apiVersion, kind: v.kind, metadata: { name: v.metadata?.name, resourceVersion: v.metadata?.resourceVersion }, status: { phase: v.status?.phase, size: v.status?.size } }) as LocalVolume,
  }, log);
  informer.onEvent((event, v) => {
    const name = v.metadata?.name ?? '';
    if (event === 'delete') {
      seen.delete(name);
      onChange(`LocalVolume ${name} removed`);
      return;
    }
    const key = volumeChangeKey(v);
    if (seen.get(name) === key) return;
    seen.set(name, key);
    onChange(`LocalVolume ${name} ${v.status?.phase ?? 'created'}`);
  });
  return { start: () => informer.start(), stop: () => informer.stop() };
}
