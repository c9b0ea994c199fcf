import { expect } from 'chai';
import type { NodeLocalStorageSpec, NodeLocalStorageStatus } from '../../../api/generated/types.js';
import type { MountEntry } from '../../../node-agent/discovery/mounts.js';
import type { Discovery } from '../../../node-agent/discovery/source.js';
import type { BlockDevice } from '../../../node-agent/discovery/sysfs.js';
import type { LvmReport } from '../../../node-agent/lvm/report.js';
import { computeStatus, stampStatus, statusNeedsWrite, withoutTimestamps } from '../../../node-agent/status.js';
import { capturedReport, fixture } from './fixtures.js';
import { parsePvsReport, parseVgsReport } from '../../../node-agent/lvm/report.js';

const MiB = 2 ** 20;
const disk = (name: string, extra: Partial<BlockDevice> = {}): BlockDevice => ({ name, kernelName: name.slice(5), mediaType: 'ssd', size: 1024 * MiB, readOnly: false, partitions: [], holders: [], ...extra });
const mount = (target: string, source: string, avail = 100 * MiB, options = ['rw']): MountEntry => ({ target, source, isBind: false, fsType: 'ext4', options, size: 1000 * MiB, avail });

/** Every device probed, without signatures, unless `over` says otherwise. */
function discovery(over: Partial<Discovery> = {}): Discovery {
  const base = {
    devices: [
      disk('/dev/sda', { partitions: ['/dev/sda1'] }),
      disk('/dev/sda1', { parent: '/dev/sda' }),
      disk('/dev/ubda'), // PV of pool0
      disk('/dev/ubdb'), // PV of pool0
      disk('/dev/vdc', { mediaType: 'hdd' }),
      disk('/dev/vdd', { holders: ['dm-3'] }),
      disk('/dev/vde'), // mounted below
      disk('/dev/vdf', { readOnly: true }),
    ],
    lvm: capturedReport(),
    mounts: [mount('/', '/dev/sda1'), mount('/mnt/open-local/a', '/dev/vde'), mount('/mnt/open-local/full', '/dev/vdg', 0, ['ro', 'noatime'])],
    swaps: [],
    specDevices: new Map(),
    ...over,
  };
  return { signatures: new Map(base.devices.map((d) => [d.name, { signatures: [] }])), ...base };
}

const spec: NodeLocalStorageSpec = {
  nodeName: 'n1',
  listConfig: { vgs: { include: ['pool[0-9]+', 'full0'] }, devices: { include: ['/dev/.*'] }, mountPoints: { include: ['/mnt/open-local/.*'] } },
};
const status = (over: Partial<Parameters<typeof computeStatus>[0]> = {}): NodeLocalStorageStatus =>
  computeStatus({ spec, annotations: undefined, discovery: discovery(), mountRoot: '/mnt/open-local', ...over });

