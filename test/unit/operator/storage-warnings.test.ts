import { expect } from 'chai';
import { storageWarnings } from '../../../operator/status/storage-warnings.js';

describe('operator/status/storage-warnings', () => {
  it('names every forced kernel device name, in globalConfig and nodesConfig, with its field', () => {
    const warnings = storageWarnings({
      globalConfig: { resourceToBeInited: { vgs: [{ name: 'pool0', devices: ['/dev/sdb', '/dev/disk/by-id/wwn-0x1'], forceDevices: ['/dev/disk/by-id/wwn-0x1', '/dev/sdb'] }] } },
      nodesConfig: [
        { selector: { matchLabels: { a: 'b' } }, resourceToBeInited: { mountpoints: [{ path: '/mnt/x', device: '/dev/nvme0n1p1', force: true }] } },
      ],
    });
    expect(warnings.map((w) => w.field)).to.deep.equal([
      'spec.storage.globalConfig.resourceToBeInited.vgs[0].forceDevices[1]',
      'spec.storage.nodesConfig[0].resourceToBeInited.mountpoints[0].device',
    ]);
    expect(warnings[0]?.message).to.include('/dev/sdb').and.include('/dev/disk/by-id/');
    expect(warnings[1]?.message).to.include('/dev/nvme0n1p1');
  });

  it('stays quiet for unforced kernel names, forced stable names and mount points without force', () => {
    expect(storageWarnings({
      globalConfig: { resourceToBeInited: { vgs: [{ name: 'pool0', devices: ['/dev/vdb'] }], mountpoints: [{ path: '/mnt/x', device: '/dev/vdc' }, { path: '/mnt/y', device: '/dev/vdd', force: false }] } },
      nodesConfig: [{ resourceToBeInited: { vgs: [{ name: 'p', devices: ['/dev/disk/by-id/x'], forceDevices: ['/dev/disk/by-id/x'] }] } }],
    })).to.deep.equal([]);
    expect(storageWarnings(undefined)).to.deep.equal([]);
  });
});
