// The snapshot.storage.k8s.io CRDs a cluster with snapshot support has (installed by the cluster admin, not by
// us): the real ones of the pinned external-snapshotter release (built into the peer cache), never a hand-written
// shape that could accept what the real schema refuses.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { snapshotCrdFiles } from '../../env/peers.js';
import type { KubeObjectLike } from './raw-api.js';

/** Every snapshot CRD of the pinned external-snapshotter release (from `bash scripts/build-peers.sh csi-sidecars`). */
export function snapshotCrds(): KubeObjectLike[] {
  return snapshotCrdFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as unknown)
      .filter((o): o is KubeObjectLike => typeof o === 'object' && o !== null && (o as KubeObjectLike).kind === 'CustomResourceDefinition'),
  );
}

function snapshotCrd(name: string): KubeObjectLike {
  const crd = snapshotCrds().find((c) => c.metadata.name === name);
  if (!crd) throw new Error(`the external-snapshotter release has no CRD ${name}`);
  return crd;
}

/** The real VolumeSnapshotClass CRD, for tests that need only that kind (the operator renders the classes). */
export const volumeSnapshotClassCrd = snapshotCrd('volumesnapshotclasses.snapshot.storage.k8s.io');
/** The real VolumeSnapshot CRD, for tests that need only that kind (the extender watches snapshots). */
export const volumeSnapshotCrd = snapshotCrd('volumesnapshots.snapshot.storage.k8s.io');
/** The real VolumeSnapshotContent CRD (the agent reads a snapshot's content to find its LV). */
export const volumeSnapshotContentCrd = snapshotCrd('volumesnapshotcontents.snapshot.storage.k8s.io');
