import { expect } from 'chai';
import { fitNode, fitNodes } from '../../../extender/allocator/allocate.js';
import { podClaims, type PodClaims } from '../../../extender/allocator/claims.js';
import type { Pod } from '../../../extender/allocator/kube-types.js';
import type { AllocatorOptions } from '../../../extender/allocator/types.js';
import { ClusterState } from '../../../extender/state/cluster-state.js';
import { Gi, localVolume, lvmPv, nls, podWithClaims, pvc, storageClass } from './objects.js';

const binpack: AllocatorOptions = { strategy: 'binpack' };
const SC = 'open-local-lvm';

function cluster(): ClusterState {
  const state = new ClusterState();
  state.onStorageClass('add', storageClass(SC, { volumeType: 'LVM' }));
  state.onStorageClass('add', storageClass('open-local-device-ssd', { volumeType: 'Device', mediaType: 'ssd' }));
  state.onNodeLocalStorage('add', nls('n1', { vgs: { vg: 100 } }));
  state.onNodeLocalStorage('add', nls('n2', { vgs: { vg: 100 } }));
  return state;
}

const claimsOf = (state: ClusterState, pod: Pod): PodClaims => podClaims(pod, state);
function fitsOn(state: ClusterState, pod: Pod, node: string): boolean | string {
  const claims = claimsOf(state, pod);
  if ('error' in claims) return claims.error;
  const fit = fitNode(state.storage(node), state.usage(node), claims.claims, binpack);
  return fit.fits || fit.reason;
}

