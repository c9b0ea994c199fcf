import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import type { VolumeCapability } from '../../../../csi-driver/grpc/messages.js';
import { parseCapability } from '../../../../csi-driver/node/capability.js';
import { expectCsiError } from './expect-code.js';

const mount = (fs_type: string, mode = 'SINGLE_NODE_WRITER', mount_flags: string[] = []) => ({ mount: { fs_type, mount_flags, volume_mount_group: '' }, block: null, access_mode: { mode }, access_type: 'mount' }) as VolumeCapability;
const block = (mode = 'SINGLE_NODE_WRITER') => ({ block: {}, mount: null, access_mode: { mode }, access_type: 'block' }) as VolumeCapability;

describe('csi-driver/node/capability', () => {
  it('defaults fsType to ext4 and keeps mount flags', () => {
    expect(parseCapability(mount('', 'SINGLE_NODE_WRITER', ['noatime', 'discard,nodev']), 'v')).to.deep.equal({ kind: 'mount', fsType: 'ext4', flags: ['noatime', 'discard', 'nodev'], readOnlyMode: false });
  });
  it('accepts xfs, ext2, ext3 and raw block; SINGLE_NODE_READER_ONLY is read-only', () => {
    expect(parseCapability(mount('xfs'), 'v')).to.include({ fsType: 'xfs' });
    expect(parseCapability(mount('ext3'), 'v')).to.include({ fsType: 'ext3' });
    expect(parseCapability(block('SINGLE_NODE_READER_ONLY'), 'v')).to.deep.equal({ kind: 'block', readOnlyMode: true });
    expect(parseCapability(mount('ext4', 'SINGLE_NODE_SINGLE_WRITER'), 'v')).to.include({ readOnlyMode: false });
  });
  it('refuses a missing capability or access mode', () => {
    expectCsiError(() => parseCapability(null, 'v1'), status.INVALID_ARGUMENT, /volume v1: volume_capability is required/);
    expectCsiError(() => parseCapability({ mount: { fs_type: '', mount_flags: [], volume_mount_group: '' }, block: null, access_mode: null }, 'v1'), status.INVALID_ARGUMENT, /access_mode is required/);
    expectCsiError(() => parseCapability(mount('ext4', 'UNKNOWN'), 'v1'), status.INVALID_ARGUMENT, /access_mode is required/);
  });
  it('refuses multi-node access modes and the unadvertised SINGLE_NODE_MULTI_WRITER, naming the supported ones', () => {
    for (const mode of ['MULTI_NODE_MULTI_WRITER', 'MULTI_NODE_READER_ONLY', 'MULTI_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER']) {
      expectCsiError(() => parseCapability(mount('ext4', mode), 'v1'), status.INVALID_ARGUMENT, new RegExp(`access mode ${mode} is not supported`), /SINGLE_NODE_WRITER/);
    }
  });
  it('refuses unknown filesystems', () => {
    expectCsiError(() => parseCapability(mount('btrfs'), 'v1'), status.INVALID_ARGUMENT, /fsType "btrfs" is not supported \(supported: ext4, ext3, ext2, xfs\)/);
    expectCsiError(() => parseCapability(mount('ext4;rm -rf /'), 'v1'), status.INVALID_ARGUMENT, /not supported/);
  });
  it('refuses neither or both access types', () => {
    expectCsiError(() => parseCapability({ access_mode: { mode: 'SINGLE_NODE_WRITER' }, mount: null, block: null }, 'v1'), status.INVALID_ARGUMENT, /needs access_type block or mount/);
    expectCsiError(() => parseCapability({ access_mode: { mode: 'SINGLE_NODE_WRITER' }, mount: { fs_type: '', mount_flags: [], volume_mount_group: '' }, block: {} }, 'v1'), status.INVALID_ARGUMENT, /both block and mount/);
  });
  it('refuses mount flags that would make the driver bind or remount something else', () => {
    for (const flag of ['bind', 'remount', 'rbind', 'make-shared', 'loop=/dev/loop0', 'x-mount.mkdir']) {
      expectCsiError(() => parseCapability(mount('ext4', 'SINGLE_NODE_WRITER', [flag]), 'v1'), status.INVALID_ARGUMENT, /set by the driver itself/);
    }
    expectCsiError(() => parseCapability(mount('ext4', 'SINGLE_NODE_WRITER', ['a b']), 'v1'), status.INVALID_ARGUMENT, /characters a mount option cannot have/);
  });
});
