import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { capacity } from '../../../../csi-driver/controller/capacity.js';
import { placeVolume, type ClusterView } from '../../../../csi-driver/controller/placement.js';
import { CsiError } from '../../../../csi-driver/grpc/errors.js';
import type { AllocatorOptions, Claim } from '../../../../extender/allocator/types.js';
import { ClusterState } from '../../../../extender/state/cluster-state.js';
import { Gi, localVolume, nls } from '../../extender/objects.js';

const spread: AllocatorOptions = { strategy: 'spread' };

/** n1: pool 100Gi with 90Gi used; n2: pool 100Gi, fast 20Gi; n3: an ssd device of 50Gi and one of 200Gi. */
function view(): ClusterView {
  const state = new ClusterState();
  state.onNodeLocalStorage('add', nls('n1', { vgs: { pool: 100 } }));
  state.onNodeLocalStorage('add', nls('n2', { vgs: { pool: 100, fast: 20 } }));
  state.onNodeLocalStorage('add', nls('n3', { devices: [{ name: '/dev/vdb', gi: 50, mediaType: 'ssd' }, { name: '/dev/vdc', gi: 200, mediaType: 'ssd' }] }));
  state.onLocalVolume('add', localVolume('local-old', 'n1', 'pool', 90 * Gi));
  return state;
}

const lvm = (size: number, extra: Partial<Claim> = {}): Claim => ({ id: 'ns/data', kind: 'LVM', size: size * Gi, ...extra });

function refusal(fn: () => unknown): CsiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CsiError) return err;
    throw err;
  }
  throw new Error('expected a CsiError');
}

describe('csi-driver/controller placement (the extender\'s allocator)', () => {
  it('puts a WaitForFirstConsumer volume on the selected node, in the VG the strategy picks', () => {
    expect(placeVolume(view(), lvm(10), 'n2', undefined, spread)).to.deep.equal({ node: 'n2', placement: { claim: 'ns/data', kind: 'LVM', size: 10 * Gi, vgName: 'pool' } });
    expect(placeVolume(view(), lvm(10), 'n2', undefined, { strategy: 'binpack' }).placement.vgName).to.equal('fast');
  });
  it('is RESOURCE_EXHAUSTED on a full selected node, naming the node, the VG and the sizes', () => {
    const err = refusal(() => placeVolume(view(), lvm(20), 'n1', undefined, spread));
    expect(err.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(err.message).to.equal('cannot create ns/data (LVM, 20Gi) on node "n1": no volume group has 20Gi free for ns/data: the most free is "pool" with 10Gi (10Gi short)');
  });
  it('tries preferred nodes in order, then the best allowed node; without topology, the best of all nodes', () => {
    expect(placeVolume(view(), lvm(20), undefined, { preferred: ['n1', 'n2'], allowed: new Set(['n1', 'n2']) }, spread).node).to.equal('n2');
    expect(placeVolume(view(), lvm(5), undefined, undefined, spread).node).to.equal('n2');
    expect(placeVolume(view(), lvm(5, { vgName: 'pool' }), undefined, { preferred: [], allowed: new Set(['n1']) }, spread).node).to.equal('n1');
  });
  it('gives a Device volume the smallest free disk of its media type that fits', () => {
    const placed = placeVolume(view(), { id: 'ns/dev', kind: 'Device', size: 60 * Gi, mediaType: 'ssd' }, undefined, undefined, spread);
    expect(placed).to.deep.include({ node: 'n3' });
    expect(placed.placement.resource).to.equal('/dev/vdc');
  });
  it('refuses a node the requirement forbids, and says when no node fits anywhere', () => {
    expect(refusal(() => placeVolume(view(), lvm(1), 'n1', { preferred: [], allowed: new Set(['n2']) }, spread)).message).to.include('must be on node "n1", which accessibility_requirements do not allow (n2)');
    const err = refusal(() => placeVolume(view(), lvm(500), undefined, undefined, spread));
    expect(err.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(err.message).to.include('node "n1": no volume group has 500Gi free').and.include('node "n2"').and.include('node "n3"');
    expect(refusal(() => placeVolume(new ClusterState(), lvm(1), undefined, undefined, spread)).message).to.include('no node has open-local storage');
  });

  describe('GetCapacity', () => {
    it('answers a node\'s free space in the named VG, or its most free VG', () => {
      expect(capacity(view(), { kind: 'LVM', vgName: 'fast' }, 'n2')).to.deep.equal({ available: 20 * Gi, maximum: 20 * Gi });
      expect(capacity(view(), { kind: 'LVM' }, 'n1')).to.deep.equal({ available: 10 * Gi, maximum: 10 * Gi });
      expect(capacity(view(), { kind: 'LVM' }, 'unknown')).to.deep.equal({ available: 0, maximum: 0 });
    });
    it('answers the largest free disk for Device, and the cluster total without a node', () => {
      expect(capacity(view(), { kind: 'Device', mediaType: 'ssd' }, 'n3')).to.deep.equal({ available: 200 * Gi, maximum: 200 * Gi });
      expect(capacity(view(), { kind: 'Device', mediaType: 'hdd' }, 'n3').available).to.equal(0);
      expect(capacity(view(), { kind: 'LVM' }, undefined)).to.deep.equal({ available: 110 * Gi, maximum: 100 * Gi });
    });
  });
});
