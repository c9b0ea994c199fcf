import { expect } from 'chai';
import { parseAntiAffinity, parseStrategy } from '../../../extender/options.js';

describe('extender/options', () => {
  it("reads Open-Local's --enabled-node-anti-affinity syntax", () => {
    expect(parseAntiAffinity('')).to.deep.equal({});
    expect(parseAntiAffinity('MountPoint=5,Device=3')).to.deep.equal({ MountPoint: 5, Device: 3 });
    expect(parseAntiAffinity('Device')).to.deep.equal({ Device: 5 });
    expect(parseAntiAffinity('LVM=2, Device=0')).to.deep.equal({ Device: 0 });
  });
  const bad: [string, string][] = [
    ['Disk=3', 'the kind must be Device, MountPoint or LVM'],
    ['Device=11', 'the weight must be a whole number from 0 to 10'],
    ['Device=-1', 'the weight must be a whole number from 0 to 10'],
    ['Device=x', 'the weight must be a whole number from 0 to 10'],
  ];
  for (const [text, message] of bad) {
    it(`refuses "${text}"`, () => {
      expect(() => parseAntiAffinity(text)).to.throw(message);
    });
  }
  it('takes binpack or spread only', () => {
    expect(parseStrategy('binpack')).to.equal('binpack');
    expect(() => parseStrategy('random')).to.throw('--strategy: "random" is not one of binpack, spread');
  });
});
