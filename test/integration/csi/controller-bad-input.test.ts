// Malformed and hostile requests to the CSI controller: each gets its code and a message saying what is wrong, and
// none leaves a LocalVolume behind or touches a volume that is not open-local's. Also the two answers a node that
// does not act gets: ABORTED for a second call while the first waits, DEADLINE_EXCEEDED for the first.
import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { Gi, lvmPv } from '../../unit/extender/objects.js';
import { refusedWith } from './support/csi-client.js';
import { startControllerHarness, type ControllerHarness } from './support/controller-harness.js';

const mount = { mount: { fs_type: 'ext4' }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
const on = (node: string) => ({ requisite: [{ segments: { 'kubernetes.io/hostname': node } }], preferred: [{ segments: { 'kubernetes.io/hostname': node } }] });
const TIMEOUT_MS = 20_000;

describe('CSI controller: bad and hostile requests', function () {
  this.timeout(300_000);
  let h: ControllerHarness;

  before(async () => {
    h = await startControllerHarness({ nodes: { 'node-a': { vgs: { pool: 100 } }, 'node-silent': { vgs: { pool: 100 } } }, answering: ['node-a'], operationTimeoutMs: TIMEOUT_MS });
    await h.csi.controller('CreateVolume', { name: 'local-real', capacity_range: { required_bytes: String(Gi) }, volume_capabilities: [mount], parameters: {}, accessibility_requirements: on('node-a') });
  });
  after(async () => {
    await h.stop();
  });

  const volume = (extra: object) => ({ name: 'local-hostile', capacity_range: { required_bytes: String(Gi) }, volume_capabilities: [mount], parameters: { volumeType: 'LVM' }, ...extra });
  const cases: [string, string, object, keyof typeof status, string][] = [
    ['a name with path traversal', 'CreateVolume', volume({ name: '../../etc/passwd' }), 'INVALID_ARGUMENT', 'contains a path separator'],
    ['a name that is an LV path', 'CreateVolume', volume({ name: 'vg/lv' }), 'INVALID_ARGUMENT', 'contains a path separator'],
    ['a name with a NUL byte', 'CreateVolume', volume({ name: 'local-a\u0000b' }), 'INVALID_ARGUMENT', 'control character'],
    ['a 129-byte name', 'CreateVolume', volume({ name: 'a'.repeat(129) }), 'INVALID_ARGUMENT', 'at most 128'],
    ['a negative size', 'CreateVolume', volume({ capacity_range: { required_bytes: '-1073741824' } }), 'INVALID_ARGUMENT', 'required_bytes is negative'],
    ['an int64-max size', 'CreateVolume', volume({ capacity_range: { required_bytes: '9223372036854775807' } }), 'OUT_OF_RANGE', 'open-local volumes are at most'],
    ['required above limit', 'CreateVolume', volume({ capacity_range: { required_bytes: String(2 * Gi), limit_bytes: String(Gi) } }), 'INVALID_ARGUMENT', 'is above limit_bytes'],
    ['a multi-node access mode', 'CreateVolume', volume({ volume_capabilities: [{ mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } }] }), 'INVALID_ARGUMENT', 'a local volume is on one node'],
    ['an unknown fsType', 'CreateVolume', volume({ volume_capabilities: [{ mount: { fs_type: 'ntfs' }, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }), 'INVALID_ARGUMENT', 'fsType "ntfs" is not supported'],
    ['no access type', 'CreateVolume', volume({ volume_capabilities: [{ access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }), 'INVALID_ARGUMENT', 'access_type must be mount or block'],
    ['a raw block MountPoint', 'CreateVolume', volume({ parameters: { volumeType: 'MountPoint', mediaType: 'hdd' }, volume_capabilities: [{ block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }), 'INVALID_ARGUMENT', 'cannot be a raw block volume'],
    ['an unknown parameter (a typo of vgName)', 'CreateVolume', volume({ parameters: { vgname: 'pool' } }), 'INVALID_ARGUMENT', 'unknown parameter "vgname"'],
    ['a VG name that is a device path', 'CreateVolume', volume({ parameters: { vgName: '../../dev/sda' } }), 'INVALID_ARGUMENT', 'is not a volume group name'],
    ['SPDK', 'CreateVolume', volume({ parameters: { spdk: 'true' } }), 'INVALID_ARGUMENT', 'is not supported by this driver'],
    ['a Device volume without mediaType', 'CreateVolume', volume({ parameters: { volumeType: 'Device' } }), 'INVALID_ARGUMENT', 'needs the parameter mediaType'],
    ['a topology key not ours', 'CreateVolume', volume({ accessibility_requirements: { requisite: [{ segments: { 'topology.kubernetes.io/zone': 'a' } }] } }), 'INVALID_ARGUMENT', 'unknown: a local volume'],
    ['mutable parameters', 'CreateVolume', volume({ mutable_parameters: { XXX_FakeKey: 'x' } }), 'INVALID_ARGUMENT', 'mutable_parameters are not supported'],
    ['a node without open-local storage', 'CreateVolume', volume({ accessibility_requirements: on('node-x') }), 'RESOURCE_EXHAUSTED', 'no open-local storage on this node'],
    ['a restore from a snapshot that is not ours', 'CreateVolume', volume({ volume_content_source: { snapshot: { snapshot_id: '../snap' } } }), 'NOT_FOUND', 'snapshot "../snap" not found'],
    ['a restore from a volume ID posing as a snapshot', 'CreateVolume', volume({ volume_content_source: { snapshot: { snapshot_id: 'local-real' } } }), 'NOT_FOUND', 'snapshot "local-real" not found'],
    ['a clone of a volume that is not ours', 'CreateVolume', volume({ volume_content_source: { volume: { volume_id: 'fake-vol-id' } } }), 'NOT_FOUND', 'source volume "fake-vol-id" not found'],
    ['an expansion of a volume that is not ours', 'ControllerExpandVolume', { volume_id: '../../dev/sda', capacity_range: { required_bytes: String(2 * Gi) } }, 'NOT_FOUND', 'not found'],
    ['an expansion to a negative size', 'ControllerExpandVolume', { volume_id: 'local-real', capacity_range: { required_bytes: '-5' } }, 'INVALID_ARGUMENT', 'negative'],
    ['an expansion without a size', 'ControllerExpandVolume', { volume_id: 'local-real' }, 'INVALID_ARGUMENT', 'capacity_range is required'],
    ['a snapshot of a volume that is not ours', 'CreateSnapshot', { source_volume_id: 'fake-vol-id', name: 'snap-x', parameters: { 'csi.aliyun.com/readonly': 'true' } }, 'NOT_FOUND', 'source volume "fake-vol-id" not found'],
    ['a snapshot name with a path', 'CreateSnapshot', { source_volume_id: 'local-real', name: '../snap', parameters: { 'csi.aliyun.com/readonly': 'true' } }, 'INVALID_ARGUMENT', 'path separator'],
    ['a read-write snapshot class', 'CreateSnapshot', { source_volume_id: 'local-real', name: 'snap-rw', parameters: {} }, 'INVALID_ARGUMENT', 'only read-only snapshots are supported'],
    ['capabilities of a volume that is not ours', 'ValidateVolumeCapabilities', { volume_id: 'fake-vol-id', volume_capabilities: [mount] }, 'NOT_FOUND', 'not found'],
    ['a list token not issued', 'ListVolumes', { starting_token: 'invalid-token' }, 'ABORTED', 'was not issued by this driver'],
    ['a negative max_entries', 'ListSnapshots', { max_entries: -1 }, 'INVALID_ARGUMENT', 'max_entries is negative'],
    ['GetVolume of an ID that is not ours', 'ControllerGetVolume', { volume_id: '../../x' }, 'NOT_FOUND', 'not found'],
    ['capacity for unknown parameters', 'GetCapacity', { parameters: { poolName: 'x' } }, 'INVALID_ARGUMENT', 'unknown parameter "poolName"'],
  ];

  for (const [what, method, request, code, message] of cases) {
    it(`${method} with ${what}: ${code}, nothing created`, async () => {
      const before = (await h.localVolumes()).map((v) => v.metadata?.name).sort();
      const r = await refusedWith(h.csi.controller(method, request));
      expect(status[r.code], r.details).to.equal(code);
      expect(r.details).to.include(message);
      expect((await h.localVolumes()).map((v) => v.metadata?.name).sort()).to.deep.equal(before);
    });
  }

  it('DeleteVolume of IDs that are not ours answers OK and touches nothing: a path, an unknown ID, another driver\'s PV of that name', async () => {
    const foreign = lvmPv('local-foreign', 'node-a', 'pool', '5Gi');
    if (foreign.spec.csi) foreign.spec.csi.driver = 'other.csi.example.com';
    await h.api.createIfAbsent(foreign);
    const before = (await h.localVolumes()).map((v) => v.metadata?.name).sort();
    for (const id of ['../../etc/passwd', 'fake-vol-id', 'local-foreign']) await h.csi.controller('DeleteVolume', { volume_id: id });
    await h.csi.controller('DeleteSnapshot', { snapshot_id: 'local-real' });
    expect((await h.localVolumes()).map((v) => v.metadata?.name).sort()).to.deep.equal(before);
    expect(await h.api.get('v1', 'PersistentVolume', 'local-foreign')).to.not.equal(undefined);
  });

  it('answers ABORTED to a second call for a volume while the first waits for its node, and DEADLINE_EXCEEDED when the node never acts; the repeat finds the same object', async () => {
    const request = volume({ name: 'local-silent', accessibility_requirements: on('node-silent') });
    const first = refusedWith(h.csi.controller('CreateVolume', request));
    // The first call holds the volume's lock from before its LocalVolume is written until its deadline.
    const second = await refusedWith(h.csi.controller('CreateVolume', request));
    expect(status[second.code], second.details).to.equal('ABORTED');
    expect(second.details).to.equal('an operation on local-silent is already in progress');
    const r = await first;
    expect(status[r.code]).to.equal('DEADLINE_EXCEEDED');
    expect(r.details).to.include('volume "local-silent" on node "node-silent" (volume group "pool"').and.include('the node plugin on that node may be down');
    expect(status[(await refusedWith(h.csi.controller('CreateVolume', request))).code]).to.equal('DEADLINE_EXCEEDED');
    expect((await h.localVolumes()).filter((v) => v.metadata?.name === 'local-silent')).to.have.length(1);
  });
});
