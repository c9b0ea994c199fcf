// The node plugin's LocalVolume reconciler on real LVM in a UML guest, against the real API server through the
// guest's tap device (support/node-guest.ts), with the rendered RBAC and node admission policy and a token bound to a
// pod on its node: create → Ready with the LV's UUID → expand
// → read-only snapshot → restore → clone with the same bytes → delete, LVs gone; the refusals that keep data (an LV
// replaced behind our back, an LV with snapshots, a Device whose name now points at another disk) proven by sha256;
// an LV laid out as Open-Local v0.7 makes it adopted, expanded and deleted; another node's volume never touched.
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { LocalVolume, LocalVolumeSpec } from '../../../api/generated/types.js';
import { COPYING_TAG, VOLUME_FINALIZER, cloneSourceSnapshot, ownerTag } from '../../../csi-driver/node/volumes/plan.js';
import { KubeApi } from '../../../lib/kube-api.js';
import { names } from '../../../synth/names.js';
import { renderInstall, renderStack } from '../../../synth/render.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { addReadyNode } from '../../env/fake-nodes.js';
import { loadExample } from '../../fixtures/examples.js';
import { createNetns, type TestNetns } from '../../env/netns.js';
import { eventually } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { startNodeGuest, type NodeGuest } from './support/node-guest.js';

const GV = 'csi.aliyun.com/v1alpha1';
const NODE = 'uml-node';
const MIB = 1024 * 1024;
const LEGACY = 'local-1f0c9a4e-6b1d-4c55-9d3e-2a7b8c9d0e1f';

/**
 * Disks: ubda VG vg0 (open-local's), ubdb VG yoda as Open-Local v0.7 left it, ubdc and ubdd exclusive disks, ubde
 * a mount point's filesystem (with symlinks out of it).
 */
const SETUP = `
lvm pvcreate -q /dev/ubda && lvm vgcreate -q --addtag open-local vg0 /dev/ubda
lvm pvcreate -q /dev/ubdb && lvm vgcreate -q yoda /dev/ubdb
lvm lvcreate -q -n ${LEGACY} -L 32m -Wy -y yoda
dd if=/dev/urandom of=/dev/yoda/${LEGACY} bs=1M count=32 conv=fsync status=none
mkdir -p /dev/disk/by-id && ln -s ../../ubdc /dev/disk/by-id/virtio-disk-c && ln -s ../../ubdd /dev/disk/by-id/virtio-disk-d
mkfs.ext4 -q /dev/ubdc && mkfs.ext4 -q /dev/ubdd
mkfs.ext4 -q /dev/ubde && mkdir -p /mnt/mp1 /mnt/keep && mount /dev/ubde /mnt/mp1
mkdir -p /mnt/mp1/dir/sub && head -c 100000 /dev/urandom >/mnt/mp1/dir/sub/data && head -c 100000 /dev/urandom >/mnt/keep/outside
ln -s /mnt/keep /mnt/mp1/dir/link-to-dir && ln -s /mnt/keep/outside /mnt/mp1/link-to-file
`;