describe('extender/state/cluster-state', () => {
  it('counts bound PVs on their node and VG, and frees the space when the PV goes', () => {
    const state = cluster();
    const pv = lvmPv('pvc-a', 'n1', 'vg', '70Gi');
    state.onPersistentVolume('add', pv);
    state.onPersistentVolumeClaim('add', pvc('ns', 'new', SC, '40Gi'));
    const pod = podWithClaims('ns', 'p', ['new']);
    expect(fitsOn(state, pod, 'n1')).to.equal('no volume group has 40Gi free for ns/new: the most free is "vg" with 30Gi (10Gi short)');
    expect(fitsOn(state, pod, 'n2')).to.equal(true);
    state.onPersistentVolume('delete', pv);
    expect(fitsOn(state, pod, 'n1')).to.equal(true);
  });

  it('counts a PVC shared by several pods once (Open-Local #262)', () => {
    const state = cluster();
    state.onPersistentVolume('add', lvmPv('pvc-shared', 'n1', 'vg', '50Gi', { namespace: 'ns', name: 'shared' }));
    state.onPersistentVolumeClaim('add', pvc('ns', 'shared', SC, '50Gi', { volumeName: 'pvc-shared' }));
    for (const name of ['a', 'b', 'c']) state.onPod('add', podWithClaims('ns', name, ['shared'], { nodeName: 'n1' }));
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(50 * Gi);
    expect(claimsOf(state, podWithClaims('ns', 'd', ['shared']))).to.deep.equal({ claims: [] });
  });

  it('counts a LocalVolume being created (no PV yet), and the volume once when its PV appears', () => {
    const state = cluster();
    state.onLocalVolume('add', localVolume('pvc-x', 'n1', 'vg', 60 * Gi));
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(60 * Gi);
    state.onPersistentVolume('add', lvmPv('pvc-x', 'n1', 'vg', '60Gi'));
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(60 * Gi);
    state.onLocalVolume('delete', localVolume('pvc-x', 'n1', 'vg', 60 * Gi));
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(60 * Gi);
    state.onPersistentVolume('delete', lvmPv('pvc-x', 'n1', 'vg', '60Gi'));
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(undefined);
  });

  it('does not charge snapshots or volumes restored from one (the snapshot LV is the agent\'s to count)', () => {
    const state = cluster();
    const snapshot = localVolume('snap-1', 'n1', 'vg', 4 * Gi);
    snapshot.spec.snapshotOf = 'local-src';
    const restore = localVolume('local-restored', 'n1', 'vg', 10 * Gi);
    restore.spec.source = { snapshot: 'snap-1' };
    state.onLocalVolume('add', snapshot);
    state.onLocalVolume('add', restore);
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(undefined);
  });

  describe('two pods scheduled at once', () => {
    it('keeps the last space of a node for the pod whose PVC the scheduler sent there first', () => {
      const state = cluster();
      state.onPersistentVolumeClaim('add', pvc('ns', 'first', SC, '60Gi', { uid: 'u1', annotations: { 'volume.kubernetes.io/selected-node': 'n1' } }));
      state.onPersistentVolumeClaim('add', pvc('ns', 'second', SC, '60Gi'));
      const second = podWithClaims('ns', 'b', ['second']);
      expect(fitsOn(state, second, 'n1')).to.match(/^no volume group has 60Gi free for ns\/second/);
      expect(fitsOn(state, second, 'n2')).to.equal(true);
      expect(fitsOn(state, podWithClaims('ns', 'a', ['first']), 'n1')).to.equal(true);
    });
    it('stops counting the promise once the volume exists (named local-<uid>, as synth runs the provisioner), so the space is not counted twice', () => {
      const state = cluster();
      state.onPersistentVolumeClaim('add', pvc('ns', 'first', SC, '60Gi', { uid: 'u1', annotations: { 'volume.kubernetes.io/selected-node': 'n1' } }));
      state.onLocalVolume('add', localVolume('local-u1', 'n1', 'vg', 60 * Gi));
      expect(state.usage('n1').promised).to.deep.equal([]);
      expect(state.usage('n1').vgUsed.get('vg')).to.equal(60 * Gi);
    });
  });

  it('answers the same after a restart (a fresh state fed the same objects)', () => {
    const objects = (state: ClusterState) => {
      state.onPersistentVolume('add', lvmPv('pvc-1', 'n1', 'vg', '30Gi'));
      state.onLocalVolume('add', localVolume('pvc-2', 'n2', 'vg', 80 * Gi));
      state.onPersistentVolumeClaim('add', pvc('ns', 'a', SC, '20Gi'));
      state.onPersistentVolumeClaim('add', pvc('ns', 'b', SC, '20Gi'));
    };
    const answer = () => {
      const state = cluster();
      objects(state);
      const claims = claimsOf(state, podWithClaims('ns', 'p', ['a', 'b']));
      if ('error' in claims) throw new Error(claims.error);
      return fitNodes(['n1', 'n2'], state, claims.claims, binpack);
    };
    expect(answer()).to.deep.equal(answer());
    expect([...answer().feasible.keys()]).to.deep.equal(['n1']);
  });

  it('charges inline volumes of pods placed on a node, until the pod finishes', () => {
    const state = cluster();
    const pod: Pod = { metadata: { namespace: 'ns', name: 'inline' }, spec: { nodeName: 'n1', volumes: [{ name: 'scratch', csi: { driver: 'local.csi.aliyun.com', volumeAttributes: { vgName: 'vg', size: '10Gi' } } }] }, status: { phase: 'Running' } };
    state.onPod('add', pod);
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(10 * Gi);
    state.onPod('update', { ...pod, status: { phase: 'Succeeded' } });
    expect(state.usage('n1').vgUsed.get('vg')).to.equal(undefined);
  });

  it('pins a snapshot restore to the node and VG of the snapshot source', () => {
    const state = cluster();
    state.onPersistentVolume('add', lvmPv('pvc-src', 'n2', 'vg', '10Gi'));
    state.onPersistentVolumeClaim('add', pvc('ns', 'src', SC, '10Gi', { volumeName: 'pvc-src' }));
    state.onVolumeSnapshot('add', { metadata: { namespace: 'ns', name: 'snap' }, spec: { source: { persistentVolumeClaimName: 'src' } } });
    state.onPersistentVolumeClaim('add', pvc('ns', 'restore', SC, '10Gi', { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' } }));
    const pod = podWithClaims('ns', 'p', ['restore']);
    expect(claimsOf(state, pod)).to.deep.equal({ claims: [{ id: 'ns/restore', kind: 'LVM', size: 10 * Gi, vgName: 'vg', node: 'n2' }] });
    expect(fitsOn(state, pod, 'n1')).to.equal('ns/restore must be on node "n2", where its data source is');
    expect(fitsOn(state, pod, 'n2')).to.equal(true);
  });

  describe('claims that cannot be evaluated say why (the same reason on every node)', () => {
    const table: [string, (s: ClusterState) => void, string[], string][] = [
      ['a missing PVC (or one in another namespace)', (s) => { s.onPersistentVolumeClaim('add', pvc('other', 'x', SC, '1Gi')); }, ['x'], 'PersistentVolumeClaim "ns/x" (volume "v0") not found'],
      ['a missing StorageClass', (s) => { s.onPersistentVolumeClaim('add', pvc('ns', 'x', 'gone', '1Gi')); }, ['x'], 'StorageClass "gone" of ns/x not found'],
      ['a bad volumeType', (s) => { s.onStorageClass('add', storageClass('quota', { volumeType: 'Quota' })); s.onPersistentVolumeClaim('add', pvc('ns', 'x', 'quota', '1Gi')); }, ['x'], 'StorageClass "quota": volumeType "Quota" is not one of LVM, Device, MountPoint'],
      ['a Device class without mediaType', (s) => { s.onStorageClass('add', storageClass('dev', { volumeType: 'Device' })); s.onPersistentVolumeClaim('add', pvc('ns', 'x', 'dev', '1Gi')); }, ['x'], 'StorageClass "dev": volumeType Device needs the parameter mediaType (ssd or hdd)'],
      ['a bad size', (s) => { s.onPersistentVolumeClaim('add', pvc('ns', 'x', SC, 'lots')); }, ['x'], 'ns/x: storage request "lots" is not a byte quantity'],
      ['a missing snapshot', (s) => { s.onPersistentVolumeClaim('add', pvc('ns', 'x', SC, '1Gi', { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'nope' } })); }, ['x'], 'VolumeSnapshot "ns/nope" (data source of ns/x) not found'],
    ];
    for (const [name, setup, claims, want] of table) {
      it(name, () => {
        const state = cluster();
        setup(state);
        expect(claimsOf(state, podWithClaims('ns', 'p', claims))).to.deep.equal({ error: want });
      });
    }
    it('ignores PVCs of other provisioners', () => {
      const state = cluster();
      state.onStorageClass('add', { metadata: { name: 'ebs' }, provisioner: 'ebs.csi.aws.com' });
      state.onPersistentVolumeClaim('add', pvc('ns', 'x', 'ebs', '1Gi'));
      expect(claimsOf(state, podWithClaims('ns', 'p', ['x']))).to.deep.equal({ claims: [] });
    });
  });
});
