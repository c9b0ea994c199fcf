// The CSI controller deletes a volume whose claim was deleted before a PV was made for it (the provisioner never
// will: a Device volume would hold its disk for ever), against the real API server; and leaves alone every volume
// that might hold data: a claim that still exists, and a Ready volume without a PV (a Retain volume whose PV an admin
// deleted to recover its data by hand). node-c's plugin is silent, so its volumes stay Pending as on a node whose
// plugin is down.
import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import type { LocalVolume } from '../../../api/generated/types.js';
import { isNotFound } from '../../../lib/kube-api.js';
import { waitFor } from '../../env/net.js';
import { pvc } from '../../unit/extender/objects.js';
import { refusedWith } from './support/csi-client.js';
import { NS, SC, startControllerHarness, type ControllerHarness } from './support/controller-harness.js';

const SWEEP_MS = 500;

describe('CSI controller: volumes whose claim was deleted before their PV', function () {
  this.timeout(120_000);
  let h: ControllerHarness;

  before(async () => {
    h = await startControllerHarness({
      nodes: { 'node-a': { vgs: { pool: 100 } }, 'node-c': { devices: [{ name: '/dev/vdc', gi: 50, mediaType: 'ssd' }, { name: '/dev/vdd', gi: 50, mediaType: 'ssd' }, { name: '/dev/vde', gi: 50, mediaType: 'ssd' }] } },
      answering: ['node-a'],
      operationTimeoutMs: 2000,
      // No grace: what protects a volume here is its claim, its PV and its phase, which is what is tested.
      orphans: { intervalMs: SWEEP_MS, graceMs: 0 },
    });
  });
  after(async () => {
    await h.stop();
  });

  const lv = (name: string) => h.api.get<LocalVolume>('csi.aliyun.com/v1alpha1', 'LocalVolume', name);
  const claim = async (name: string, node: string) => {
    const made = await h.api.createIfAbsent(pvc(NS, name, SC, '1Gi', { annotations: { 'volume.kubernetes.io/selected-node': node } }));
    return `local-${made?.metadata?.uid ?? ''}`;
  };
  /** Deletes a claim for good (its pvc-protection finalizer removed, as the controller-manager would). */
  const deleteClaim = async (name: string) => {
    const object = pvc(NS, name, SC, '1Gi');
    await h.api.delete(object);
    await h.api.mergePatch(object, { metadata: { finalizers: null } }).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
    await waitFor(`claim ${name} gone`, async () => (await h.api.get('v1', 'PersistentVolumeClaim', name, NS)) === undefined, { timeoutMs: 30_000 });
  };
  const create = (id: string, claimName: string, parameters: Record<string, string>, node: string) =>
    h.csi.controller<{ volume: { volume_id: string } }>('CreateVolume', {
      name: id,
      capacity_range: { required_bytes: String(1024 ** 3) },
      volume_capabilities: [{ block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }],
      parameters: { ...parameters, 'csi.storage.k8s.io/pvc/name': claimName, 'csi.storage.k8s.io/pvc/namespace': NS },
      accessibility_requirements: { requisite: [{ segments: { 'kubernetes.io/hostname': node } }] },
    });
  const sweeps = (n: number) => new Promise((r) => setTimeout(r, n * SWEEP_MS));

  it('a Device volume its node never made, whose claim is then deleted: the volume is deleted (its node then frees the disk)', async () => {
    const id = await claim('device-data', 'node-c');
    const timedOut = await refusedWith(create(id, 'device-data', { volumeType: 'Device', mediaType: 'ssd' }, 'node-c'));
    expect(timedOut.code).to.equal(status.DEADLINE_EXCEEDED);
    await sweeps(4);
    const waiting = await lv(id);
    expect(waiting?.metadata?.deletionTimestamp, 'while its claim exists the provisioner retries: kept').to.equal(undefined);
    expect(waiting?.spec.device).to.match(/^\/dev\/vd[cde]$/);

    await deleteClaim('device-data');
    await waitFor(`LocalVolume ${id} deleted`, async () => (await lv(id))?.metadata?.deletionTimestamp !== undefined, { timeoutMs: 30_000 });
  });

  it('a volume made for a claim that was deleted and made again under the same name: the old one is deleted, the new claim\'s kept', async () => {
    const oldId = await claim('again', 'node-c');
    expect((await refusedWith(create(oldId, 'again', { volumeType: 'Device', mediaType: 'ssd' }, 'node-c'))).code).to.equal(status.DEADLINE_EXCEEDED);
    expect((await lv(oldId))?.spec.nodeName).to.equal('node-c');
    await deleteClaim('again');
    const newId = await claim('again', 'node-c');
    expect(newId).to.not.equal(oldId);
    expect((await refusedWith(create(newId, 'again', { volumeType: 'Device', mediaType: 'ssd' }, 'node-c'))).code).to.equal(status.DEADLINE_EXCEEDED);
    await waitFor(`LocalVolume ${oldId} deleted`, async () => (await lv(oldId))?.metadata?.deletionTimestamp !== undefined, { timeoutMs: 30_000 });
    await sweeps(4);
    expect((await lv(newId))?.metadata?.deletionTimestamp, 'the new claim\'s volume').to.equal(undefined);
  });

  it('a Ready volume without a PV whose claim is gone is left alone: it may be a Retain volume\'s data', async () => {
    const id = await claim('retained', 'node-a');
    const { volume } = await create(id, 'retained', { volumeType: 'LVM' }, 'node-a');
    expect(volume.volume_id).to.equal(id);
    await deleteClaim('retained');
    await sweeps(6);
    const kept = await lv(id);
    expect(kept?.status?.phase).to.equal('Ready');
    expect(kept?.metadata?.deletionTimestamp).to.equal(undefined);
  });
});
