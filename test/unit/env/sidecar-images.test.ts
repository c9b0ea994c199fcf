import { expect } from 'chai';
import { operandImages } from '../../../olm-bundle/images.js';
import { SIDECAR_IMAGES, sidecarImageSpec } from '../../env/sidecar-images.js';

describe('env: CSI sidecar images', () => {
  // The images the nodes run are the peers the CSI tests run: synth's defaults must name the built versions.
  for (const sidecar of SIDECAR_IMAGES) {
    const { version } = sidecar;
    if (version === null) continue;
    it(`synth's default ${sidecar.operand} image is tagged ${version} (scripts/peers/versions.env)`, () => {
      const spec = sidecarImageSpec(sidecar);
      expect(spec.name).to.match(new RegExp(`^registry\\.k8s\\.io/sig-storage/${sidecar.operand}:`));
      expect(spec.name.endsWith(`:${version}`)).to.equal(true);
      expect(spec.entrypoint).to.deep.equal([`/${sidecar.peer}`]);
    });
  }

  it("the stand-ins take synth's default node-driver-registrar and livenessprobe names, whatever their tags", () => {
    const defaults = operandImages().map((d) => (d.name === 'liveness-probe' ? { ...d, image: 'registry.k8s.io/sig-storage/livenessprobe:v9.9.9' } : d));
    const byOperand = (operand: string) => {
      const s = SIDECAR_IMAGES.find((x) => x.operand === operand);
      if (!s) throw new Error(`no ${operand}`);
      return s;
    };
    expect(sidecarImageSpec(byOperand('node-driver-registrar'))).to.deep.equal({
      name: 'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.17.0',
      entrypoint: ['/standin-registrar'],
    });
    expect(sidecarImageSpec(byOperand('liveness-probe'), defaults).name).to.equal('registry.k8s.io/sig-storage/livenessprobe:v9.9.9');
  });

  it('refuses a default whose tag is not the built version, saying where to change it', () => {
    const defaults = operandImages().map((d) => (d.name === 'csi-resizer' ? { ...d, image: 'registry.k8s.io/sig-storage/csi-resizer:v9.9.9' } : d));
    const resizer = SIDECAR_IMAGES.find((s) => s.operand === 'csi-resizer');
    if (!resizer) throw new Error('no csi-resizer');
    expect(() => sidecarImageSpec(resizer, defaults)).to.throw(/csi-resizer:v9\.9\.9.*images\.yaml/);
  });
});
