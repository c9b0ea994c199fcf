import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import type { LocalVolume } from '../../../../api/generated/types.js';
import { adoptionOf } from '../../../../csi-driver/controller/adopt.js';
import { failureError, volumeCondition } from '../../../../csi-driver/controller/failure.js';
import { capacityOf, incompatibility, localVolumeFor, snapshotVolumeFor, volumeOf, type Repeat } from '../../../../csi-driver/controller/local-volume.js';
import { page, tokenAfter } from '../../../../csi-driver/controller/pagination.js';
import { CsiError } from '../../../../csi-driver/grpc/errors.js';
import { lvmPv } from '../../extender/objects.js';
import { GiB } from './requests.js';

const params = { volumeType: 'LVM', iops: '100', 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'ns' };
const ID = 'local-0b4ef5e4-1b36-4d7e-9a8c-3f1e2d4c5b6a';

function ready(lv: LocalVolume, size: number): LocalVolume {
  return { ...lv, metadata: { ...lv.metadata, generation: 1, creationTimestamp: '2026-11-29T10:00:00Z' }, status: { phase: 'Ready', observedGeneration: 1, size: String(size) } };
}

const lvm = ready(localVolumeFor({ id: ID, csiName: ID, node: 'n1', kind: 'LVM', bytes: 10 * GiB, vgName: 'pool', parameters: params, pvc: { namespace: 'ns', name: 'data' } }), 10 * GiB);

