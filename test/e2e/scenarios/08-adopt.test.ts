// Scenario 9 of issue 13, adopt Open-Local: a volume group and an LV laid out exactly as Open-Local v0.7 makes them
// (its agent's `vgcreate` on a listed disk; its CSI driver's `lvcreate -n local-<uuid>` and mkfs at first publish),
// with the PV object its provisioner wrote, keep working under our driver: a pod mounts the volume and reads the
// data Open-Local's user wrote. Deleting the claim then deletes the LV through our driver (the PV says Delete),
// and the scenario gives the disk back as it found it.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { GUEST } from '../disks.js';
import { useScenario } from '../scenario.js';
import { apply, BUSYBOX, exec, onNode, podRunning, waitFor } from '../support.js';

const NS = 'e2e-adopt';
const NODE = 'dev-node-0';
/** Open-Local names its VGs open-local-pool-N (cluster.yaml's listConfig reports them); pool-1 is free here. */
const VG = 'open-local-pool-1';
const DATA = 'written by a pod under Open-Local v0.7';

describe('e2e 8: a volume Open-Local v0.7 made keeps working under our driver', function () {
  const id = `local-${randomUUID()}`;
  const c = useScenario(NS, {
    tearDown: async (c) => {
      await c.kubectl(['delete', 'pv', id, '--ignore-not-found', '--wait=true', '--timeout=120s']).catch(() => '');
      // The disk goes back to a whole, unsigned disk for Device volumes (what cluster.yaml's listConfig offers).
      await onNode(c, NODE, `if vgs ${VG} >/dev/null 2>&1; then lvremove -q -y ${VG} && vgremove -q -y ${VG} && pvremove -q -y ${GUEST.device}; fi; wipefs -q -a ${GUEST.device}`).catch(() => '');
    },
  });

  it('mounts the LV through its PV and reads the data written before, then deletes it on the claim\'s deletion', async () => {
    // What Open-Local's agent and CSI driver ran on the node (open-local.md §4: CreateLV, then FormatAndMount).
    await onNode(c, NODE, [
      'set -e',
      `pvcreate -q ${GUEST.device}`,
      `vgcreate -q ${VG} ${GUEST.device}`,
      `lvcreate -q -n ${id} -L 64m -W y -y ${VG}`,
      `mkfs.ext4 -q /dev/${VG}/${id}`,
      'm=$(mktemp -d)',
      `mount /dev/${VG}/${id} "$m"`,
      `echo '${DATA}' > "$m/data.txt"`,
      'umount "$m"; rmdir "$m"',
    ].join('\n'), { once: true });

    // The PV external-provisioner wrote for Open-Local (volume name prefix `local`), bound to its claim.
    await apply(c, [
      {
        apiVersion: 'v1', kind: 'PersistentVolume',
        metadata: { name: id, annotations: { 'pv.kubernetes.io/provisioned-by': 'local.csi.aliyun.com' } },
        spec: {
          capacity: { storage: '64Mi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: 'open-local-lvm', volumeMode: 'Filesystem',
          claimRef: { namespace: NS, name: 'legacy' },
          csi: {
            driver: 'local.csi.aliyun.com', volumeHandle: id, fsType: 'ext4',
            volumeAttributes: {
              volumeType: 'LVM', vgName: VG, 'volume.kubernetes.io/selected-node': NODE,
              'csi.storage.k8s.io/pv/name': id, 'csi.storage.k8s.io/pvc/name': 'legacy', 'csi.storage.k8s.io/pvc/namespace': NS,
              'storage.kubernetes.io/csiProvisionerIdentity': '1700000000000-8081-local.csi.aliyun.com',
            },
          },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] }] } },
        },
      },
      {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'legacy', namespace: NS },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'open-local-lvm', volumeName: id, resources: { requests: { storage: '64Mi' } } },
      },
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reader', namespace: NS },
        spec: {
          containers: [{ name: 'app', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sh', '-c', 'sleep 2147483647'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'legacy' } }],
          terminationGracePeriodSeconds: 1,
        },
      },
    ]);
    const pod = await podRunning(c, NS, 'reader');
    expect(pod.spec?.nodeName).to.equal(NODE);
    expect((await exec(c, NS, 'reader', ['cat', '/data/data.txt'])).trim()).to.equal(DATA);
    await exec(c, NS, 'reader', ['sh', '-c', 'echo more >> /data/data.txt && sync'], { once: true });
    expect((await exec(c, NS, 'reader', ['cat', '/data/data.txt'])).trim()).to.equal(`${DATA}\nmore`);
    // Nothing new was made: the same LV, in Open-Local's VG, still holding the data.
    expect(await onNode(c, NODE, `lvs --noheadings -o lv_name ${VG}`)).to.include(id);

    await c.kubectl(['delete', 'pod', 'reader', '-n', NS, '--wait=true']);
    await c.kubectl(['delete', 'pvc', 'legacy', '-n', NS, '--wait=true']);
    await waitFor(`PV ${id} deleted by the provisioner through our driver`, async () =>
      ((await c.kubectl(['get', 'pv', id, '--ignore-not-found', '-o', 'name'])).trim() === '' ? true : undefined), 180_000);
    expect((await onNode(c, NODE, `lvs --noheadings -o lv_name ${VG}`)).trim(), 'LVs left in the VG').to.equal('');
  });
});
