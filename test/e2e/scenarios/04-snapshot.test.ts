// Scenario 4, grow, snapshot, restore: a mounted LVM volume is expanded online (the pod's df sees it), a
// VolumeSnapshot is taken with the read-only class the operator makes, and restored into a new claim that a second
// pod reads on the same node: the bytes of the snapshot's moment, not what was written after. Deleting it all
// removes every LV (the node's LVM and its NodeLocalStorage free space are as before).
import { expect } from 'chai';
import { useScenario } from '../scenario.js';
import { boundVolume, logicalVolumes, nodeLocalStorageVg, VG, volumeNode, volumesOfNamespaceGone } from '../storage.js';
import { apply, inNodePlugin, podRunning, waitFor } from '../support.js';
import { claim, MOUNT_PATH, podFilesystem, podSh, sha256Of, volumePod, writeRandom } from '../volumes.js';

const NS = 'e2e-snapshot';
const MiB = 1 << 20;
const POD_START_MS = 300_000;
const SNAPSHOT_CLASS = 'open-local-lvm';

type VolumeSnapshot = { status?: { readyToUse?: boolean; restoreSize?: string; boundVolumeSnapshotContentName?: string; error?: { message?: string } } };

describe('e2e 4: grow, snapshot, restore', function () {
  /** Each node's free bytes in the VG before the scenario, as LVM reports them. */
  const freeBefore = new Map<string, number>();
  let node: string;
  let sourceLv: string;
  let snapshotLv: string;
  let digest: string;
  const c = useScenario(NS, {
    setUp: async (c) => {
      const nodes = (await c.kubectl(['get', 'nodelocalstorage', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').filter(Boolean);
      for (const n of nodes) freeBefore.set(n, Number((await inNodePlugin(c, n, `vgs --noheadings --units b --nosuffix -o vg_free ${VG}`)).trim()));
      await apply(c, [claim(NS, 'data', '256Mi', { storageClassName: 'open-local-lvm' }), volumePod(NS, 'writer', { claim: 'data' })]);
    },
  });

  it('expands a mounted volume online: the pod sees the new size with df', async function () {
    this.timeout(POD_START_MS + 360_000);
    const pod = await podRunning(c, NS, 'writer', POD_START_MS);
    node = pod.spec!.nodeName!;
    const before = await podFilesystem(c, NS, 'writer');
    expect(before.bytes).to.be.within(0.8 * 256 * MiB, 256 * MiB);
    digest = await writeRandom(c, NS, 'writer', 'blob', 8);

    await c.kubectl(['patch', 'pvc', '-n', NS, 'data', '--type', 'merge', '-p', JSON.stringify({ spec: { resources: { requests: { storage: '512Mi' } } } })]);
    const grown = await waitFor('the pod\'s df showing the grown filesystem', async () => {
      const fs = await podFilesystem(c, NS, 'writer');
      return fs.bytes > 0.8 * 512 * MiB ? fs : undefined;
    }, 300_000, 3000);
    expect(grown.bytes).to.be.at.most(512 * MiB);
    expect((await c.kubectl(['get', 'pvc', '-n', NS, 'data', '-o', 'jsonpath={.status.capacity.storage}'])).trim()).to.equal('512Mi');
    const pv = await boundVolume(c, NS, 'data');
    sourceLv = pv.spec.csi!.volumeHandle;
    expect((await logicalVolumes(c, node)).get(sourceLv), `LV ${VG}/${sourceLv}`).to.equal(512 * MiB);
    expect(await sha256Of(c, NS, 'writer', 'blob'), 'the data written before the expansion').to.equal(digest);
  });

  it(`takes a VolumeSnapshot with the read-only class ${SNAPSHOT_CLASS}: a snapshot LV of the volume on its node`, async function () {
    this.timeout(300_000);
    const vsc = JSON.parse(await c.kubectl(['get', 'volumesnapshotclass', SNAPSHOT_CLASS, '-o', 'json'])) as { driver?: string; deletionPolicy?: string; parameters?: Record<string, string> };
    expect(vsc.driver).to.equal('local.csi.aliyun.com');
    expect(vsc.deletionPolicy).to.equal('Delete');
    expect(vsc.parameters?.['csi.aliyun.com/readonly']).to.equal('true');

    await apply(c, [{
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'snap', namespace: NS },
      spec: { volumeSnapshotClassName: SNAPSHOT_CLASS, source: { persistentVolumeClaimName: 'data' } },
    }]);
    const snap = await waitFor('VolumeSnapshot snap readyToUse', async () => {
      const s = JSON.parse(await c.kubectl(['get', 'volumesnapshot', '-n', NS, 'snap', '-o', 'json'])) as VolumeSnapshot;
      if (s.status?.error?.message) throw new Error(s.status.error.message);
      return s.status?.readyToUse === true ? s : undefined;
    }, 240_000, 2000);
    expect(snap.status?.restoreSize).to.equal('512Mi');
    snapshotLv = (await c.kubectl(['get', 'volumesnapshotcontent', snap.status!.boundVolumeSnapshotContentName!, '-o', 'jsonpath={.status.snapshotHandle}'])).trim();
    const origin = (await inNodePlugin(c, node, `lvs --noheadings -o origin,lv_attr ${VG}/${snapshotLv}`)).trim().split(/\s+/);
    expect(origin[0], `origin of snapshot LV ${VG}/${snapshotLv}`).to.equal(sourceLv);
    expect(origin[1]?.[1], `${snapshotLv} permissions (lv_attr)`).to.equal('r');
    // Written after the snapshot: the restore must not have it.
    await writeRandom(c, NS, 'writer', 'later', 1);
  });

  it('restores the snapshot into a new claim on the same node; a second pod reads the snapshot\'s bytes', async function () {
    this.timeout(POD_START_MS + 60_000);
    await apply(c, [claim(NS, 'restored', '512Mi', { storageClassName: 'open-local-lvm', fromSnapshot: 'snap' }), volumePod(NS, 'reader', { claim: 'restored' })]);
    const reader = await podRunning(c, NS, 'reader', POD_START_MS);
    expect(reader.spec?.nodeName, 'the restore is on the snapshot\'s node').to.equal(node);
    const pv = await boundVolume(c, NS, 'restored');
    expect(volumeNode(pv)).to.equal(node);
    expect(await sha256Of(c, NS, 'reader', 'blob')).to.equal(digest);
    expect((await podSh(c, NS, 'reader', `ls ${MOUNT_PATH}`)).split('\n')).to.not.include('later');
    const mount = (await podSh(c, NS, 'reader', `grep ' ${MOUNT_PATH} ' /proc/mounts`)).trim().split(' ');
    expect(mount[3]?.split(','), 'mount options of the read-only snapshot').to.include('ro');
  });

  it('deleting the pods, the restore, the snapshot and the claim removes every LV: the node\'s free space is back', async function () {
    this.timeout(900_000);
    await c.kubectl(['delete', 'pod', '-n', NS, 'reader', 'writer', '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
    // A snapshot LV cannot go while a restore uses it, nor its origin while it has the snapshot: dependants first.
    await c.kubectl(['delete', 'pvc', '-n', NS, 'restored', '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
    await c.kubectl(['delete', 'volumesnapshot', '-n', NS, 'snap', '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
    await c.kubectl(['delete', 'pvc', '-n', NS, 'data', '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
    await volumesOfNamespaceGone(c, NS);
    await waitFor(`LVs ${sourceLv} and ${snapshotLv} removed from ${node}`, async () => {
      const lvs = await logicalVolumes(c, node);
      return lvs.has(sourceLv) || lvs.has(snapshotLv) ? undefined : true;
    }, 120_000, 2000);
    expect((await c.kubectl(['get', 'volumesnapshotcontent', '-o', 'jsonpath={.items[*].spec.volumeSnapshotRef.namespace}'])).split(' ')).to.not.include(NS);
    const free = freeBefore.get(node)!;
    const reported = await waitFor(`NodeLocalStorage ${node} reporting ${free} bytes free in ${VG} again`, async () => ((await nodeLocalStorageVg(c, node)).available === free ? free : undefined), 240_000, 3000);
    expect(reported).to.equal(free);
  });
});
