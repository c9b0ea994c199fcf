import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { CsiError } from '../../../../csi-driver/grpc/errors.js';
import { capabilityProblems } from '../../../../csi-driver/controller/capabilities.js';
import { DEFAULT_VOLUME_BYTES, sizeFits, wantedSize } from '../../../../csi-driver/controller/capacity-range.js';
import { validateCreateVolume } from '../../../../csi-driver/controller/create-request.js';
import { idForName, isPossibleId } from '../../../../csi-driver/controller/names.js';
import { parseVolumeParameters } from '../../../../csi-driver/controller/parameters.js';
import { parseSnapshotParameters } from '../../../../csi-driver/controller/snapshot-parameters.js';
import { nodeRequirement } from '../../../../csi-driver/controller/topology.js';
import { blockCap, createVolumeRequest, GiB, mountCap } from './requests.js';

/** The code and message of what `fn` throws (it must throw a CsiError). */
function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof CsiError) return { code: status[err.code], message: err.message };
    throw err;
  }
  throw new Error('expected a CsiError');
}

describe('csi-driver/controller request validation', () => {
  describe('names → IDs', () => {
    it('keeps a provisioner name (local-<uid>) as the ID, so volume ID = PV name = LV name as in Open-Local', () => {
      expect(idForName('volume', 'local-0b4ef5e4-1b36-4d7e-9a8c-3f1e2d4c5b6a')).to.equal('local-0b4ef5e4-1b36-4d7e-9a8c-3f1e2d4c5b6a');
    });
    it('derives a stable lower-case ID for names that cannot be object or LV names (csi-sanity upper case, 128 characters)', () => {
      const id = idForName('volume', 'sanity-controller-create-twice-6D4F2D79-3DE4A5F0');
      expect(id).to.match(/^csi-[0-9a-f]{40}$/);
      expect(idForName('volume', 'sanity-controller-create-twice-6D4F2D79-3DE4A5F0')).to.equal(id);
      expect(idForName('volume', 'a'.repeat(128))).to.match(/^csi-/).and.not.equal(id);
      expect(isPossibleId(id)).to.equal(true);
    });
    const hostile: [string, string][] = [
      ['empty', ''],
      ['path traversal', '../../etc/passwd'],
      ['a slash', 'vg/lv'],
      ['a backslash', 'a\\b'],
      ['a leading dot', '.hidden'],
      ['a NUL byte', 'a\u0000b'],
      ['a newline', 'a\nb'],
      ['129 bytes', 'a'.repeat(129)],
    ];
    for (const [what, name] of hostile) {
      it(`refuses a name with ${what} (INVALID_ARGUMENT)`, () => {
        expect(refusal(() => idForName('volume', name)).code).to.equal('INVALID_ARGUMENT');
      });
    }
    it('never looks up IDs that cannot be ours', () => {
      for (const id of ['../x', 'A', '', 'x'.repeat(64), 'a/b']) expect(isPossibleId(id), id).to.equal(false);
    });
  });

  describe('capabilities', () => {
    it('accepts every single-node mode, mount (ext2/3/4, xfs, default) and block', () => {
      const caps = [mountCap('SINGLE_NODE_WRITER'), mountCap('SINGLE_NODE_SINGLE_WRITER', 'xfs'), mountCap('SINGLE_NODE_MULTI_WRITER', 'ext4'), mountCap('SINGLE_NODE_READER_ONLY', 'ext2'), blockCap()];
      expect(capabilityProblems(caps, 'LVM')).to.equal(undefined);
    });
    it('names each bad capability: multi-node modes, unknown fsType, missing access type or mode, block MountPoint', () => {
      const noType = { ...mountCap(), access_type: undefined, mount: null };
      const noMode = { ...mountCap(), access_mode: null };
      const text = capabilityProblems([mountCap('MULTI_NODE_MULTI_WRITER'), mountCap('SINGLE_NODE_WRITER', 'ntfs'), noType, noMode, blockCap()], 'MountPoint') ?? '';
      expect(text).to.include('volume_capabilities[0]: access mode MULTI_NODE_MULTI_WRITER is not supported');
      expect(text).to.include('volume_capabilities[1]: fsType "ntfs" is not supported');
      expect(text).to.include('volume_capabilities[2]: access_type must be mount or block');
      expect(text).to.include('volume_capabilities[3]: access_mode is required');
      expect(text).to.include('volume_capabilities[4]: a MountPoint volume is a directory');
    });
    it('requires at least one capability', () => {
      expect(capabilityProblems([])).to.equal('volume_capabilities is required (at least one)');
    });
  });

  describe('capacity_range', () => {
    it('reads int64 strings exactly and defaults to 1 GiB (capped by limit_bytes)', () => {
      expect(wantedSize(null)).to.deep.equal({ bytes: DEFAULT_VOLUME_BYTES, limit: 0 });
      expect(wantedSize({ required_bytes: '0', limit_bytes: String(512 * 1024 ** 2) })).to.deep.equal({ bytes: 512 * 1024 ** 2, limit: 512 * 1024 ** 2 });
      expect(wantedSize({ required_bytes: String(10 * GiB), limit_bytes: String(10 * GiB) })).to.deep.equal({ bytes: 10 * GiB, limit: 10 * GiB });
    });
    it('refuses negative sizes, required above limit, and sizes beyond 8 PiB with the right codes', () => {
      expect(refusal(() => wantedSize({ required_bytes: '-1', limit_bytes: '0' }))).to.deep.equal({ code: 'INVALID_ARGUMENT', message: 'capacity_range.required_bytes is negative (-1)' });
      expect(refusal(() => wantedSize({ required_bytes: '20', limit_bytes: '10' })).code).to.equal('INVALID_ARGUMENT');
      expect(refusal(() => wantedSize({ required_bytes: '9223372036854775807', limit_bytes: '0' })).code).to.equal('OUT_OF_RANGE');
      expect(refusal(() => wantedSize(null, true)).message).to.equal('capacity_range is required');
    });
    it('says whether an existing size satisfies a repeat', () => {
      expect(sizeFits(10 * GiB, { bytes: 10 * GiB, limit: 10 * GiB })).to.equal(true);
      expect(sizeFits(10 * GiB, { bytes: 20 * GiB, limit: 0 })).to.equal(false);
      expect(sizeFits(10 * GiB, { bytes: GiB, limit: 5 * GiB })).to.equal(false);
    });
  });

  describe('StorageClass parameters', () => {
    it("reads Open-Local's keys and the provisioner's PVC names, defaulting to linear LVM", () => {
      const p = parseVolumeParameters({ volumeType: 'LVM', vgName: 'open-local-pool-0', iops: '100', bps: '1Mi', 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'ns', 'csi.storage.k8s.io/pv/name': 'local-1' });
      expect(p).to.include({ kind: 'LVM', vgName: 'open-local-pool-0', lvmType: 'linear' });
      expect(p.pvc).to.deep.equal({ namespace: 'ns', name: 'data' });
      expect(parseVolumeParameters({}).kind).to.equal('LVM');
    });
    it('lists every problem at once: unknown keys (typos), bad values, Device without mediaType, SPDK', () => {
      const { code, message } = refusal(() => parseVolumeParameters({ vgname: 'x', volumeType: 'Device', lvmType: 'raid', iops: '-3', bps: 'fast', spdk: 'true' }));
      expect(code).to.equal('INVALID_ARGUMENT');
      for (const part of ['unknown parameter "vgname"', 'volumeType Device needs the parameter mediaType', 'lvmType "raid"', 'iops "-3"', 'bps: "fast" is not a quantity', 'spdk=true']) expect(message).to.include(part);
    });
    it('refuses a volume group name that is a path', () => {
      expect(refusal(() => parseVolumeParameters({ vgName: '../dev/sda' })).message).to.include('vgName "../dev/sda" is not a volume group name');
    });
  });

  describe('VolumeSnapshotClass parameters', () => {
    it('reads a read-only class with its initial size, checking the agent\'s expansion keys', () => {
      expect(parseSnapshotParameters({ 'csi.aliyun.com/readonly': 'true', 'csi.aliyun.com/snapshot-initial-size': '2Gi', 'csi.aliyun.com/snapshot-expansion-threshold': '50%', 'csi.aliyun.com/snapshot-expansion-size': '1Gi' })).to.deep.equal({ initialBytes: 2 * GiB });
      expect(parseSnapshotParameters({ 'csi.aliyun.com/readonly': 'true' })).to.deep.equal({ initialBytes: 4 * GiB });
    });
    it('refuses read-write classes by name, and bad thresholds', () => {
      expect(refusal(() => parseSnapshotParameters({})).message).to.include('only read-only snapshots are supported');
      expect(refusal(() => parseSnapshotParameters({ 'csi.aliyun.com/readonly': 'false' })).code).to.equal('INVALID_ARGUMENT');
      expect(refusal(() => parseSnapshotParameters({ 'csi.aliyun.com/readonly': 'true', 'csi.aliyun.com/snapshot-expansion-threshold': '150%' })).message).to.include('is not a percentage');
    });
  });

  describe('topology', () => {
    const t = (node: string) => ({ segments: { 'kubernetes.io/hostname': node } });
    it('reads strict topology (requisite = preferred = the selected node) and the non-strict form', () => {
      expect(nodeRequirement({ requisite: [t('n1')], preferred: [t('n1')] })).to.deep.equal({ preferred: ['n1'], allowed: new Set(['n1']) });
      expect(nodeRequirement({ requisite: [t('n1'), t('n2')], preferred: [t('n2'), t('n1')] })).to.deep.equal({ preferred: ['n2', 'n1'], allowed: new Set(['n1', 'n2']) });
      expect(nodeRequirement(null)).to.equal(undefined);
    });
    it('refuses other topology keys and preferred nodes outside requisite', () => {
      expect(refusal(() => nodeRequirement({ requisite: [{ segments: { 'topology.kubernetes.io/zone': 'a' } }], preferred: [] })).message).to.include('"topology.kubernetes.io/zone" unknown');
      expect(refusal(() => nodeRequirement({ requisite: [t('n1')], preferred: [t('n2')] })).code).to.equal('INVALID_ARGUMENT');
    });
  });

  describe('CreateVolume before any lookup', () => {
    const cases: [string, Parameters<typeof createVolumeRequest>[0], string][] = [
      ['no name', { name: '' }, 'volume name is required'],
      ['no capabilities', { volume_capabilities: [] }, 'volume_capabilities is required'],
      ['mutable parameters', { mutable_parameters: { XXX_FakeKey: 'x' } }, 'mutable_parameters are not supported'],
      ['a Device clone', { parameters: { volumeType: 'Device', mediaType: 'ssd' }, volume_content_source: { type: 'volume', volume: { volume_id: 'local-a' }, snapshot: null } }, 'only LVM volumes are restored'],
      ['an empty snapshot source', { volume_content_source: { type: 'snapshot', snapshot: { snapshot_id: '' }, volume: null } }, 'snapshot_id is required'],
    ];
    for (const [what, overrides, message] of cases) {
      it(`refuses ${what} (INVALID_ARGUMENT)`, () => {
        const r = refusal(() => validateCreateVolume(createVolumeRequest(overrides)));
        expect(r.code).to.equal('INVALID_ARGUMENT');
        expect(r.message).to.include(message);
      });
    }
    it('passes a provisioner request through with its size, node requirement and source', () => {
      const v = validateCreateVolume(createVolumeRequest({ accessibility_requirements: { requisite: [{ segments: { 'kubernetes.io/hostname': 'n1' } }], preferred: [] }, volume_content_source: { type: 'snapshot', snapshot: { snapshot_id: 'snap-1' }, volume: null } }));
      expect(v).to.deep.include({ id: 'local-0b4ef5e4-1b36-4d7e-9a8c-3f1e2d4c5b6a', size: { bytes: 10 * GiB, limit: 0 }, source: { snapshot: 'snap-1' } });
      expect([...(v.requirement?.allowed ?? [])]).to.deep.equal(['n1']);
    });
  });
});
