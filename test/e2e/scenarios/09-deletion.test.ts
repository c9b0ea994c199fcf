// Scenario 8 of issue 13, deletion (last: it removes the OpenLocalCluster). Deleting it while a volume exists waits
// and says why (DeletionBlocked, naming the node and the volume); once the claim is gone the stack goes and, with
// the default cleanup policy Keep, each node's VG stays on its disk. Applied again with RemoveVolumeGroups
// confirmed, the empty VGs are adopted, and deleting then removes them and nothing else: the VG disks lose their
// LVM label, the Device disk and the disk carrying another system's filesystem keep every byte (read on the host,
// from the disk files). Against a running `npm start` cluster the disk checks skip and the cluster is applied
// again at the end, as it was.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CLUSTER_NAME, STACK_NAMESPACE, type E2eCluster } from '../cluster.js';
import { diskDigest, type NodeDisks } from '../disks.js';
import { condition, getOlc, isReady, waitForOlc } from '../olc.js';
import { useScenario } from '../scenario.js';
import { apply, BUSYBOX, podRunning, waitFor } from '../support.js';

const NS = 'e2e-deletion';
const CLUSTER_FILE = new URL('../cluster.yaml', import.meta.url).pathname;

/** Whether a disk file carries an LVM physical volume label (LVM2 writes "LABELONE" in one of its first 4 sectors). */
function hasLvmLabel(file: string): boolean {
  const head = Buffer.alloc(2048);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return head.includes(Buffer.from('LABELONE')) && head.includes(Buffer.from('LVM2 001'));
}

/** The disks of the nodes running now (a node the failure scenario added and removed is not the cluster's). */
function running(c: E2eCluster): [string, NodeDisks][] {
  const names = new Set(c.dev?.nodes.map((n) => n.name) ?? []);
  return [...c.disks].filter(([name]) => names.has(name));
}

describe('e2e 9: deleting the OpenLocalCluster', function () {
  const gone = (what: string) => waitFor(what, async () => ((await getOlc(c)) === undefined ? true : undefined), 300_000);
  const stackGone = () => waitFor('the node plugins and controllers removed', async () =>
    ((await c.kubectl(['get', 'daemonsets,deployments', '-n', STACK_NAMESPACE, '-o', 'name'])).trim() === '' ? true : undefined), 300_000);
  const applyCluster = async (cleanup?: object): Promise<void> => {
    const cluster = parse(readFileSync(CLUSTER_FILE, 'utf8')) as { spec: Record<string, unknown> };
    if (cleanup) cluster.spec['cleanup'] = cleanup;
    await apply(c, [cluster]);
    await waitForOlc(c, 'the OpenLocalCluster Ready', (o) => isReady(o), 600_000);
  };

  const c = useScenario(NS, {
    tearDown: async (c) => {
      // A run against `npm start` leaves its cluster as it found it.
      if (!c.dev && (await getOlc(c)) === undefined) await applyCluster();
    },
  });

  it('waits while a volume exists and says why; with policy Keep the VGs stay on the disks', async () => {
    await apply(c, [
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'open-local-lvm', resources: { requests: { storage: '64Mi' } } } },
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: NS },
        spec: {
          containers: [{ name: 'app', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo kept > /data/f && sleep 2147483647'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
          terminationGracePeriodSeconds: 1,
        },
      },
    ]);
    const node = (await podRunning(c, NS, 'app')).spec?.nodeName ?? '';
    const pv = (await c.kubectl(['get', 'pvc', 'data', '-n', NS, '-o', 'jsonpath={.spec.volumeName}'])).trim();

    await c.kubectl(['delete', 'openlocalcluster', CLUSTER_NAME, '--wait=false']);
    const blocked = await waitFor('DeletionBlocked naming the node and the volume', async () => {
      const b = condition(await getOlc(c), 'DeletionBlocked');
      return b?.status === 'True' && b.message.includes(node) && b.message.includes(pv) ? b : undefined;
    }, 120_000);
    console.log(`      DeletionBlocked: ${blocked.message}`);
    expect((await getOlc(c))?.status?.phase).to.equal('Deleting');
    // The event is posted after the status write that carries the condition, so it may come a moment later.
    await waitFor('a DeletionBlocked event', async () =>
      (await c.kubectl(['get', 'events', '-A', '--field-selector', 'reason=DeletionBlocked', '-o', 'name'])).trim() !== '' ? true : undefined, 60_000, 1000);
    // The stack stays while it waits: the volume's node plugin can still unmount and delete it.
    expect((await c.kubectl(['get', 'daemonset', '-n', STACK_NAMESPACE, '-o', 'name'])).trim()).to.not.equal('');

    await c.kubectl(['delete', 'pod', 'app', '-n', NS, '--wait=true']);
    await c.kubectl(['delete', 'pvc', 'data', '-n', NS, '--wait=true']);
    await gone('the OpenLocalCluster deleted once its volume is gone');
    await stackGone();
    for (const [name, disks] of running(c)) expect(hasLvmLabel(disks.vg), `${name}: VG disk still an LVM PV (policy Keep)`).to.equal(true);
  });

  it('applied again with RemoveVolumeGroups confirmed, deletion removes the empty VGs and nothing else', async function () {
    const before = new Map(running(c).map(([name, d]) => [name, { device: diskDigest(d.device), foreign: diskDigest(d.foreign) }]));
    await applyCluster({ policy: 'RemoveVolumeGroups', confirm: 'remove-volume-groups-on-every-node' });
    await c.kubectl(['delete', 'openlocalcluster', CLUSTER_NAME, '--wait=false']);
    await gone('the OpenLocalCluster deleted after its cleanup Jobs');
    await stackGone();
    if (!c.dev) this.skip(); // the disk files are known only to the run that made them
    for (const [name, d] of running(c)) {
      expect(hasLvmLabel(d.vg), `${name}: the VG disk's LVM label`).to.equal(false);
      expect(diskDigest(d.device), `${name}: the Device disk`).to.equal(before.get(name)?.device);
      expect(diskDigest(d.foreign), `${name}: the disk with another system's filesystem`).to.equal(before.get(name)?.foreign);
    }
  });
});