describe('LocalVolume reconciler on real LVM (UML)', function () {
  this.timeout(600_000);
  let cp: ControlPlane | undefined;
  let netns: TestNetns | undefined;
  let api: KubeApi;
  let guest: NodeGuest;
  /** Set once the guest booted: what after() has to stop. */
  let running: NodeGuest | undefined;

  const get = (name: string) => api.get<LocalVolume>(GV, 'LocalVolume', name);
  const create = (name: string, spec: Partial<LocalVolumeSpec>, nodeName = NODE) =>
    api.request<LocalVolume>('POST', `/apis/${GV}/localvolumes`, {
      body: { apiVersion: GV, kind: 'LocalVolume', metadata: { name, finalizers: [VOLUME_FINALIZER] }, spec: { nodeName, volumeType: 'LVM', vgName: 'vg0', ...spec } },
    });
  const until = (name: string, what: string, ok: (v: LocalVolume) => boolean, timeoutMs = 120_000) =>
    eventually(`${name}: ${what}`, async () => {
      const v = await get(name);
      return v && ok(v) ? v : undefined;
    }, timeoutMs);
  const ready = (name: string) => until(name, 'Ready', (v) => v.status?.phase === 'Ready' && v.status.observedGeneration === v.metadata?.generation);
  const gone = (name: string, timeoutMs = 120_000) => eventually(`${name} to be deleted`, async () => ((await get(name)) === undefined ? true : undefined), timeoutMs);
  const remove = (name: string) => api.delete({ apiVersion: GV, kind: 'LocalVolume', metadata: { name } });
  const releaseFinalizer = (name: string) => api.mergePatch({ apiVersion: GV, kind: 'LocalVolume', metadata: { name } }, { metadata: { finalizers: null } });
  const lvUuid = async (lv: string) => (await guest.ok(`lvm lvs --noheadings -o lv_uuid ${lv} 2>/dev/null || true`)).trim();
  const sha = async (path: string, bytes?: number) =>
    (await guest.ok(bytes === undefined ? `sha256sum ${path} | cut -d' ' -f1` : `head -c ${bytes} ${path} | sha256sum | cut -d' ' -f1`)).trim();

  before(async function () {
    netns = await createNetns();
    const plane = (cp = await startControlPlane({ extraSANs: [netns.hostIp] }));
    await installCrds(rawApi(plane), crdManifests);
    api = new KubeApi(plane.adminKubeConfig());
    // The node plugin's rights as synth renders them, and the admission policy that keeps it to its own node's
    // LocalVolumes; it authenticates with a token bound to a pod on its node, as the kubelet mounts it.
    const admin = rawApi(plane);
    const stack = renderStack(loadExample('minimal'));
    const identities = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    // The node's ClusterRole ships with the operator's install (OLM clusterPermissions); its binding with the stack.
    for (const o of [...renderInstall(), ...stack].filter((x) => identities.has(x.kind))) {
      const r = await admin.apply(o, { force: true });
      expect(r.status, `${o.kind} ${o.metadata.name}: ${r.text}`).to.be.oneOf([200, 201]);
    }
    const namespace = stack.find((o) => o.kind === 'Namespace')?.metadata.name ?? '';
    await addReadyNode(plane.adminKubeConfig(), NODE);
    const pod = await api.request<{ metadata: { name: string; uid: string } }>('POST', `/api/v1/namespaces/${namespace}/pods`, {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'csi-node-uml' }, spec: { nodeName: NODE, serviceAccountName: names.node, containers: [{ name: 'csi-plugin', image: 'open-local:test' }] } },
    });
    const tr = await api.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${names.node}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 7200, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } } },
    });
    running = guest = await startNodeGuest({
      cp: plane,
      netns,
      disks: [{ size: '1G' }, { size: '256M' }, { size: '64M' }, { size: '64M' }, { size: '64M' }],
      setup: SETUP,
      command: ['node', '--import', 'tsx', 'test/integration/csi/guest/volumes-node.ts'],
      env: { NODE_NAME: NODE },
      identity: { token: tr.status.token },
    });
    await guest.started();
    await eventually('the reconciler to sync', async () => ((await guest.log()).includes('volume reconciler synced') ? true : undefined), 180_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\n--- node log (tail) ---\n${(await guest.log()).split('\n').slice(-30).join('\n')}`);
    });
  });

  let anyFailed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') anyFailed = true;
  });

  after(async function () {
    if (running) {
      const r = await running.stop().catch((e: unknown) => e);
      if (anyFailed) console.log(`--- node log (tail) ---\n${(await running.log()).split('\n').slice(-60).join('\n')}`, r);
      await running.dispose();
    }
    await cp?.stop();
    await netns?.destroy();
  });

  let dataSha = '';

  it('creates the LV and goes Ready with its UUID, path and size', async () => {
    await create('vol-a', { size: String(64 * MIB) });
    const v = await ready('vol-a');
    expect(v.status).to.include({ devicePath: '/dev/vg0/vol-a', size: String(64 * MIB) });
    expect(v.status?.lvUUID).to.equal(await lvUuid('vg0/vol-a'));
    expect(await guest.ok('lvm lvs --noheadings -o lv_tags vg0/vol-a')).to.include('open-local');
    await guest.ok(`dd if=/dev/urandom of=/dev/vg0/vol-a bs=1M count=64 conv=fsync status=none`);
    dataSha = await sha('/dev/vg0/vol-a');
  });

  it('expands the LV when spec.size grows, keeping the bytes', async () => {
    await api.mergePatch({ apiVersion: GV, kind: 'LocalVolume', metadata: { name: 'vol-a' } }, { spec: { size: String(96 * MIB) } });
    await until('vol-a', 'grown to 96 MiB', (v) => v.status?.size === String(96 * MIB) && v.status.phase === 'Ready');
    expect((await guest.ok('lvm lvs --noheadings --units b --nosuffix -o lv_size vg0/vol-a')).trim()).to.equal(String(96 * MIB));
    expect(await sha('/dev/vg0/vol-a', 64 * MIB)).to.equal(dataSha);
  });

  it('takes a read-only snapshot, and restores it as that snapshot LV with the same bytes', async () => {
    await create('snap-a', { snapshotOf: 'vol-a', size: String(32 * MIB) });
    const s = await ready('snap-a');
    expect(s.status).to.include({ devicePath: '/dev/vg0/snap-a', size: String(96 * MIB) });
    expect((await guest.ok('lvm lvs --noheadings -o origin,lv_attr vg0/snap-a')).trim()).to.match(/^vol-a\s+sr/);
    await create('vol-r', { source: { snapshot: 'snap-a' }, readOnly: true, size: String(96 * MIB) });
    const r = await ready('vol-r');
    expect(r.status).to.include({ devicePath: '/dev/vg0/snap-a' });
    expect(r.status?.lvUUID).to.equal(undefined);
    expect(await sha('/dev/vg0/snap-a', 64 * MIB)).to.equal(dataSha);
  });

  it('clones into a new LV with the same bytes, through a snapshot it removes afterwards', async () => {
    await create('vol-c', { source: { volume: 'vol-a' }, size: String(96 * MIB) });
    const c = await ready('vol-c');
    expect(c.status).to.include({ progress: 100, devicePath: '/dev/vg0/vol-c' });
    expect(await sha('/dev/vg0/vol-c')).to.equal(await sha('/dev/vg0/vol-a'));
    expect(await sha('/dev/vg0/vol-c', 64 * MIB)).to.equal(dataSha);
    expect(await guest.ok('lvm lvs --noheadings -o lv_name,lv_tags vg0')).to.not.match(/clonesrc|open-local-copying/);
  });

  it('refuses to delete an LV that has snapshots, naming them, and keeps it', async () => {
    await remove('vol-a');
    const v = await until('vol-a', 'refused with HasSnapshots', (x) => x.status?.reason === 'HasSnapshots');
    expect(v.status?.message).to.include('snap-a').and.include(NODE);
    expect(v.status?.phase).to.equal('Ready');
    expect(await sha('/dev/vg0/vol-a', 64 * MIB)).to.equal(dataSha);
  });

  it('deletes restore, snapshot, then the origin and the clone: their LVs are gone', async () => {
    await remove('vol-r');
    await gone('vol-r');
    expect(await lvUuid('vg0/snap-a')).to.not.equal('');
    await remove('snap-a');
    await gone('snap-a');
    // The origin is re-checked without an event of its own once its snapshot is gone.
    await gone('vol-a', 180_000);
    await remove('vol-c');
    await gone('vol-c');
    expect((await guest.ok('lvm lvs --noheadings -o lv_name vg0')).trim()).to.equal('');
  });

  it('finishes a clone that a crash left half-copied (never Ready before every byte is there), across a restart', async () => {
    await create('vol-s', { size: String(128 * MIB) });
    await ready('vol-s');
    await guest.ok('dd if=/dev/urandom of=/dev/vg0/vol-s bs=1M count=128 conv=fsync status=none');
    const source = await sha('/dev/vg0/vol-s');
    await guest.killNode();
    const k = await create('vol-k', { source: { volume: 'vol-s' }, size: String(128 * MIB) });
    const own = ownerTag(k.metadata?.uid ?? '?');
    // What a crash in the middle of the copy leaves: the clone's LV tagged as copying with half the bytes, and the
    // source snapshot the copy reads.
    await guest.ok(
      `lvm lvcreate -q -n vol-k -L 128m -Wy -y --addtag open-local --addtag ${own} --addtag ${COPYING_TAG} vg0 && ` +
        `lvm lvcreate -q -s -pr -n ${cloneSourceSnapshot('vol-k')} -L 32m --addtag open-local --addtag ${own} vg0/vol-s && ` +
        'dd if=/dev/vg0/vol-s of=/dev/vg0/vol-k bs=1M count=64 conv=fsync status=none',
    );
    expect(await sha('/dev/vg0/vol-k')).to.not.equal(source);
    await guest.startNode();
    const done = await ready('vol-k');
    expect(done.status).to.include({ progress: 100, lvUUID: await lvUuid('vg0/vol-k') });
    expect(await sha('/dev/vg0/vol-k')).to.equal(source);
    expect(await guest.ok('lvm lvs --noheadings -o lv_name,lv_tags vg0')).to.not.match(/clonesrc|open-local-copying/);
    await remove('vol-k');
    await gone('vol-k');
    await remove('vol-s');
    await gone('vol-s');
  });

  it('says in the status why an LV in use cannot be removed, and removes it once it is released', async () => {
    await create('vol-busy', { size: String(8 * MIB) });
    await ready('vol-busy');
    await guest.ok('(exec 3</dev/vg0/vol-busy; exec sleep 3600) >/dev/null 2>&1 & echo $! >/run/busy.pid');
    await remove('vol-busy');
    const busy = await until('vol-busy', 'CommandFailed', (v) => v.status?.reason === 'CommandFailed');
    expect(busy.status?.message).to.include(NODE).and.include('lvremove').and.match(/in use/i);
    expect(await lvUuid('vg0/vol-busy')).to.equal(busy.status?.lvUUID);
    await guest.ok('kill $(cat /run/busy.pid)');
    await gone('vol-busy', 180_000);
    expect(await lvUuid('vg0/vol-busy')).to.equal('');
  });

  it('never removes an LV that took the name of a volume behind its back (bytes intact)', async () => {
    await create('vol-x', { size: String(16 * MIB) });
    const v = await ready('vol-x');
    await guest.ok('lvm lvrename -q vg0 vol-x vol-x-old && lvm lvcreate -q -n vol-x -L 16m -Wy -y vg0 && dd if=/dev/urandom of=/dev/vg0/vol-x bs=1M count=16 conv=fsync status=none');
    const before = await sha('/dev/vg0/vol-x');
    const newUuid = await lvUuid('vg0/vol-x');
    await remove('vol-x');
    const failed = await until('vol-x', 'Failed LVReplaced', (x) => x.status?.reason === 'LVReplaced');
    expect(failed.status?.phase).to.equal('Failed');
    expect(failed.status?.message).to.include(newUuid).and.include(v.status?.lvUUID ?? '?');
    expect(failed.metadata?.finalizers).to.deep.equal([VOLUME_FINALIZER]);
    expect(await sha('/dev/vg0/vol-x')).to.equal(before);
    await releaseFinalizer('vol-x');
    await gone('vol-x');
  });

  it('adopts an LV as Open-Local v0.7 made it (VG without our tag), expands and deletes it', async () => {
    await create('local-missing', { vgName: 'yoda', adopt: true, size: String(32 * MIB) });
    expect((await until('local-missing', 'Failed NotFound', (x) => x.status?.phase === 'Failed')).status?.reason).to.equal('NotFound');
    const before = await sha(`/dev/yoda/${LEGACY}`);
    await create(LEGACY, { vgName: 'yoda', adopt: true, size: String(32 * MIB) });
    const a = await ready(LEGACY);
    expect(a.status).to.include({ lvUUID: await lvUuid(`yoda/${LEGACY}`), devicePath: `/dev/yoda/${LEGACY}` });
    expect(await sha(`/dev/yoda/${LEGACY}`)).to.equal(before);
    await api.mergePatch({ apiVersion: GV, kind: 'LocalVolume', metadata: { name: LEGACY } }, { spec: { size: String(48 * MIB) } });
    await until(LEGACY, 'grown to 48 MiB', (v) => v.status?.size === String(48 * MIB));
    expect(await sha(`/dev/yoda/${LEGACY}`, 32 * MIB)).to.equal(before);
    await remove(LEGACY);
    await gone(LEGACY);
    expect(await lvUuid(`yoda/${LEGACY}`)).to.equal('');
    await remove('local-missing');
    await gone('local-missing');
  });

  it('records a Device by identity and wipes it on delete', async () => {
    await create('dev-c', { volumeType: 'Device', vgName: undefined, device: '/dev/ubdc' });
    const d = await ready('dev-c');
    expect(d.status).to.include({ devicePath: '/dev/ubdc', deviceIdentity: 'by-id /dev/disk/by-id/virtio-disk-c' });
    expect((await guest.ok('blkid -p -o value -s TYPE /dev/ubdc')).trim()).to.equal('ext4');
    await remove('dev-c');
    await gone('dev-c');
    expect((await guest.sh('blkid -p -o value -s TYPE /dev/ubdc')).output.trim()).to.equal('');
  });

  it('does not wipe a disk that took a Device volume\'s name (sha256 unchanged), and goes Failed naming both', async () => {
    await create('dev-d', { volumeType: 'Device', vgName: undefined, device: '/dev/ubdd' });
    await ready('dev-d');
    // Another disk now answers to /dev/ubdd: its by-id name is not the one recorded.
    await guest.ok('rm /dev/disk/by-id/virtio-disk-d && ln -s ../../ubdd /dev/disk/by-id/virtio-other-disk');
    const before = await sha('/dev/ubdd');
    await remove('dev-d');
    const f = await until('dev-d', 'Failed DeviceChanged', (x) => x.status?.reason === 'DeviceChanged');
    expect(f.status?.message).to.include('virtio-other-disk').and.include('virtio-disk-d');
    expect(await sha('/dev/ubdd')).to.equal(before);
    expect((await guest.ok('blkid -p -o value -s TYPE /dev/ubdd')).trim()).to.equal('ext4');
    await releaseFinalizer('dev-d');
    await gone('dev-d');
  });

  it('records a MountPoint by its filesystem UUID and empties it on delete, without following symlinks out', async () => {
    const outside = await sha('/mnt/keep/outside');
    await create('mp-1', { volumeType: 'MountPoint', vgName: undefined, device: '/mnt/mp1' });
    const m = await ready('mp-1');
    expect(m.status).to.include({ devicePath: '/mnt/mp1', deviceIdentity: `fs UUID ${(await guest.ok('blkid -p -o value -s UUID /dev/ubde')).trim()}` });
    await remove('mp-1');
    await gone('mp-1');
    expect((await guest.ok('ls -A /mnt/mp1')).trim()).to.equal('');
    expect((await guest.sh('mountpoint -q /mnt/mp1')).code).to.equal(0);
    expect(await sha('/mnt/keep/outside')).to.equal(outside);
  });

  it('never acts on another node\'s volume (it lists only its own)', async () => {
    await create('vol-elsewhere', { size: String(8 * MIB) }, 'other-node');
    await create('vol-mine', { size: String(8 * MIB) });
    await ready('vol-mine');
    const other = await get('vol-elsewhere');
    expect(other?.status).to.equal(undefined);
    expect(await lvUuid('vg0/vol-elsewhere')).to.equal('');
    await remove('vol-mine');
    await gone('vol-mine');
    await releaseFinalizer('vol-elsewhere');
    await remove('vol-elsewhere');
  });
});
