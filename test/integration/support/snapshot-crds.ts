// The snapshot.storage.k8s.io CRDs a cluster with snapshot support has (installed by the cluster admin, not by
// us). Only the VolumeSnapshotClass shape matters to these tests; its schema follows the upstream v1 fields.
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