describe('csi-driver/controller answers', () => {
  describe('the LocalVolume written for a volume', () => {
    it('carries the finalizer from the start, the CO name, the PVC and the parameters', () => {
      expect(lvm.metadata?.finalizers).to.deep.equal(['csi.aliyun.com/local-volume']);
      expect(lvm.metadata?.annotations).to.deep.include({ 'csi.aliyun.com/csi-name': ID, 'csi.aliyun.com/pvc': 'ns/data' });
      expect(lvm.spec).to.deep.equal({ nodeName: 'n1', volumeType: 'LVM', size: String(10 * GiB), vgName: 'pool', lvmType: 'linear' });
    });
    it('makes a restore the read-only snapshot itself, and a snapshot a read-only LV of its source', () => {
      const restore = localVolumeFor({ id: 'local-r', csiName: 'local-r', node: 'n1', kind: 'LVM', bytes: 10 * GiB, vgName: 'pool', parameters: {}, source: { snapshot: 'snap-1' }, sourceVolume: ID });
      expect(restore.spec).to.deep.include({ source: { snapshot: 'snap-1' }, readOnly: true });
      const snap = snapshotVolumeFor({ id: 'snap-1', csiName: 'snap-1', source: lvm, bytes: 4 * GiB });
      expect(snap.spec).to.deep.equal({ nodeName: 'n1', volumeType: 'LVM', vgName: 'pool', size: String(4 * GiB), snapshotOf: ID, readOnly: true });
    });
  });

  describe('the Volume answered', () => {
    it("holds Open-Local's volume context: every parameter, the VG, the node; topology kubernetes.io/hostname", () => {
      expect(volumeOf(lvm)).to.deep.equal({
        volume_id: ID,
        capacity_bytes: String(10 * GiB),
        volume_context: { ...params, vgName: 'pool', 'volume.kubernetes.io/selected-node': 'n1' },
        accessible_topology: [{ segments: { 'kubernetes.io/hostname': 'n1' } }],
      });
    });
    it('answers the size LVM made (rounded up to extents), never less than asked', () => {
      expect(capacityOf(ready(lvm, 10 * GiB + 4 * 1024 ** 2))).to.equal(10 * GiB + 4 * 1024 ** 2);
      expect(capacityOf({ ...lvm, status: undefined })).to.equal(10 * GiB);
    });
    it('names the device of a Device volume and the snapshot keys of a restore, echoing the content source', () => {
      const device = localVolumeFor({ id: 'local-d', csiName: 'local-d', node: 'n2', kind: 'Device', bytes: 50 * GiB, device: '/dev/vdc', parameters: { volumeType: 'Device', mediaType: 'ssd' } });
      expect(volumeOf(device).volume_context).to.deep.equal({ volumeType: 'Device', mediaType: 'ssd', Device: '/dev/vdc', 'volume.kubernetes.io/selected-node': 'n2' });
      const restore = localVolumeFor({ id: 'local-r', csiName: 'local-r', node: 'n1', kind: 'LVM', bytes: 10 * GiB, vgName: 'pool', parameters: { volumeType: 'LVM' }, source: { snapshot: 'snap-1' }, sourceVolume: ID });
      const v = volumeOf(restore);
      expect(v.volume_context).to.deep.include({ 'csi.aliyun.com/snapshot-id': 'snap-1', 'csi.aliyun.com/source-volume-id': ID, 'csi.aliyun.com/readonly': 'true', vgName: 'pool' });
      expect(v.content_source).to.deep.equal({ snapshot: { snapshot_id: 'snap-1' } });
    });
  });

  describe('a repeated CreateVolume', () => {
    const same: Repeat = { csiName: ID, parameters: params, size: { bytes: 10 * GiB, limit: 0 } };
    it('is the same volume when name, parameters, size, source and node agree', () => {
      expect(incompatibility(lvm, same)).to.equal(undefined);
      expect(incompatibility(lvm, { ...same, requirement: { preferred: ['n1'], allowed: new Set(['n1']) } })).to.equal(undefined);
    });
    const conflicts: [string, Partial<Repeat>, string][] = [
      ['another size', { size: { bytes: 20 * GiB, limit: 0 } }, `exists with 10Gi (${10 * GiB} bytes); asked ${20 * GiB} bytes`],
      ['another VG', { parameters: { ...params, vgName: 'other' } }, 'vgName null → "other"'],
      ['another type', { parameters: { ...params, volumeType: 'Device' } }, 'volumeType "LVM" → "Device"'],
      ['another node', { requirement: { preferred: ['n2'], allowed: new Set(['n2']) } }, 'do not allow (n2)'],
      ['a content source', { source: { snapshot: 'snap-1' } }, 'content source none, asked snapshot snap-1'],
      ['another name mapped to the same ID', { csiName: 'other' }, 'exists for another name'],
    ];
    for (const [what, change, message] of conflicts) {
      it(`is ALREADY_EXISTS with ${what}, naming node, VG and sizes`, () => {
        const text = incompatibility(lvm, { ...same, ...change }) ?? '';
        expect(text).to.include(`volume "${ID}" (node "n1", volume group "pool")`);
        expect(text).to.include(message);
      });
    }
  });

  describe('adoption of an Open-Local v0.7 PV', () => {
    it('writes a LocalVolume with spec.adopt from the PV (name = volumeHandle = LV name)', () => {
      const lv = adoptionOf(lvmPv(ID, 'n1', 'open-local-pool-0', '5Gi'), ID);
      expect(lv?.spec).to.deep.equal({ nodeName: 'n1', volumeType: 'LVM', size: String(5 * GiB), adopt: true, vgName: 'open-local-pool-0' });
      expect(lv?.metadata?.finalizers).to.deep.equal(['csi.aliyun.com/local-volume']);
    });
    it("adopts nothing that is not Open-Local's: another driver, another handle, a read-only snapshot PV", () => {
      const other = lvmPv(ID, 'n1', 'vg', '5Gi');
      if (other.spec.csi) other.spec.csi.driver = 'other.csi.k8s.io';
      expect(adoptionOf(other, ID)).to.equal(undefined);
      expect(adoptionOf(lvmPv('local-x', 'n1', 'vg', '5Gi'), ID)).to.equal(undefined);
      const ro = lvmPv(ID, 'n1', 'vg', '5Gi');
      if (ro.spec.csi) ro.spec.csi.volumeAttributes = { ...ro.spec.csi.volumeAttributes, 'csi.aliyun.com/readonly': 'true' };
      expect(adoptionOf(ro, ID)).to.equal(undefined);
    });
  });

  describe("a node's failure", () => {
    const failed = (reason: string): LocalVolume => ({ ...lvm, status: { phase: 'Failed', reason, message: 'volume group "pool" has 2Gi free, 10Gi needed' } });
    const table: [string, keyof typeof status][] = [
      ['InsufficientSpace', 'RESOURCE_EXHAUSTED'],
      ['VolumeGroupNotFound', 'RESOURCE_EXHAUSTED'],
      ['SourceNotFound', 'NOT_FOUND'],
      ['HasSnapshots', 'FAILED_PRECONDITION'],
      ['NotOwned', 'FAILED_PRECONDITION'],
      ['InvalidSpec', 'INVALID_ARGUMENT'],
      ['SomethingNew', 'INTERNAL'],
    ];
    for (const [reason, code] of table) {
      it(`maps reason ${reason} to ${code}, keeping node, VG and the node's message`, () => {
        const err = failureError(failed(reason));
        expect(err).to.be.instanceOf(CsiError);
        expect(status[err.code]).to.equal(code);
        expect(err.message).to.equal(`volume "${ID}" on node "n1" (volume group "pool", ${10 * GiB} bytes asked) failed: volume group "pool" has 2Gi free, 10Gi needed (reason ${reason})`);
      });
    }
    it('reports the condition: abnormal when Failed or being deleted', () => {
      expect(volumeCondition(failed('NotOwned'))).to.deep.equal({ abnormal: true, message: 'NotOwned: volume group "pool" has 2Gi free, 10Gi needed' });
      expect(volumeCondition(lvm)).to.deep.equal({ abnormal: false, message: 'volume is healthy' });
      expect(volumeCondition({ ...lvm, metadata: { ...lvm.metadata, deletionTimestamp: '2026-11-29T10:00:00Z' } }).abnormal).to.equal(true);
    });
  });

  describe('pagination', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const id = (s: string) => s;
    it('pages by the last ID returned, so a deletion between calls skips nothing', () => {
      const first = page(ids, id, 2, '');
      expect(first).to.deep.equal({ entries: ['a', 'b'], nextToken: tokenAfter('b') });
      expect(page(ids.filter((x) => x !== 'a'), id, 0, first.nextToken)).to.deep.equal({ entries: ['c', 'd', 'e'], nextToken: '' });
      expect(page(ids, id, 5, '')).to.deep.equal({ entries: ids, nextToken: '' });
    });
    it('refuses tokens it did not issue (ABORTED) and negative max_entries (INVALID_ARGUMENT)', () => {
      for (const token of ['invalid-token', 'olv1.', 'olv1.!!!', `${tokenAfter('b')}x`]) {
        expect(() => page(ids, id, 0, token), token).to.throw(CsiError).with.property('code', status.ABORTED);
      }
      expect(() => page(ids, id, -1, '')).to.throw(CsiError).with.property('code', status.INVALID_ARGUMENT);
    });
  });
});
