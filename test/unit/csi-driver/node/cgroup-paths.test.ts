import { expect } from 'chai';
import { blkioWrites, decodeDev, ioMaxLine, podCgroupCandidates, podUidFromTargetPath } from '../../../../csi-driver/node/cgroup-paths.js';

const UID = '7c1f6b2e-3d4a-4f5b-8c9d-0e1f2a3b4c5d';

describe('csi-driver/node/cgroup-paths', () => {
  it('reads the pod UID from a mount target and from a block publish target', () => {
    expect(podUidFromTargetPath(`/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~csi/pvc-1/mount`, '/var/lib/kubelet')).to.equal(UID);
    expect(podUidFromTargetPath(`/var/lib/kubelet/plugins/kubernetes.io/csi/volumeDevices/publish/pvc-1/${UID}`, '/var/lib/kubelet/')).to.equal(UID);
  });
  it('finds no UID in other paths', () => {
    expect(podUidFromTargetPath(`/var/lib/kubelet/pods/not-a-uid/volumes/x`, '/var/lib/kubelet')).to.be.undefined;
    expect(podUidFromTargetPath(`/other/pods/${UID}/volumes/x`, '/var/lib/kubelet')).to.be.undefined;
    expect(podUidFromTargetPath(`/var/lib/kubelet/plugins/kubernetes.io/csi/volumeDevices/publish/pvc-1/${UID}/extra`, '/var/lib/kubelet')).to.be.undefined;
  });
  it('lists the systemd and cgroupfs pod directories of every QoS class', () => {
    const u = UID.replace(/-/g, '_');
    expect(podCgroupCandidates(UID)).to.deep.equal([
      `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice`,
      `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${u}.slice`,
      `kubepods.slice/kubepods-pod${u}.slice`,
      `kubepods/burstable/pod${UID}`,
      `kubepods/besteffort/pod${UID}`,
      `kubepods/pod${UID}`,
    ]);
  });
  it('decodes dev_t as the kernel does (small and large minors)', () => {
    expect(decodeDev(0xfd01n)).to.deep.equal({ major: 253, minor: 1 });
    expect(decodeDev((259n << 8n) | 0x05n | (0x123n << 12n) * 0x100n)).to.deep.equal({ major: 259, minor: 5 | (0x123 << 8) });
  });
  it('writes io.max with max for an unset limit, and blkio lines with 0', () => {
    expect(ioMaxLine({ major: 253, minor: 3 }, { iops: 100, bps: 1048576 })).to.equal('253:3 rbps=1048576 wbps=1048576 riops=100 wiops=100');
    expect(ioMaxLine({ major: 253, minor: 3 }, { iops: 100 })).to.equal('253:3 rbps=max wbps=max riops=100 wiops=100');
    expect(blkioWrites({ major: 8, minor: 16 }, { bps: 2048 })).to.deep.equal([
      { file: 'blkio.throttle.read_iops_device', line: '8:16 0' },
      { file: 'blkio.throttle.write_iops_device', line: '8:16 0' },
      { file: 'blkio.throttle.read_bps_device', line: '8:16 2048' },
      { file: 'blkio.throttle.write_bps_device', line: '8:16 2048' },
    ]);
  });
});
