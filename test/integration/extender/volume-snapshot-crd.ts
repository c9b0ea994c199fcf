// The VolumeSnapshot CRD as a cluster with snapshot support has it (installed by the admin, not by us), reduced
// to the fields the extender reads; unknown fields are kept so real objects fit.
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
