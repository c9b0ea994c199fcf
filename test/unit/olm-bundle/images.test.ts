import { expect } from 'chai';
import { isPinnedPullspec, operandImages } from '../../../olm-bundle/images.js';

describe('olm-bundle: image pullspecs', () => {
  const cases: [string, boolean][] = [
    ['ghcr.io/open-local-operator/open-local:v0.1.0', true],
    ['registry.k8s.io/sig-storage/csi-provisioner:v6.3.0', true],
    [`quay.io/example/operator@sha256:${'0'.repeat(64)}`, true],
    [`quay.io/example/operator:v1@sha256:${'0'.repeat(64)}`, true],
    ['localhost:5000/open-local:dev', true],
    ['ghcr.io/open-local-operator/open-local:latest', false],
    ['ghcr.io/open-local-operator/open-local', false],
    ['open-local:v0.1.0', false],
    ['library/busybox:1.36', false],
    ['ghcr.io/Open-Local/open-local:v1', false],
    [`quay.io/example/operator@sha256:${'0'.repeat(63)}`, false],
  ];
  for (const [image, pinned] of cases) {
    it(`${pinned ? 'accepts' : 'refuses'} ${image}`, () => {
      expect(isPinnedPullspec(image)).to.equal(pinned);
    });
  }

  it('reads seven operand images, named in kebab case, from the OpenLocalCluster schema', () => {
    expect(operandImages().map((i) => i.name)).to.deep.equal([
      'open-local',
      'csi-provisioner',
      'csi-resizer',
      'csi-snapshotter',
      'snapshot-controller',
      'node-driver-registrar',
      'liveness-probe',
    ]);
  });
});
