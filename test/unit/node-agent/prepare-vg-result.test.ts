import { expect } from 'chai';
import {
  formatResult,
  parseResult,
  resultSucceeded,
  TERMINATION_MESSAGE_LIMIT,
  type PrepareVgResult,
} from '../../../node-agent/prepare-vg/result.js';

const base: PrepareVgResult = {
  version: 1,
  node: 'worker-1',
  configHash: '0123456789abcdef',
  volumeGroups: [{ name: 'open-local-pool-0', state: 'Created', devices: ['/dev/vdb'], size: '10737418240', message: '' }],
  mountPoints: [],
};

describe('node-agent/prepare-vg/result', () => {
  it('round-trips through the termination message', () => {
    expect(parseResult(formatResult(base))).to.deep.equal(base);
  });

  it('succeeds only when nothing was refused or failed', () => {
    expect(resultSucceeded(base)).to.equal(true);
    expect(resultSucceeded({ ...base, volumeGroups: [{ ...base.volumeGroups[0]!, state: 'Refused', message: '/dev/vdb: has an ext4 signature' }] })).to.equal(false);
    expect(resultSucceeded({ ...base, error: 'lvm not found' })).to.equal(false);
  });

  it('counts Removed (--remove) as success, and a refusal next to it as failure', () => {
    const removed = { name: 'open-local-pool-0', state: 'Removed' as const, devices: ['/dev/vdb'], message: '' };
    const gone = { name: 'open-local-pool-1', state: 'Removed' as const, devices: [], message: 'not present' };
    expect(resultSucceeded({ ...base, volumeGroups: [removed, gone] })).to.equal(true);
    expect(resultSucceeded({ ...base, volumeGroups: [removed, { ...gone, state: 'Refused', message: 'holds 1 logical volume: a; delete their PersistentVolumes first' }] })).to.equal(false);
    expect(parseResult(formatResult({ ...base, volumeGroups: [removed] }))).to.deep.equal({ ...base, volumeGroups: [removed] });
  });

  it('fits the 4096-byte termination message by shortening messages, keeping names and states', () => {
    const huge: PrepareVgResult = {
      ...base,
      volumeGroups: Array.from({ length: 20 }, (_, i) => ({ name: `vg-${i}`, state: 'Refused' as const, devices: [`/dev/disk/by-id/d${i}`], message: 'x'.repeat(3000) })),
    };
    const text = formatResult(huge);
    expect(Buffer.byteLength(text)).to.be.at.most(TERMINATION_MESSAGE_LIMIT);
    const parsed = parseResult(text);
    expect('invalid' in parsed).to.equal(false);
    expect((parsed as PrepareVgResult).volumeGroups.map((v) => [v.name, v.state])).to.deep.equal(huge.volumeGroups.map((v) => [v.name, v.state]));
  });

  it('drops the PV identities before the device lists when the result would not fit', () => {
    const pvs = Array.from({ length: 6 }, (_, j) => ({ device: `/dev/disk/by-id/wwn-0x5000c500a1b2c3${j}`, uuid: 'F3qSjn-meio-DADL-UK5Z-4ftF-HrCM-1tW0Yo', addedAs: `/dev/disk/by-id/wwn-0x5000c500a1b2c3${j}`, wwn: `naa.5000c500a1b2c3${j}` }));
    const many: PrepareVgResult = {
      ...base,
      volumeGroups: Array.from({ length: 6 }, (_, i) => ({ name: `vg-${i}`, state: 'Ready' as const, devices: pvs.map((p) => p.device), message: '', physicalVolumes: pvs })),
    };
    const parsed = parseResult(formatResult(many)) as PrepareVgResult;
    expect(parsed.volumeGroups.map((v) => v.physicalVolumes)).to.deep.equal(many.volumeGroups.map(() => undefined));
    expect(parsed.volumeGroups.map((v) => v.devices)).to.deep.equal(many.volumeGroups.map((v) => v.devices));
    const one = { ...base, volumeGroups: [many.volumeGroups[0]!], mountPoints: [{ path: '/mnt/a', device: '/dev/sdd', state: 'Created' as const, message: '', fsUuid: 'u' }] };
    expect(parseResult(formatResult(one))).to.deep.equal(one);
  });

  const invalid: [string, string][] = [
    ['text that is not JSON', 'Error: boom'],
    ['another version', JSON.stringify({ ...base, version: 2 })],
    ['a result without configHash', JSON.stringify({ ...base, configHash: undefined })],
    ['a JSON scalar', '42'],
  ];
  for (const [name, text] of invalid) {
    it(`reports ${name} as invalid instead of throwing`, () => {
      expect(parseResult(text)).to.have.property('invalid').that.is.a('string');
    });
  }
});
