import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { parseIoLimits, parseNodeVolume } from '../../../../csi-driver/node/volume-source.js';
import { expectCsiError } from './expect-code.js';

describe('csi-driver/node/volume-source', () => {
  it('reads an LVM volume: LV = volume ID in the context VG (also a PV made by Open-Local v0.7)', () => {
    const id = 'local-2f0d3c1e-7a4b-4e7e-9a1c-3b5d8f6e2a10';
    expect(parseNodeVolume(id, { volumeType: 'LVM', vgName: 'open-local-pool-0', 'csi.storage.k8s.io/pv/name': 'x' })).to.deep.equal({
      type: 'LVM', vg: 'open-local-pool-0', lv: id, device: `/dev/open-local-pool-0/${id}`, readOnly: false,
    });
  });
  it('reads a read-only snapshot restore as the snapshot LV', () => {
    expect(parseNodeVolume('pvc-1', { volumeType: 'LVM', vgName: 'vg', 'csi.aliyun.com/snapshot-id': 'snap-1', 'csi.aliyun.com/readonly': 'true' })).to.deep.equal({
      type: 'LVM', vg: 'vg', lv: 'snap-1', device: '/dev/vg/snap-1', readOnly: true,
    });
  });
  it('reads Device and MountPoint volumes', () => {
    expect(parseNodeVolume('v', { volumeType: 'Device', Device: '/dev/sdb' })).to.deep.equal({ type: 'Device', device: '/dev/sdb', readOnly: false });
    expect(parseNodeVolume('v', { volumeType: 'MountPoint', MountPoint: '/mnt/open-local/disk-1' })).to.deep.equal({ type: 'MountPoint', path: '/mnt/open-local/disk-1', readOnly: false });
  });
  it('reads an inline volume: vgName required, size defaults to 1Gi', () => {
    expect(parseNodeVolume('csi-abc', { 'csi.storage.k8s.io/ephemeral': 'true', vgName: 'vg' })).to.deep.equal({ type: 'Ephemeral', vg: 'vg', lv: 'csi-abc', device: '/dev/vg/csi-abc', sizeBytes: 2 ** 30, readOnly: false });
    expect(parseNodeVolume('csi-abc', { 'csi.storage.k8s.io/ephemeral': 'true', vgName: 'vg', size: '512Mi' })).to.include({ sizeBytes: 512 * 2 ** 20 });
    expectCsiError(() => parseNodeVolume('csi-abc', { 'csi.storage.k8s.io/ephemeral': 'true' }), status.INVALID_ARGUMENT, /inline volume csi-abc: vgName "" is not a valid LVM name/);
    expectCsiError(() => parseNodeVolume('csi-abc', { 'csi.storage.k8s.io/ephemeral': 'true', vgName: 'vg', size: '-1Gi' }), status.INVALID_ARGUMENT, /size: "-1Gi" is negative/);
    expectCsiError(() => parseNodeVolume('csi-abc', { 'csi.storage.k8s.io/ephemeral': 'true', vgName: 'vg', size: '0' }), status.INVALID_ARGUMENT, /must be more than 0/);
    expectCsiError(() => parseNodeVolume('csi-abc', { 'csi.storage.k8s.io/ephemeral': 'true', vgName: 'vg', size: 'lots' }), status.INVALID_ARGUMENT, /not a quantity/);
  });
  it('refuses names and paths that could reach outside the volume', () => {
    expectCsiError(() => parseNodeVolume('v', { volumeType: 'LVM', vgName: '../etc' }), status.INVALID_ARGUMENT, /vgName "\.\.\/etc" is not a valid LVM name/);
    expectCsiError(() => parseNodeVolume('-rf', { volumeType: 'LVM', vgName: 'vg' }), status.INVALID_ARGUMENT, /volume ID "-rf" is not a valid LVM name/);
    expectCsiError(() => parseNodeVolume('v', { volumeType: 'Device', Device: '/dev/../etc/shadow' }), status.INVALID_ARGUMENT, /Device "\/dev\/\.\.\/etc\/shadow" is not a clean path under \/dev/);
    expectCsiError(() => parseNodeVolume('v', { volumeType: 'Device', Device: '/etc/shadow' }), status.INVALID_ARGUMENT, /not a clean path under \/dev/);
    expectCsiError(() => parseNodeVolume('v', { volumeType: 'MountPoint', MountPoint: 'relative' }), status.INVALID_ARGUMENT, /MountPoint "relative" is not a clean absolute path/);
    expectCsiError(() => parseNodeVolume('v', { volumeType: 'MountPoint', MountPoint: '/' }), status.INVALID_ARGUMENT, /not a clean absolute path/);
  });
  it('refuses a missing or unknown volumeType', () => {
    expectCsiError(() => parseNodeVolume('v', {}), status.INVALID_ARGUMENT, /volume v: volume_context has no volumeType/);
    expectCsiError(() => parseNodeVolume('v', { volumeType: 'Quota' }), status.INVALID_ARGUMENT, /volumeType "Quota" is not supported/);
  });
  it('reads IO limits: iops an integer, bps a quantity', () => {
    expect(parseIoLimits('v', {})).to.deep.equal({});
    expect(parseIoLimits('v', { iops: '1000', bps: '1Mi' })).to.deep.equal({ iops: 1000, bps: 1048576 });
    expect(parseIoLimits('v', { bps: '1048576' })).to.deep.equal({ bps: 1048576 });
    expectCsiError(() => parseIoLimits('v', { iops: '1.5' }), status.INVALID_ARGUMENT, /iops "1\.5" must be a positive integer/);
    expectCsiError(() => parseIoLimits('v', { iops: '0' }), status.INVALID_ARGUMENT, /positive integer/);
    expectCsiError(() => parseIoLimits('v', { bps: '10 MB' }), status.INVALID_ARGUMENT, /bps: "10 MB" is not a quantity/);
    expectCsiError(() => parseIoLimits('v', { bps: '-1Mi' }), status.INVALID_ARGUMENT, /positive quantity/);
  });
});
