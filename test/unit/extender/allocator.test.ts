import { expect } from 'chai';
import { fitNode, fitNodes, type StorageView } from '../../../extender/allocator/allocate.js';
import type { AllocatorOptions, Claim, ExclusiveResource, NodeFit, NodeStorage, NodeUsage } from '../../../extender/allocator/types.js';

const Gi = 1024 ** 3;
const node = (vgs: Record<string, number>, extra: Partial<NodeStorage> = {}): NodeStorage => ({
  name: 'n1',
  vgs: Object.entries(vgs).map(([name, gi]) => ({ name, capacity: gi * Gi })).sort((a, b) => (a.name < b.name ? -1 : 1)),
  devices: [],
  mountPoints: [],
  ...extra,
});
const usage = (vgUsed: Record<string, number> = {}, taken: string[] = [], promised: Claim[] = []): NodeUsage => ({
  vgUsed: new Map(Object.entries(vgUsed).map(([k, v]) => [k, v * Gi])),
  taken: new Set(taken),
  promised,
});
const lvm = (id: string, size: number, vgName?: string): Claim => ({ id, kind: 'LVM', size: size * Gi, ...(vgName ? { vgName } : {}) });
const disk = (name: string, capacity: number, mediaType = 'ssd'): ExclusiveResource => ({ name, capacity: capacity * Gi, mediaType });
const dev = (id: string, size: number, mediaType = 'ssd'): Claim => ({ id, kind: 'Device', size: size * Gi, mediaType });
const binpack: AllocatorOptions = { strategy: 'binpack' };
const spread: AllocatorOptions = { strategy: 'spread' };

/** `vg` per claim id, or the failure reason. */
function where(fit: NodeFit): Record<string, string> | string {
  if (!fit.fits) return fit.reason;
  return Object.fromEntries(fit.placements.map((p) => [p.claim, p.vgName ?? p.resource ?? '']));
}

