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
