// Scenario 3, every volume kind through real kubelets: LVM with ext4 and with xfs, a raw block LV, a Device volume
// on the node's exclusive disk, an inline ephemeral volume and an IO-throttled LVM volume. All pods are created at
// once (the kubelets and the driver serve them in parallel); each test then checks one kind as a user would: what
// the pod sees (filesystem type, size, bytes read back) and what the node has (the LV, the disk, the cgroup limit).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { GUEST } from '../disks.js';
import { useScenario } from '../scenario.js';
import { boundVolume, logicalVolumes, VG, volumeNode } from '../storage.js';
import { apply, inNodePlugin, podRunning, waitFor } from '../support.js';
import { claim, DEVICE_PATH, podFilesystem, podSh, sha256Of, volumePod, writeRandom } from '../volumes.js';

const NS = 'e2e-kinds';
const MiB = 1 << 20;
/** Volume creation, formatting and pod start on a machine shared with other clusters. */
const POD_START_MS = 300_000;
const INLINE_SIZE = 256 * MiB;
const THROTTLE = { iops: 2000, bps: 100 * MiB };

type Event = { reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } };

describe('e2e 3: every volume kind through real kubelets', function () {
  const c = useScenario(NS, {
    setUp: (c) => apply(c, [
      claim(NS, 'ext4', '256Mi', { storageClassName: 'open-local-lvm' }),
      volumePod(NS, 'ext4', { claim: 'ext4' }),
      // xfs refuses filesystems under 300 MiB.
      claim(NS, 'xfs', '320Mi', { storageClassName: 'open-local-lvm-xfs' }),
      volumePod(NS, 'xfs', { claim: 'xfs' }),
      claim(NS, 'block', '128Mi', { storageClassName: 'open-local-lvm', block: true }),
      volumePod(NS, 'block', { claim: 'block', block: true }),
      claim(NS, 'device', '512Mi', { storageClassName: 'open-local-device-ssd' }),
      volumePod(NS, 'device', { claim: 'device' }),
      volumePod(NS, 'inline', { inline: { vgName: VG, size: `${INLINE_SIZE / MiB}Mi` }, fsType: 'ext4' }),
      claim(NS, 'throttled', '256Mi', { storageClassName: 'open-local-lvm-io-throttle' }),
      volumePod(NS, 'throttled', { claim: 'throttled' }),
    ]),
  });

  for (const [kind, fsType, bytes] of [['ext4', 'ext4', 256 * MiB], ['xfs', 'xfs', 320 * MiB]] as const) {
    it(`LVM ${fsType}: the pod sees ${fsType} of the size asked for on an LV of the VG, and reads back what it wrote`, async function () {
      this.timeout(POD_START_MS + 120_000);
      await podRunning(c, NS, kind, POD_START_MS);
      const fs = await podFilesystem(c, NS, kind);
      expect(fs.fsType, `${kind}: filesystem in the pod's /proc/mounts`).to.equal(fsType);
      // The filesystem's own metadata takes a part of the LV.
      expect(fs.bytes).to.be.within(0.8 * bytes, bytes);
      const written = await writeRandom(c, NS, kind, 'blob', 8);
      expect(await sha256Of(c, NS, kind, 'blob')).to.equal(written);

      const pv = await boundVolume(c, NS, kind);
      expect(pv.spec.csi?.volumeAttributes?.['volumeType']).to.equal('LVM');
      const lvs = await logicalVolumes(c, volumeNode(pv)!);
      expect(lvs.get(pv.spec.csi!.volumeHandle), `LV ${VG}/${pv.spec.csi!.volumeHandle} on ${volumeNode(pv)}`).to.equal(bytes);
    });
  }

  it('raw block: the pod sees a block device of the requested size; bytes written at an offset are on the LV', async function () {
    this.timeout(POD_START_MS + 120_000);
    await podRunning(c, NS, 'block', POD_START_MS);
    expect(Number((await podSh(c, NS, 'block', `blockdev --getsize64 ${DEVICE_PATH}`)).trim())).to.equal(128 * MiB);
    // 64 KiB of random bytes at 64 MiB, written and read with O_DIRECT: from the device, not the page cache.
    const at = 1024; // in 64 KiB blocks
    const hashes = await podSh(c, NS, 'block', [
      'dd if=/dev/urandom of=/tmp/chunk bs=65536 count=1 2>/dev/null',
      `dd if=/tmp/chunk of=${DEVICE_PATH} bs=65536 seek=${at} count=1 oflag=direct conv=notrunc 2>/dev/null`,
      'sha256sum < /tmp/chunk',
      `dd if=${DEVICE_PATH} bs=65536 skip=${at} count=1 iflag=direct 2>/dev/null | sha256sum`,
    ].join(' && '));
    const [written, readBack] = hashes.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(readBack, 'bytes read back in the pod').to.equal(written);

    const pv = await boundVolume(c, NS, 'block');
    const onLv = await inNodePlugin(c, volumeNode(pv)!, `dd if=/dev/${VG}/${pv.spec.csi!.volumeHandle} bs=65536 skip=${at} count=1 iflag=direct 2>/dev/null | sha256sum`);
    expect(onLv.trim().split(/\s+/)[0], `the same bytes on ${VG}/${pv.spec.csi!.volumeHandle}`).to.equal(written);
  });

  it('Device: the PV is the node\'s whole exclusive disk; a second Device claim on that node stays Pending', async function () {
    this.timeout(POD_START_MS + 240_000);
    const pod = await podRunning(c, NS, 'device', POD_START_MS);
    const node = pod.spec!.nodeName!;
    const pv = await boundVolume(c, NS, 'device');
    expect(pv.spec.csi?.volumeAttributes?.['volumeType']).to.equal('Device');
    expect(pv.spec.csi?.volumeAttributes?.['Device']).to.equal(GUEST.device);
    expect(volumeNode(pv)).to.equal(node);
    const diskBytes = Number((await inNodePlugin(c, node, `blockdev --getsize64 ${GUEST.device}`)).trim());
    const fs = await podFilesystem(c, NS, 'device');
    expect(fs.fsType).to.equal('ext4');
    // The filesystem spans the disk, not the 512Mi asked for.
    expect(fs.bytes, `filesystem size vs ${GUEST.device} (${diskBytes} bytes)`).to.be.within(0.9 * diskBytes, diskBytes);
    const written = await writeRandom(c, NS, 'device', 'blob', 8);
    expect(await sha256Of(c, NS, 'device', 'blob')).to.equal(written);

    await apply(c, [claim(NS, 'device-2', '512Mi', { storageClassName: 'open-local-device-ssd' }), volumePod(NS, 'device-2', { claim: 'device-2' }, node)]);
    const refused = await waitFor('a FailedScheduling event for pod device-2', async () => {
      const events = JSON.parse(await c.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=device-2,reason=FailedScheduling', '-o', 'json'])) as { items: Event[] };
      return events.items.find((e) => e.involvedObject?.kind === 'Pod')?.message;
    }, 120_000);
    console.log(`      device-2: ${refused}`);
    expect(refused).to.match(/ssd device/);
    const second = JSON.parse(await c.kubectl(['get', 'pvc', '-n', NS, 'device-2', '-o', 'json'])) as { spec?: { volumeName?: string }; status?: { phase?: string } };
    expect(second.status?.phase).to.equal('Pending');
    expect(second.spec?.volumeName).to.equal(undefined);
    expect((await c.kubectl(['get', 'pod', '-n', NS, 'device-2', '-o', 'jsonpath={.status.phase} {.spec.nodeName}'])).trim()).to.equal('Pending');
  });

  it('inline ephemeral volume: the pod gets an ext4 LV of the size in its attributes; deleting the pod removes the LV', async function () {
    this.timeout(POD_START_MS + 240_000);
    const pod = await podRunning(c, NS, 'inline', POD_START_MS);
    const node = pod.spec!.nodeName!;
    const fs = await podFilesystem(c, NS, 'inline');
    expect(fs.fsType).to.equal('ext4');
    expect(fs.bytes).to.be.within(0.8 * INLINE_SIZE, INLINE_SIZE);
    const written = await writeRandom(c, NS, 'inline', 'blob', 8);
    expect(await sha256Of(c, NS, 'inline', 'blob')).to.equal(written);
    // kubelet names an inline volume "csi-" + sha256(pod UID + volume name); the driver names its LV after it.
    const lv = `csi-${createHash('sha256').update(`${pod.metadata!.uid!}data`).digest('hex')}`;
    expect((await logicalVolumes(c, node)).get(lv), `inline LV ${VG}/${lv} on ${node}`).to.equal(INLINE_SIZE);

    await c.kubectl(['delete', 'pod', '-n', NS, 'inline', '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
    await waitFor(`inline LV ${lv} removed from ${node}`, async () => ((await logicalVolumes(c, node)).has(lv) ? undefined : true), 120_000, 2000);
  });

  it(`IO-throttled class: the pod's cgroup io.max limits the LV to ${THROTTLE.iops} IOPS and 100Mi/s`, async function () {
    this.timeout(POD_START_MS + 120_000);
    const pod = await podRunning(c, NS, 'throttled', POD_START_MS);
    const node = pod.spec!.nodeName!;
    const pv = await boundVolume(c, NS, 'throttled');
    const lv = pv.spec.csi!.volumeHandle;
    const numbers = (await inNodePlugin(c, node, `lvs --noheadings -o lv_kernel_major,lv_kernel_minor ${VG}/${lv}`)).trim().split(/\s+/);
    expect(numbers, `${VG}/${lv} major:minor`).to.have.length(2);
    // The pod's cgroup directory depends on the kubelet's cgroup driver and the pod's QoS class; its name carries
    // the UID (with "_" for "-" under systemd).
    const uid = pod.metadata!.uid!;
    const ioMax = await inNodePlugin(c, node, `d=$(find /sys/fs/cgroup -maxdepth 4 -type d \\( -name '*pod${uid}*' -o -name '*pod${uid.replaceAll('-', '_')}*' \\) | head -1); echo "$d"; cat "$d/io.max"`);
    console.log(`      ${ioMax.trim().replaceAll('\n', '\n      ')}`);
    expect(ioMax.split('\n').slice(1)).to.include(`${numbers[0]}:${numbers[1]} rbps=${THROTTLE.bps} wbps=${THROTTLE.bps} riops=${THROTTLE.iops} wiops=${THROTTLE.iops}`);
  });
});