describe('extender/allocator', () => {
  describe('LVM placement', () => {
    const table: [string, NodeStorage, NodeUsage, Claim[], AllocatorOptions, Record<string, string> | string][] = [
      ['binpack takes the VG with the least free space that fits', node({ a: 100, b: 100 }), usage({ a: 70, b: 20 }), [lvm('ns/p', 10)], binpack, { 'ns/p': 'a' }],
      ['binpack skips a fuller VG that is too small', node({ a: 100, b: 100 }), usage({ a: 95, b: 20 }), [lvm('ns/p', 10)], binpack, { 'ns/p': 'b' }],
      ['spread takes the VG with the most free space', node({ a: 100, b: 100 }), usage({ a: 70, b: 20 }), [lvm('ns/p', 10)], spread, { 'ns/p': 'b' }],
      ['a StorageClass vgName fixes the VG', node({ a: 100, b: 100 }), usage(), [lvm('ns/p', 10, 'b')], binpack, { 'ns/p': 'b' }],
      ['breaks ties by VG name, so every run answers the same', node({ b: 100, a: 100 }), usage(), [lvm('ns/p', 10)], spread, { 'ns/p': 'a' }],
      ['says which fixed VG is missing', node({ a: 100 }), usage(), [lvm('ns/p', 10, 'fast')], binpack, 'volume group "fast" (vgName of ns/p) is not on this node'],
      ['says how much a fixed VG lacks', node({ a: 100 }), usage({ a: 97 }), [lvm('ns/p', 5, 'a')], binpack, 'volume group "a" has 3Gi free, ns/p needs 5Gi (2Gi short)'],
      ['says how much the emptiest VG lacks', node({ a: 100, b: 50 }), usage({ a: 92, b: 45 }), [lvm('ns/p', 10)], binpack, 'no volume group has 10Gi free for ns/p: the most free is "a" with 8Gi (2Gi short)'],
      ['fails a node without volume groups', node({}), usage(), [lvm('ns/p', 1)], binpack, 'no volume group on this node for ns/p'],
      ['counts a full VG used beyond its size as 0 free', node({ a: 10 }), usage({ a: 12 }), [lvm('ns/p', 1, 'a')], binpack, 'volume group "a" has 0 free, ns/p needs 1Gi (1Gi short)'],
    ];
    for (const [name, storage, use, claims, options, want] of table) {
      it(name, () => {
        expect(where(fitNode(storage, use, claims, options))).to.deep.equal(want);
      });
    }
  });

  describe('all claims of a pod together (Open-Local #158)', () => {
    it('fails a node where each PVC fits alone but not all three together', () => {
      const claims = [lvm('ns/a', 40), lvm('ns/b', 40), lvm('ns/c', 40)];
      for (const claim of claims) expect(fitNode(node({ vg: 100 }), usage(), [claim], binpack).fits).to.equal(true);
      expect(where(fitNode(node({ vg: 100 }), usage(), claims, binpack))).to.equal('no volume group has 40Gi free for ns/c: the most free is "vg" with 20Gi (20Gi short)');
    });
    it('places the largest claim first so a small one cannot take the only VG the large one fits in', () => {
      expect(where(fitNode(node({ big: 100, small: 20 }), usage(), [lvm('ns/small', 10), lvm('ns/large', 90)], spread))).to.deep.equal({ 'ns/large': 'big', 'ns/small': 'small' });
    });
    it('places fixed-VG claims before free ones', () => {
      expect(where(fitNode(node({ a: 50, b: 30 }), usage(), [lvm('ns/free', 30), lvm('ns/fixed', 40, 'a')], binpack))).to.deep.equal({ 'ns/fixed': 'a', 'ns/free': 'b' });
    });
  });

  describe('claims promised to volumes being created (two pods scheduled at once)', () => {
    it('keeps the last space for the pod the scheduler sent there first', () => {
      const first = lvm('ns/first', 60);
      expect(fitNode(node({ vg: 100 }), usage(), [first], binpack).fits).to.equal(true);
      const fit = fitNode(node({ vg: 100 }), usage({}, [], [first]), [lvm('ns/second', 60)], binpack);
      expect(where(fit)).to.equal('no volume group has 60Gi free for ns/second: the most free is "vg" with 40Gi (20Gi short)');
    });
    it("does not count the pod's own promised claim twice (a pod rescheduled to the same node)", () => {
      const claim = lvm('ns/mine', 60);
      expect(fitNode(node({ vg: 100 }), usage({}, [], [claim]), [claim], binpack).fits).to.equal(true);
    });
    it('reports a node overcommitted by promised claims', () => {
      expect(where(fitNode(node({ vg: 10 }), usage({}, [], [lvm('ns/p', 20)]), [lvm('ns/q', 1)], binpack))).to.match(/^already promised to volumes being created: /);
    });
    it('keeps a device promised to another pod', () => {
      const storage = node({}, { devices: [disk('/dev/vdb', 100)] });
      expect(where(fitNode(storage, usage({}, [], [dev('ns/first', 50)]), [dev('ns/second', 50)], binpack))).to.equal('1 free ssd devices needed (ns/second), 0 free');
    });
  });

  describe('Device and MountPoint', () => {
    const storage = node({}, { devices: [disk('/dev/vdd', 500), disk('/dev/vdb', 100), disk('/dev/vdc', 200), disk('/dev/sda', 1000, 'hdd')] });
    const table: [string, NodeUsage, Claim[], Record<string, string> | string][] = [
      ['gives the smallest free device that fits', usage(), [dev('ns/p', 150)], { 'ns/p': '/dev/vdc' }],
      ['matches the media type', usage(), [dev('ns/p', 10, 'hdd')], { 'ns/p': '/dev/sda' }],
      ['finds a match for every claim when one exists', usage(), [dev('ns/big', 400), dev('ns/mid', 150), dev('ns/small', 90)], { 'ns/small': '/dev/vdb', 'ns/mid': '/dev/vdc', 'ns/big': '/dev/vdd' }],
      ['skips taken devices', usage({}, ['/dev/vdb']), [dev('ns/p', 50)], { 'ns/p': '/dev/vdc' }],
      ['says how many devices are missing', usage({}, ['/dev/vdb', '/dev/vdc']), [dev('ns/a', 1), dev('ns/b', 1)], '2 free ssd devices needed (ns/a, ns/b), 1 free'],
      ['says how much the largest device lacks', usage(), [dev('ns/p', 600)], 'no free ssd device of at least 600Gi for ns/p: the largest one left has 500Gi (100Gi short)'],
      ['does not offer a device a sibling claim took', usage(), [dev('ns/a', 450), dev('ns/b', 480)], 'no free ssd device of at least 480Gi for ns/b: the largest one left has 200Gi (280Gi short)'],
    ];
    for (const [name, use, claims, want] of table) {
      it(name, () => {
        expect(where(fitNode(storage, use, claims, binpack))).to.deep.equal(want);
      });
    }
    it('places mount points apart from devices', () => {
      const withMounts = node({}, { mountPoints: [{ name: '/mnt/open-local/d1', capacity: 50 * Gi, mediaType: 'hdd' }] });
      expect(where(fitNode(withMounts, usage(), [{ id: 'ns/m', kind: 'MountPoint', size: 10 * Gi, mediaType: 'hdd' }], binpack))).to.deep.equal({ 'ns/m': '/mnt/open-local/d1' });
      expect(where(fitNode(withMounts, usage(), [dev('ns/d', 10, 'hdd')], binpack))).to.equal('1 free hdd devices needed (ns/d), 0 free');
    });
  });

  describe('pinned claims (snapshot restores, clones)', () => {
    it('fails every node but the source one, naming it', () => {
      const claim: Claim = { ...lvm('ns/restore', 1), node: 'n2' };
      expect(where(fitNode(node({ vg: 100 }), usage(), [claim], binpack))).to.equal('ns/restore must be on node "n2", where its data source is');
      expect(fitNode({ ...node({ vg: 100 }), name: 'n2' }, usage(), [claim], binpack).fits).to.equal(true);
    });
  });

  describe('scores (0..10)', () => {
    const score = (fit: NodeFit) => (fit.fits ? fit.score : -1);
    it('follows the README example: 100Gi VGs with 60Gi and 20Gi used, a 20Gi claim', () => {
      const claims = [lvm('ns/p', 20)];
      expect([score(fitNode(node({ vg: 100 }), usage({ vg: 60 }), claims, binpack)), score(fitNode(node({ vg: 100 }), usage({ vg: 20 }), claims, binpack))]).to.deep.equal([8, 4]);
      expect([score(fitNode(node({ vg: 100 }), usage({ vg: 60 }), claims, spread)), score(fitNode(node({ vg: 100 }), usage({ vg: 20 }), claims, spread))]).to.deep.equal([2, 6]);
    });
    it('scores a device by how much of it the claim uses', () => {
      expect(score(fitNode(node({}, { devices: [disk('/dev/vdb', 100)] }), usage(), [dev('ns/p', 75)], spread))).to.equal(7);
    });
    it('gives a pod without claims 0 everywhere, or the anti-affinity weight where no whole disk would be wasted', () => {
      const withDisk = node({ vg: 10 }, { devices: [disk('/dev/vdb', 100)] });
      const options: AllocatorOptions = { strategy: 'binpack', antiAffinity: { Device: 5 } };
      expect(score(fitNode(withDisk, usage(), [], binpack))).to.equal(0);
      expect(score(fitNode(withDisk, usage(), [], options))).to.equal(0);
      expect(score(fitNode(withDisk, usage({}, ['/dev/vdb']), [], options))).to.equal(5);
      expect(score(fitNode(undefined, usage(), [], options))).to.equal(5);
      expect(score(fitNode(withDisk, usage({}, ['/dev/vdb']), [lvm('ns/p', 5)], options))).to.equal(10);
    });
  });

  describe('answers derived from state only (Open-Local #269: stale reservations)', () => {
    it('gives the same answer however often it is asked, and a node freed of a volume takes the pod again', () => {
      const claims = [lvm('ns/p', 60)];
      for (let i = 0; i < 5; i++) expect(fitNode(node({ vg: 100 }), usage(), claims, binpack).fits).to.equal(true);
      expect(fitNode(node({ vg: 100 }), usage({ vg: 50 }), claims, binpack).fits).to.equal(false);
      expect(fitNode(node({ vg: 100 }), usage({ vg: 0 }), claims, binpack).fits).to.equal(true);
    });
  });

  describe('fitNodes', () => {
    it('splits nodes into feasible (with placements and scores) and failed (with reasons), unknown nodes included', () => {
      const storages: Record<string, NodeStorage> = { big: { ...node({ vg: 100 }), name: 'big' }, small: { ...node({ vg: 5 }), name: 'small' } };
      const view: StorageView = { storage: (n) => storages[n], usage: () => usage() };
      const verdicts = fitNodes(['big', 'small', 'ghost'], view, [lvm('ns/p', 10)], binpack);
      expect([...verdicts.feasible.keys()]).to.deep.equal(['big']);
      expect(verdicts.feasible.get('big')).to.deep.equal({ placements: [{ claim: 'ns/p', kind: 'LVM', size: 10 * Gi, vgName: 'vg' }], score: 1 });
      expect(Object.fromEntries(verdicts.failed)).to.deep.equal({
        small: 'no volume group has 10Gi free for ns/p: the most free is "vg" with 5Gi (5Gi short)',
        ghost: 'no open-local storage on this node (no NodeLocalStorage status)',
      });
    });
  });
});
