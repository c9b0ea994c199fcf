// The CSI controller service against the real API server: every answer comes from a LocalVolume that a (played)
// node made Ready, placement comes from the extender's allocator over the informer-fed state, and a node's Failed
// status becomes the CSI code. The node side is played (support/play-node.ts); the real one is tested with LVM.
import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import type { LocalVolume } from '../../../api/generated/types.js';
import { waitFor } from '../../env/net.js';
import { Gi, lvmPv, pvc } from '../../unit/extender/objects.js';
import { refusedWith } from './support/csi-client.js';
import { NS, SC, startControllerHarness, type ControllerHarness } from './support/controller-harness.js';
import { roundToExtent } from './support/play-node.js';

const mount = { mount: { fs_type: 'ext4' }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
const block = { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
const on = (node: string) => ({ requisite: [{ segments: { 'kubernetes.io/hostname': node } }], preferred: [{ segments: { 'kubernetes.io/hostname': node } }] });
const READONLY_CLASS = { 'csi.aliyun.com/readonly': 'true', 'csi.aliyun.com/snapshot-initial-size': '1Gi' };

interface Volume {
  volume_id: string;
  capacity_bytes: string;
  volume_context: Record<string, string>;
  accessible_topology: { segments: Record<string, string> }[];
  content_source: { snapshot?: { snapshot_id: string }; volume?: { volume_id: string } } | null;
}
interface Snapshot {
  snapshot_id: string;
  source_volume_id: string;
  size_bytes: string;
  ready_to_use: boolean;
  creation_time: { seconds: string };
}

describe('CSI controller service with the real API server', function () {
  this.timeout(300_000);
  let h: ControllerHarness;

  before(async () => {
    h = await startControllerHarness({
      nodes: { 'node-a': { vgs: { pool: 100, small: 5 } }, 'node-b': { vgs: { pool: 100 }, devices: [{ name: '/dev/vdc', gi: 50, mediaType: 'ssd' }, { name: '/dev/vdd', gi: 200, mediaType: 'ssd' }] } },
      answering: ['node-a', 'node-b'],
      operationTimeoutMs: 120_000,
    });
  });
  after(async () => {
    await h.stop();
  });

  const create = (name: string, extra: object = {}) => h.csi.controller<{ volume: Volume }>('CreateVolume', { name, capacity_range: { required_bytes: String(10 * Gi) }, volume_capabilities: [mount], parameters: { volumeType: 'LVM' }, ...extra });
  const lv = (name: string) => h.api.get<LocalVolume>('csi.aliyun.com/v1alpha1', 'LocalVolume', name);
  /** An Open-Local v0.7 PV, as that system left it, once the controller knows the volume by it. */
  const openLocalPv = async (id: string, size: string) => {
    await h.api.createIfAbsent({ ...lvmPv(id, 'node-a', 'pool', size), metadata: { name: id } });
    await waitFor(`the controller to see the Open-Local PV ${id}`, async () => {
      const r = await h.csi.controller<{ confirmed?: object }>('ValidateVolumeCapabilities', { volume_id: id, volume_capabilities: [mount] }).catch(() => undefined);
      return r?.confirmed !== undefined;
    }, { timeoutMs: 60_000 });
  };
  /** What external-provisioner does after an OK (and kube-controller-manager, not running here, drops pv-protection). */
  const deletePv = async (name: string) => {
    const pv = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name } };
    await h.api.delete(pv);
    await h.api.mergePatch(pv, { metadata: { finalizers: null } });
  };

  it('creates an LVM volume on the selected node (strict topology, the PVC\'s annotation) and answers from the node\'s status', async () => {
    const claim = await h.api.createIfAbsent(pvc(NS, 'data', SC, '10Gi', { annotations: { 'volume.kubernetes.io/selected-node': 'node-a' } }));
    // external-provisioner --volume-name-prefix=local: the volume is named after the PVC's UID.
    const id = `local-${claim?.metadata?.uid ?? ''}`;
    const params = { volumeType: 'LVM', 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': NS, 'csi.storage.k8s.io/pv/name': id };
    const { volume } = await create(id, { parameters: params, accessibility_requirements: on('node-a') });
    expect(volume.volume_id).to.equal(id);
    expect(volume.capacity_bytes).to.equal(String(10 * Gi));
    expect(volume.volume_context).to.deep.equal({ ...params, vgName: 'pool', 'volume.kubernetes.io/selected-node': 'node-a' });
    expect(volume.accessible_topology).to.deep.equal([{ segments: { 'kubernetes.io/hostname': 'node-a' } }]);
    const object = await lv(volume.volume_id);
    expect(object?.metadata?.finalizers).to.deep.equal(['csi.aliyun.com/local-volume']);
    expect(object?.metadata?.annotations?.['csi.aliyun.com/pvc']).to.equal(`${NS}/data`);
    expect(object?.spec).to.deep.include({ nodeName: 'node-a', volumeType: 'LVM', vgName: 'pool', size: String(10 * Gi) });
    // The same call again is the same volume; another size for the same name is ALREADY_EXISTS.
    expect((await create(volume.volume_id, { parameters: params, accessibility_requirements: on('node-a') })).volume).to.deep.equal(volume);
    const again = await refusedWith(create(volume.volume_id, { parameters: params, capacity_range: { required_bytes: String(20 * Gi) }, accessibility_requirements: on('node-a') }));
    expect(again.code).to.equal(status.ALREADY_EXISTS);
    expect(again.details).to.include('node "node-a", volume group "pool"').and.include(`asked ${20 * Gi} bytes`);
  });

  it('places a volume without topology (csi-sanity, Immediate binding) with the allocator, and derives an ID for a name that cannot be one', async () => {
    const { volume } = await create('Sanity-Volume-6D4F2D79-3DE4A5F0', { capacity_range: { required_bytes: String(30 * Gi), limit_bytes: String(30 * Gi) } });
    expect(volume.volume_id).to.match(/^csi-[0-9a-f]{40}$/);
    expect(volume.capacity_bytes).to.equal(String(30 * Gi));
    // spread: node-b's pool (100Gi free) over node-a's (90Gi left).
    expect(volume.accessible_topology[0]?.segments['kubernetes.io/hostname']).to.equal('node-b');
    await h.csi.controller('DeleteVolume', { volume_id: volume.volume_id });
    expect(await lv(volume.volume_id)).to.equal(undefined);
  });

  it('is RESOURCE_EXHAUSTED when the selected node has no room, naming node, VG and sizes, and leaves nothing behind', async () => {
    const before = (await h.localVolumes()).length;
    const r = await refusedWith(create('local-too-big', { capacity_range: { required_bytes: String(95 * Gi) }, accessibility_requirements: on('node-a') }));
    expect(r.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(r.details).to.equal('cannot create local-too-big (LVM, 95Gi): node "node-a": no volume group has 95Gi free for local-too-big: the most free is "pool" with 90Gi (5Gi short)');
    expect((await h.localVolumes()).length).to.equal(before);
  });

  it("maps a node's Failed status to the CSI code and removes the request so a retry can go elsewhere", async () => {
    h.node.fail = (v) => (v.metadata?.name === 'local-node-full' ? { reason: 'InsufficientSpace', message: 'VG pool on node node-b has 1Gi free, 10Gi needed' } : undefined);
    try {
      const r = await refusedWith(create('local-node-full', { accessibility_requirements: on('node-b') }));
      expect(r.code).to.equal(status.RESOURCE_EXHAUSTED);
      expect(r.details).to.equal(`volume "local-node-full" on node "node-b" (volume group "pool", ${10 * Gi} bytes asked) failed: VG pool on node node-b has 1Gi free, 10Gi needed (reason InsufficientSpace)`);
      await waitFor('the failed LocalVolume to be removed', async () => (await lv('local-node-full')) === undefined, { timeoutMs: 60_000 });
    } finally {
      h.node.fail = () => undefined;
    }
  });

  it('answers FAILED_PRECONDITION when the node refuses a deletion (an LVM snapshot open-local does not know of), and deletes once it is resolved', async () => {
    await create('local-held', { accessibility_requirements: on('node-b') });
    h.node.blockDelete = (v) => (v.metadata?.name === 'local-held' ? { reason: 'HasSnapshots', message: 'LV pool/local-held on node node-b has snapshots (backup-1); delete them first' } : undefined);
    try {
      const r = await refusedWith(h.csi.controller('DeleteVolume', { volume_id: 'local-held' }));
      expect(status[r.code]).to.equal('FAILED_PRECONDITION');
      expect(r.details).to.include('has snapshots (backup-1); delete them first (reason HasSnapshots)');
    } finally {
      h.node.blockDelete = () => undefined;
    }
    // The node acts again on its next pass (played here by touching the object).
    await h.api.mergePatch({ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'LocalVolume', metadata: { name: 'local-held' } }, { metadata: { annotations: { resolved: 'true' } } });
    await h.csi.controller('DeleteVolume', { volume_id: 'local-held' });
    expect(await lv('local-held')).to.equal(undefined);
  });

  it('gives Device volumes the smallest free disk of the media type, and a block capability', async () => {
    const { volume } = await create('local-device', { parameters: { volumeType: 'Device', mediaType: 'ssd' }, volume_capabilities: [block], capacity_range: { required_bytes: String(40 * Gi) } });
    expect(volume.volume_context).to.deep.include({ volumeType: 'Device', Device: '/dev/vdc', 'volume.kubernetes.io/selected-node': 'node-b' });
    expect(volume.capacity_bytes).to.equal(String(40 * Gi));
    const next = await create('local-device-2', { parameters: { volumeType: 'Device', mediaType: 'ssd' }, capacity_range: { required_bytes: String(40 * Gi) } });
    expect(next.volume.volume_context.Device).to.equal('/dev/vdd');
    const none = await refusedWith(create('local-device-3', { parameters: { volumeType: 'Device', mediaType: 'ssd' }, capacity_range: { required_bytes: String(40 * Gi) } }));
    expect(none.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(none.details).to.include('node "node-b": 1 free ssd devices needed (local-device-3), 0 free');
    for (const id of ['local-device', 'local-device-2']) await h.csi.controller('DeleteVolume', { volume_id: id });
  });

  it('expands through the LocalVolume: the exact capacity the node reports, node expansion for filesystems only', async () => {
    await create('local-grow', { accessibility_requirements: on('node-a'), parameters: { volumeType: 'LVM', vgName: 'pool' } });
    const grown = await h.csi.controller<{ capacity_bytes: string; node_expansion_required: boolean }>('ControllerExpandVolume', { volume_id: 'local-grow', capacity_range: { required_bytes: String(11 * Gi) }, volume_capability: mount });
    expect(grown).to.deep.equal({ capacity_bytes: String(11 * Gi), node_expansion_required: true });
    expect((await lv('local-grow'))?.spec.size).to.equal(String(11 * Gi));
    const odd = await h.csi.controller<{ capacity_bytes: string; node_expansion_required: boolean }>('ControllerExpandVolume', { volume_id: 'local-grow', capacity_range: { required_bytes: String(11 * Gi + 1) }, volume_capability: block });
    expect(odd).to.deep.equal({ capacity_bytes: String(roundToExtent(11 * Gi + 1)), node_expansion_required: false });
    const full = await refusedWith(h.csi.controller('ControllerExpandVolume', { volume_id: 'local-grow', capacity_range: { required_bytes: String(200 * Gi) } }));
    expect(full.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(full.details).to.include('on node "node-a"').and.include('volume group "pool" has');
    await h.csi.controller('DeleteVolume', { volume_id: 'local-grow' });
  });

  it('snapshots read-only, lists and pages snapshots, restores on the snapshot\'s node, and refuses deletes that would break dependents', async () => {
    const source = (await create('local-origin', { accessibility_requirements: on('node-a') })).volume;
    const snaps: Snapshot[] = [];
    for (const name of ['snap-1', 'snap-2', 'snap-3']) snaps.push((await h.csi.controller<{ snapshot: Snapshot }>('CreateSnapshot', { source_volume_id: source.volume_id, name, parameters: READONLY_CLASS })).snapshot);
    expect(snaps[0]).to.deep.include({ snapshot_id: 'snap-1', source_volume_id: 'local-origin', size_bytes: String(10 * Gi), ready_to_use: true });
    expect(Number(snaps[0]?.creation_time.seconds)).to.be.greaterThan(0);
    expect((await lv('snap-1'))?.spec).to.deep.equal({ nodeName: 'node-a', volumeType: 'LVM', vgName: 'pool', size: String(Gi), snapshotOf: 'local-origin', readOnly: true, lvmType: 'linear' });
    const rw = await refusedWith(h.csi.controller('CreateSnapshot', { source_volume_id: source.volume_id, name: 'snap-rw', parameters: {} }));
    expect(rw.code).to.equal(status.INVALID_ARGUMENT);
    expect(rw.details).to.include('only read-only snapshots are supported');
    const taken = await refusedWith(h.csi.controller('CreateSnapshot', { source_volume_id: 'local-other', name: 'snap-1', parameters: READONLY_CLASS }));
    expect(taken.code).to.equal(status.ALREADY_EXISTS);

    const first = await h.csi.controller<{ entries: { snapshot: Snapshot }[]; next_token: string }>('ListSnapshots', { max_entries: 2 });
    expect(first.entries.map((e) => e.snapshot.snapshot_id)).to.deep.equal(['snap-1', 'snap-2']);
    const rest = await h.csi.controller<{ entries: { snapshot: Snapshot }[]; next_token: string }>('ListSnapshots', { starting_token: first.next_token });
    expect(rest.entries.map((e) => e.snapshot.snapshot_id)).to.deep.equal(['snap-3']);
    expect((await h.csi.controller<{ entries: unknown[] }>('ListSnapshots', { snapshot_id: 'snap-9' })).entries).to.deep.equal([]);
    expect((await h.csi.controller<{ entries: unknown[] }>('ListSnapshots', { source_volume_id: 'local-origin' })).entries).to.have.length(3);
    expect((await refusedWith(h.csi.controller('ListSnapshots', { starting_token: 'invalid-token' }))).code).to.equal(status.ABORTED);

    const restored = (await create('local-restored', { volume_content_source: { snapshot: { snapshot_id: 'snap-1' } }, accessibility_requirements: on('node-a') })).volume;
    expect(restored.volume_context).to.deep.include({ vgName: 'pool', 'csi.aliyun.com/snapshot-id': 'snap-1', 'csi.aliyun.com/source-volume-id': 'local-origin', 'csi.aliyun.com/readonly': 'true' });
    expect(restored.content_source?.snapshot).to.deep.equal({ snapshot_id: 'snap-1' });
    expect((await lv('local-restored'))?.spec).to.deep.include({ source: { snapshot: 'snap-1' }, readOnly: true, nodeName: 'node-a' });
    const elsewhere = await refusedWith(create('local-restored-b', { volume_content_source: { snapshot: { snapshot_id: 'snap-1' } }, accessibility_requirements: on('node-b') }));
    expect(elsewhere.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(elsewhere.details).to.include('snapshot "snap-1" is on node "node-a"');
    expect((await refusedWith(create('local-restored-big', { volume_content_source: { snapshot: { snapshot_id: 'snap-1' } }, capacity_range: { required_bytes: String(20 * Gi) } }))).code).to.equal(status.OUT_OF_RANGE);

    const inUse = await refusedWith(h.csi.controller('DeleteSnapshot', { snapshot_id: 'snap-1' }));
    expect(inUse.code).to.equal(status.FAILED_PRECONDITION);
    expect(inUse.details).to.include('volume local-restored is this read-only snapshot');
    const hasSnaps = await refusedWith(h.csi.controller('DeleteVolume', { volume_id: 'local-origin' }));
    expect(hasSnaps.code).to.equal(status.FAILED_PRECONDITION);
    expect(hasSnaps.details).to.equal(`volume "local-origin" on node "node-a" (volume group "pool", ${10 * Gi} bytes asked) has snapshots snap-1, snap-2, snap-3: delete them first`);
    // A volume ID given to DeleteSnapshot (or a snapshot ID to DeleteVolume) touches nothing.
    await h.csi.controller('DeleteSnapshot', { snapshot_id: 'local-origin' });
    await h.csi.controller('DeleteVolume', { volume_id: 'snap-2' });
    expect(await lv('local-origin')).to.not.equal(undefined);
    expect(await lv('snap-2')).to.not.equal(undefined);

    await h.csi.controller('DeleteVolume', { volume_id: 'local-restored' });
    for (const s of snaps) await h.csi.controller('DeleteSnapshot', { snapshot_id: s.snapshot_id });
    await h.csi.controller('DeleteVolume', { volume_id: 'local-origin' });
    expect((await h.localVolumes()).map((v) => v.metadata?.name).filter((n) => n?.startsWith('snap-') || n === 'local-origin')).to.deep.equal([]);
  });

  it('clones a volume into a new LV on the source\'s node and VG, no smaller than the source', async () => {
    await create('local-clone-src', { accessibility_requirements: on('node-b') });
    const { volume } = await create('local-clone', { volume_content_source: { volume: { volume_id: 'local-clone-src' } }, capacity_range: { required_bytes: String(12 * Gi) } });
    expect(volume.accessible_topology[0]?.segments['kubernetes.io/hostname']).to.equal('node-b');
    expect(volume.content_source?.volume).to.deep.equal({ volume_id: 'local-clone-src' });
    expect((await lv('local-clone'))?.spec).to.deep.include({ source: { volume: 'local-clone-src' }, vgName: 'pool', size: String(12 * Gi) });
    expect((await refusedWith(create('local-clone-small', { volume_content_source: { volume: { volume_id: 'local-clone-src' } }, capacity_range: { required_bytes: String(Gi) } }))).code).to.equal(status.OUT_OF_RANGE);
    expect((await refusedWith(create('local-clone-none', { volume_content_source: { volume: { volume_id: 'local-nope' } } }))).code).to.equal(status.NOT_FOUND);
    for (const id of ['local-clone', 'local-clone-src']) await h.csi.controller('DeleteVolume', { volume_id: id });
  });

  it('adopts a PV made by Open-Local v0.7 to delete it: a LocalVolume with spec.adopt, then deleted like ours', async () => {
    const id = 'local-7c9e6679-7425-40de-944b-e07fc1f90ae7';
    await openLocalPv(id, '5Gi');
    const acted = h.node.acted.length;
    await h.csi.controller('DeleteVolume', { volume_id: id });
    expect(h.node.acted.slice(acted)).to.deep.equal([`adopt ${id}`, `delete ${id}`]);
    expect(await lv(id)).to.equal(undefined);
    // A repeat before the provisioner deleted the PV (its first call timed out while the node worked): OK, and the
    // PV is not adopted again (its LV is gone: the record would wait for ever if the node went too).
    await h.csi.controller('DeleteVolume', { volume_id: id });
    expect(h.node.acted.slice(acted)).to.deep.equal([`adopt ${id}`, `delete ${id}`]);
    expect(await lv(id)).to.equal(undefined);
    // An Open-Local PV whose LV was removed by hand (or a repeat after a controller restart): the node finds no LV to
    // adopt. The volume is already deleted (OK, as CSI asks of DeleteVolume), and the adoption record goes with it.
    const gone = 'local-0d7e2a51-93b4-4c8e-a1f6-5b2c9e8d7f10';
    await openLocalPv(gone, '1Gi');
    h.node.fail = (v) => (v.metadata?.name === gone && v.spec.adopt ? { reason: 'NotFound', message: `LV pool/${gone} to adopt does not exist on node node-a` } : undefined);
    try {
      await h.csi.controller('DeleteVolume', { volume_id: gone });
    } finally {
      h.node.fail = () => undefined;
    }
    expect(await lv(gone)).to.equal(undefined);
    for (const name of [id, gone]) await deletePv(name);
  });

  it('a DeleteVolume repeated after the first finished, its PV still there, answers OK and adopts nothing', async () => {
    const id = 'local-5a3f1e2d-6b7c-4d8e-9f0a-1b2c3d4e5f60';
    await create(id, { accessibility_requirements: on('node-a') });
    await h.api.createIfAbsent({ ...lvmPv(id, 'node-a', 'pool', '10Gi'), metadata: { name: id } });
    // The volume's own LocalVolume answers for it whether or not the PV is cached. The controller's PVs come from
    // one watch, in order: once it knows an Open-Local PV created after this one (known by its PV alone), it knows
    // this one, so the repeat below really finds the PV still there.
    const later = 'local-8e1d2c3b-4a5f-4e6d-8c7b-9a0f1e2d3c4b';
    await openLocalPv(later, '1Gi');
    const acted = h.node.acted.length;
    await h.csi.controller('DeleteVolume', { volume_id: id });
    await h.csi.controller('DeleteVolume', { volume_id: id });
    expect(h.node.acted.slice(acted)).to.deep.equal([`delete ${id}`]);
    expect(await lv(id)).to.equal(undefined);
    for (const name of [id, later]) await deletePv(name);
  });

  it('answers GetCapacity per node and parameters, ListVolumes in pages with conditions, ControllerGetVolume, ValidateVolumeCapabilities', async () => {
    const cap = (parameters: object, node?: string) => h.csi.controller<{ available_capacity: string; maximum_volume_size: { value: string } }>('GetCapacity', { parameters, ...(node ? { accessible_topology: { segments: { 'kubernetes.io/hostname': node } } } : {}) });
    // node-a: pool 100Gi with the 10Gi "data" volume; small 5Gi.
    expect((await cap({ volumeType: 'LVM', vgName: 'small' }, 'node-a')).available_capacity).to.equal(String(5 * Gi));
    // The previous test's PV deletion reaches the controller's cache through its watch.
    await waitFor('node-a to have 90Gi free', async () => (await cap({ volumeType: 'LVM' }, 'node-a')).available_capacity === String(90 * Gi), { timeoutMs: 60_000 });
    expect((await cap({ volumeType: 'Device', mediaType: 'ssd' }, 'node-b')).available_capacity).to.equal(String(200 * Gi));
    expect(await cap({ volumeType: 'LVM' })).to.deep.equal({ available_capacity: String(190 * Gi), maximum_volume_size: { value: String(100 * Gi) }, minimum_volume_size: null });

    for (const name of ['local-list-1', 'local-list-2']) await create(name, { capacity_range: { required_bytes: String(Gi) }, accessibility_requirements: on('node-b') });
    const all = await h.csi.controller<{ entries: { volume: Volume; status: { volume_condition: { abnormal: boolean } } }[] }>('ListVolumes', {});
    const ids = all.entries.map((e) => e.volume.volume_id);
    expect(ids).to.deep.equal([...ids].sort());
    expect(ids).to.include.members(['local-list-1', 'local-list-2']);
    expect(all.entries.every((e) => !e.status.volume_condition.abnormal)).to.equal(true);
    const one = await h.csi.controller<{ entries: unknown[]; next_token: string }>('ListVolumes', { max_entries: 1 });
    expect(one.entries).to.have.length(1);
    const rest = await h.csi.controller<{ entries: unknown[]; next_token: string }>('ListVolumes', { starting_token: one.next_token });
    expect(rest.entries).to.have.length(all.entries.length - 1);

    const got = await h.csi.controller<{ volume: Volume; status: { volume_condition: { abnormal: boolean; message: string } } }>('ControllerGetVolume', { volume_id: 'local-list-1' });
    expect(got.volume.volume_id).to.equal('local-list-1');
    expect(got.status.volume_condition).to.deep.equal({ abnormal: false, message: 'volume is healthy' });
    const ok = await h.csi.controller<{ confirmed: { volume_capabilities: unknown[] } | null; message: string }>('ValidateVolumeCapabilities', { volume_id: 'local-list-1', volume_capabilities: [mount, block] });
    expect(ok.confirmed?.volume_capabilities).to.have.length(2);
    const no = await h.csi.controller<{ confirmed: unknown; message: string }>('ValidateVolumeCapabilities', { volume_id: 'local-list-1', volume_capabilities: [{ mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } }] });
    expect(no.confirmed).to.equal(null);
    expect(no.message).to.include('access mode MULTI_NODE_MULTI_WRITER is not supported');
    for (const id of ['local-list-1', 'local-list-2']) await h.csi.controller('DeleteVolume', { volume_id: id });
  });
});