describe('node-agent/status', () => {
  describe('volume groups', () => {
    const vgs = status().nodeStorageInfo?.volumeGroups ?? [];
    const pool0 = vgs.find((v) => v.name === 'pool0');

    it('reports every VG, sorted, with PVs and LVs', () => {
      expect(vgs.map((v) => v.name)).to.deep.equal(['data', 'full0', 'pool0']);
      expect(pool0?.physicalVolumes).to.deep.equal(['/dev/ubda', '/dev/ubdb']);
      expect(pool0?.logicalVolumes?.map((l) => [l.name, l.total, l.readOnly, l.condition])).to.deep.equal([
        ['backup', 64 * MiB, true, 'DiskReady'],
        ['csi-4b1d', 100 * MiB, false, 'DiskReady'],
        ['local-7f3a9c2e', 200 * MiB, false, 'DiskReady'],
        ['snap-0c1d2e3f', 16 * MiB, false, 'DiskReady'],
      ]);
    });

    it('DECISION: allocatable = total − foreign LVs − snapshot LVs; local- and csi- volumes are charged by the scheduler instead', () => {
      expect(pool0).to.include({ total: 2139095040, available: 1740636160, allocatable: 2139095040 - 64 * MiB - 16 * MiB, condition: 'DiskReady' });
      expect(vgs.find((v) => v.name === 'data')).to.include({ allocatable: 1069547520 - 100 * MiB });
    });

    it('marks a VG without free extents DiskFull (Open-Local overwrote it with DiskReady)', () => {
      expect(vgs.find((v) => v.name === 'full0')).to.include({ available: 0, allocatable: 532676608, condition: 'DiskFull' });
    });

    it('applies storage-reserved in bytes and in percent', () => {
      const reserved = status({ annotations: { 'csi.aliyun.com/storage-reserved': '{"pool0":"10%","data":"1000Mi"}' } });
      const byName = new Map((reserved.nodeStorageInfo?.volumeGroups ?? []).map((v) => [v.name, v.allocatable]));
      expect(byName.get('pool0')).to.equal(2139095040 - Math.ceil(2139095040 / 10));
      expect(byName.get('data')).to.equal(1069547520 - 1000 * MiB);
      expect(reserved.filteredStorageInfo?.updateStatusInfo).to.deep.equal({ updateStatus: 'accepted', reason: '' });
    });

    it('marks a VG that lost a PV DiskFault', () => {
      const lvm: LvmReport = { vgs: parseVgsReport(fixture('vgs-partial.json')), pvs: parsePvsReport(fixture('pvs-partial.json')), lvs: [] };
      const s = status({ discovery: discovery({ lvm }) });
      expect(s.nodeStorageInfo?.volumeGroups?.find((v) => v.name === 'pool0')?.condition).to.equal('DiskFault');
      expect(s.nodeStorageInfo?.state).to.include({ type: 'DiskFault', reason: 'VolumeGroupDegraded' });
    });
  });

  describe('devices and mount points', () => {
    const s = status();

    it('reports every disk and partition with media and read-only flag', () => {
      expect(s.nodeStorageInfo?.deviceInfo?.map((d) => [d.name, d.mediaType, d.readOnly, d.condition])).to.deep.include.members([
        ['/dev/sda1', 'ssd', false, 'DiskReady'],
        ['/dev/vdc', 'hdd', false, 'DiskReady'],
        ['/dev/vdf', 'ssd', true, 'DiskReady'],
      ]);
      expect(s.nodeStorageInfo?.deviceInfo).to.have.length(8);
    });

    it('reports mount points under the mount root, full ones DiskFull, ro from options', () => {
      expect(s.nodeStorageInfo?.mountPoints).to.deep.equal([
        { name: '/mnt/open-local/a', total: 1000 * MiB, available: 100 * MiB, fsType: 'ext4', isBind: false, options: ['rw'], device: '/dev/vde', readOnly: false, condition: 'DiskReady' },
        { name: '/mnt/open-local/full', total: 1000 * MiB, available: 0, fsType: 'ext4', isBind: false, options: ['ro', 'noatime'], device: '/dev/vdg', readOnly: true, condition: 'DiskFull' },
      ]);
    });

    it('DECISION: never offers an in-use or read-only device (partitioned, PV, holders, mounted) whatever listConfig says', () => {
      expect(s.filteredStorageInfo?.devices).to.deep.equal(['/dev/vdc']);
    });

    describe('DECISION: never offers a used disk (device volumes wipe what the agent offers)', () => {
      const blank = (name: string): BlockDevice => disk(name);
      const free = (over: Partial<Discovery>): readonly string[] => status({ discovery: discovery(over) }).filteredStorageInfo?.devices ?? [];
      const sig = (type: string) => ({ signatures: [{ type, label: undefined, offset: '0x438' }] });

      for (const type of ['ext4', 'xfs', 'LVM2_member', 'linux_raid_member', 'swap', 'crypto_LUKS', 'dos', 'gpt', 'PMBR']) {
        it(`not a device with a ${type} signature`, () => {
          const devices = [blank('/dev/vdc'), blank('/dev/vdh')];
          expect(free({ devices, signatures: new Map([['/dev/vdc', { signatures: [] }], ['/dev/vdh', sig(type)]]) })).to.deep.equal(['/dev/vdc']);
        });
      }

      it('not a device whose probe failed, or that was not probed (when in doubt, in use)', () => {
        const devices = [blank('/dev/vdc'), blank('/dev/vdh'), blank('/dev/vdi')];
        const signatures = new Map([['/dev/vdc', { signatures: [] }], ['/dev/vdh', { error: 'wipefs --no-act --json /dev/vdh: timed out after 15000 ms' }]]);
        expect(free({ devices, signatures })).to.deep.equal(['/dev/vdc']);
      });

      it('not a device in /proc/swaps', () => {
        expect(free({ devices: [blank('/dev/vdc'), blank('/dev/vdh')], swaps: ['/dev/vdh', '/swapfile'] })).to.deep.equal(['/dev/vdc']);
      });

      it('not a mounted partition, nor a disk with a mounted partition', () => {
        const devices = [disk('/dev/vdh', { partitions: ['/dev/vdh1'] }), disk('/dev/vdh1', { parent: '/dev/vdh' }), blank('/dev/vdc')];
        expect(free({ devices, mounts: [mount('/data', '/dev/vdh1')] })).to.deep.equal(['/dev/vdc']);
      });

      it('not a device resourceToBeInited names, by its canonical path (a by-id link) or as written, nor its partitions', () => {
        const devices = [blank('/dev/vdc'), blank('/dev/vdh'), blank('/dev/vdi'), disk('/dev/vdj', { parent: '/dev/vdk' }), blank('/dev/vdl')];
        const specDevices = new Map<string, string | undefined>([
          ['/dev/disk/by-id/virtio-data-1', '/dev/vdh'],
          ['/dev/vdi', undefined],
          ['/dev/vdk', '/dev/vdk'],
        ]);
        expect(free({ devices, specDevices })).to.deep.equal(['/dev/vdc', '/dev/vdl']);
      });
    });

    it('filters VGs and mount points with listConfig', () => {
      expect(s.filteredStorageInfo?.volumeGroups).to.deep.equal(['full0', 'pool0']);
      expect(s.filteredStorageInfo?.mountPoints).to.deep.equal(['/mnt/open-local/a', '/mnt/open-local/full']);
    });

    it('selects nothing without listConfig', () => {
      const bare = status({ spec: undefined });
      expect(bare.filteredStorageInfo).to.deep.include({ volumeGroups: [], mountPoints: [], devices: [] });
    });
  });

  describe('node state', () => {
    const healthy = (): Discovery => discovery({ lvm: { ...capturedReport(), vgs: capturedReport().vgs.filter((v) => v.name !== 'full0') }, mounts: [mount('/mnt/open-local/a', '/dev/vde')] });

    it('is Running and DiskReady/Healthy when nothing is wrong', () => {
      const s = status({ discovery: healthy() });
      expect(s.nodeStorageInfo?.phase).to.equal('Running');
      expect(s.nodeStorageInfo?.state).to.deep.equal({ type: 'DiskReady', status: 'True', reason: 'Healthy', message: 'every volume group, device and mount point is healthy' });
    });

    it('is DiskFull naming every full VG and mount point', () => {
      expect(status().nodeStorageInfo?.state).to.deep.equal({
        type: 'DiskFull',
        status: 'True',
        reason: 'MountPointFull',
        message: 'mount point /mnt/open-local/full is full; volume group full0 has no free space',
      });
    });

    it('is DiskFault (before DiskFull) for what the spec names and the node lacks', () => {
      const faulty: NodeLocalStorageSpec = {
        ...spec,
        resourceToBeInited: {
          vgs: [{ name: 'pool0', devices: ['/dev/ubda'] }, { name: 'pool9', devices: ['/dev/disk/by-id/gone'] }],
          mountpoints: [{ path: '/mnt/open-local/a', device: '/dev/vde' }, { path: '/mnt/open-local/b', device: '/dev/vdz' }],
        },
      };
      const specDevices = new Map([['/dev/ubda', '/dev/ubda'], ['/dev/disk/by-id/gone', undefined], ['/dev/vde', '/dev/vde'], ['/dev/vdz', undefined]]);
      const s = status({ spec: faulty, discovery: { ...discovery(), specDevices } });
      expect(s.nodeStorageInfo?.state).to.deep.equal({
        type: 'DiskFault',
        status: 'True',
        reason: 'DeviceMissing',
        message: 'device /dev/disk/by-id/gone is missing; device /dev/vdz is missing; mount point /mnt/open-local/b is not mounted; volume group pool9 is missing; mount point /mnt/open-local/full is full; volume group full0 has no free space',
      });
    });

    it('is DiskFault for an overflowed snapshot', () => {
      const lvm = capturedReport();
      const broken = { ...lvm, lvs: lvm.lvs.map((l) => (l.name.startsWith('snap-') ? { ...l, attr: 'swi-I-s---' } : l)) };
      const s = status({ discovery: { ...healthy(), lvm: { ...broken, vgs: healthy().lvm.vgs } } });
      expect(s.nodeStorageInfo?.state).to.include({ type: 'DiskFault', reason: 'SnapshotInvalid' });
    });
  });

  describe('problems', () => {
    it('reports invalid regexes and annotation entries in updateStatusInfo, without failing the pass', () => {
      const s = status({
        spec: { listConfig: { vgs: { include: ['pool0', '(bad'] }, devices: { include: ['/dev/.*'], exclude: ['[x'] } } },
        annotations: { 'csi.aliyun.com/storage-reserved': '{"pool0":"lots","nope":"1Gi"}' },
      });
      expect(s.filteredStorageInfo?.volumeGroups).to.deep.equal(['pool0']);
      expect(s.filteredStorageInfo?.devices).to.deep.equal([]);
      expect(s.filteredStorageInfo?.updateStatusInfo?.updateStatus).to.equal('failed');
      const reason = s.filteredStorageInfo?.updateStatusInfo?.reason ?? '';
      expect(reason).to.include('annotation csi.aliyun.com/storage-reserved: "pool0": "lots" is not a quantity')
        .and.to.include('volume group "nope" does not exist on this node')
        .and.to.include('listConfig.vgs.include[1] "(bad" is invalid')
        .and.to.include('listConfig.devices selects nothing until its exclude patterns are fixed');
      // The bad reservation is ignored, not applied.
      expect(s.nodeStorageInfo?.volumeGroups?.find((v) => v.name === 'pool0')?.allocatable).to.equal(2139095040 - 80 * MiB);
    });
  });

  describe('timestamps and "no write when unchanged"', () => {
    const t1 = new Date('2026-01-01T10:00:00.123Z');
    const t2 = new Date('2026-01-01T10:05:00Z');
    const first = stampStatus(status(), undefined, t1);

    it('stamps heartbeat, transition and update times in RFC 3339 seconds', () => {
      expect(first.nodeStorageInfo?.state).to.include({ lastHeartbeatTime: '2026-01-01T10:00:00Z', lastTransitionTime: '2026-01-01T10:00:00Z' });
      expect(first.filteredStorageInfo?.updateStatusInfo?.lastUpdateTime).to.equal('2026-01-01T10:00:00Z');
    });

    it('keeps lastTransitionTime while the state type stays, moves it when the type changes', () => {
      const sameState = stampStatus(status({ spec: { ...spec, listConfig: {} } }), first, t2);
      expect(sameState.nodeStorageInfo?.state).to.include({ lastHeartbeatTime: '2026-01-01T10:05:00Z', lastTransitionTime: '2026-01-01T10:00:00Z' });
      const healthy = discovery({ lvm: { ...capturedReport(), vgs: capturedReport().vgs.filter((v) => v.name !== 'full0') }, mounts: [] });
      const changed = stampStatus(status({ discovery: healthy }), first, t2);
      expect(changed.nodeStorageInfo?.state).to.include({ type: 'DiskReady', lastTransitionTime: '2026-01-01T10:05:00Z' });
    });

    const table: [string, NodeLocalStorageStatus | undefined, NodeLocalStorageStatus, boolean][] = [
      ['writes when there is no status yet', undefined, status(), true],
      ['does not write when only the timestamps differ', first, status(), false],
      ['does not write for the same status stamped later', first, stampStatus(status(), first, t2), false],
      ['writes when a filtered list changes', first, status({ spec: { ...spec, listConfig: { vgs: { include: ['data'] } } } }), true],
      ['writes when a size changes', first, status({ discovery: discovery({ mounts: [] }) }), true],
      ['writes when allocatable changes through the annotation', first, status({ annotations: { 'csi.aliyun.com/storage-reserved': '{"pool0":"1Gi"}' } }), true],
    ];
    for (const [name, current, desired, want] of table) {
      it(name, () => {
        expect(statusNeedsWrite(current, desired)).to.equal(want);
      });
    }

    it('compares independently of key order (the API server may reorder)', () => {
      const reordered = JSON.parse(JSON.stringify(first, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v))) as NodeLocalStorageStatus;
      expect(statusNeedsWrite(reordered, status())).to.equal(false);
      expect(withoutTimestamps(first).nodeStorageInfo?.state).to.not.have.keys('lastHeartbeatTime', 'lastTransitionTime');
    });
  });
});
