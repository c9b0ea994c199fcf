// The snapshot.storage.k8s.io CRDs a cluster with snapshot support has (installed by the cluster admin, not by
// us). snapshotCrds() gives the real ones of the pinned external-snapshotter release (built into the peer cache);
// the hand-written shapes below are for tests that only need the kinds to exist.
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

// Only the VolumeSnapshotClass shape matters to the tests that use this one; its schema follows the upstream v1 fields.
export const volumeSnapshotClassCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: 'volumesnapshotclasses.snapshot.storage.k8s.io',
    // *.k8s.io groups need an API review link; upstream's CRD carries this one.
    annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-csi/external-snapshotter/pull/814' },
  },
  spec: {
    group: 'snapshot.storage.k8s.io',
    scope: 'Cluster',
    names: { kind: 'VolumeSnapshotClass', listKind: 'VolumeSnapshotClassList', plural: 'volumesnapshotclasses', singular: 'volumesnapshotclass', shortNames: ['vsclass'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['deletionPolicy', 'driver'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              driver: { type: 'string' },
              deletionPolicy: { type: 'string', enum: ['Delete', 'Retain'] },
              parameters: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
        },
      },
    ],
  },
} as const;

// The VolumeSnapshot CRD reduced to the fields the extender reads; unknown fields are kept so real objects fit.
export const volumeSnapshotCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: 'volumesnapshots.snapshot.storage.k8s.io',
    annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-csi/external-snapshotter/pull/814' },
  },
  spec: {
    group: 'snapshot.storage.k8s.io',
    scope: 'Namespaced',
    names: { kind: 'VolumeSnapshot', listKind: 'VolumeSnapshotList', plural: 'volumesnapshots', singular: 'volumesnapshot', shortNames: ['vs'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      },
    ],
  },
} as const;
