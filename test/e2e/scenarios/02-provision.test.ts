// Scenario 2, provision and use: a StatefulSet of 2 pods, each with two claims from the default class
// (open-local-lvm, WaitForFirstConsumer), is placed by the real kube-scheduler through the extender; each pod writes
// to both volumes once and `kubectl exec` reads the data back; each PV is pinned to its pod's node; that node's
// NodeLocalStorage and the extender's /cache count the same space in open-local-pool-0 (the LVs' sizes). A deleted
// pod comes back on the same node with the same data. Deleting the StatefulSet and its claims removes the PVs and
// LVs and frees the space.
import { expect } from 'chai';
import { useScenario } from '../scenario.js';
import { extenderVg, MI, nodeLocalStorageVg, pvNodes, pvsOf, storageNodes, sum, VG, waitVolumesReleased, type Pv } from '../storage.js';
import { apply, BUSYBOX, exec, podRunning, waitFor } from '../support.js';

const NS = 'e2e-provision';
const PODS = ['data-0', 'data-1'];
const CLAIMS = { a: 256 * MI, b: 128 * MI };
// Writes each volume once (the first start), so a restarted pod shows the first pod's UID: the data survived.
const WRITE_ONCE = 'for d in /a /b; do test -f $d/data || echo "$POD_NAME $POD_UID $NODE_NAME $d" > $d/data; done; sync; touch /tmp/written; exec sleep 2147483647';

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const statefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'data', namespace: NS },
  spec: {
    replicas: PODS.length,
    serviceName: 'data',
    podManagementPolicy: 'Parallel',
    selector: { matchLabels: { app: 'data' } },
    template: {
      metadata: { labels: { app: 'data' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'writer',
          image: BUSYBOX,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', WRITE_ONCE],
          env: [fieldEnv('POD_NAME', 'metadata.name'), fieldEnv('POD_UID', 'metadata.uid'), fieldEnv('NODE_NAME', 'spec.nodeName')],
          readinessProbe: { exec: { command: ['test', '-f', '/tmp/written'] }, periodSeconds: 2 },
          volumeMounts: Object.keys(CLAIMS).map((name) => ({ name, mountPath: `/${name}` })),
        }],
      },
    },
    // No storageClassName: the default class (open-local-lvm) serves them.
    volumeClaimTemplates: Object.entries(CLAIMS).map(([name, size]) => ({
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${size / MI}Mi` } } },
    })),
  },
};

type Pvc = { spec: { storageClassName?: string; volumeName?: string }; status?: { phase?: string } };

describe('e2e 2: provision and use', function () {
  const usedBefore = new Map<string, number>();
  /** Pod → node, pod → its first incarnation's UID (what its volumes hold). */
  const placed = new Map<string, { node: string; uid: string }>();
  const c = useScenario(NS, {
    setUp: async (c) => {
      for (const node of await storageNodes(c)) usedBefore.set(node, (await extenderVg(c, node)).used);
    },
  });

  const claimsOf = (pod: string) => Object.keys(CLAIMS).map((claim) => `${claim}-${pod}`);

  it('the scheduler places both pods; each volume is Bound from open-local-lvm to a PV pinned to its pod\'s node', async () => {
    await apply(c, [statefulSet]);
    for (const pod of PODS) {
      const p = await podRunning(c, NS, pod, 420_000);
      placed.set(pod, { node: p.spec!.nodeName!, uid: p.metadata!.uid! });
    }
    const pvs = await pvsOf(c, NS);
    for (const pod of PODS) {
      const { node } = placed.get(pod)!;
      console.log(`      ${pod} → ${node}`);
      for (const claim of claimsOf(pod)) {
        const pvc = JSON.parse(await c.kubectl(['get', 'pvc', claim, '-n', NS, '-o', 'json'])) as Pvc;
        expect(pvc.status?.phase, claim).to.equal('Bound');
        expect(pvc.spec.storageClassName, `${claim}: the default class`).to.equal('open-local-lvm');
        const pv = pvs.find((x) => x.metadata?.name === pvc.spec.volumeName);
        expect(pv, `${claim}'s PV`).to.not.equal(undefined);
        expect(pvNodes(pv!), `${claim}'s PV node affinity`).to.deep.equal([node]);
      }
    }
  });

  it('each pod wrote both volumes; kubectl exec reads the data back', async () => {
    for (const pod of PODS) {
      const { node, uid } = placed.get(pod)!;
      for (const dir of Object.keys(CLAIMS)) {
        expect(await exec(c, NS, pod, ['cat', `/${dir}/data`])).to.equal(`${pod} ${uid} ${node} /${dir}\n`);
      }
    }
  });

  it(`the node's NodeLocalStorage and the extender's /cache agree on the space used in ${VG}: the LVs' sizes`, async () => {
    const pvs = await pvsOf(c, NS);
    for (const node of new Set([...placed.values()].map((p) => p.node))) {
      const ours = pvs.filter((pv) => pvNodes(pv).includes(node));
      const expectedLvs = new Map(ours.map((pv) => [pv.spec.csi!.volumeHandle, sizeOf(pv)]));
      // The agent rediscovers LVM on its interval (60 s): its status may lag the LV by that much.
      const agreed = await waitFor(`${node}: the NodeLocalStorage lists our LVs and counts what /cache counts`, async () => {
        const nls = await nodeLocalStorageVg(c, node);
        const cache = await extenderVg(c, node);
        const listed = [...expectedLvs].every(([lv, size]) => nls.lvs.get(lv) === size);
        return listed && sum(nls.lvs.values()) === cache.used ? { nls, cache } : undefined;
      }, 180_000, 2000);
      console.log(`      ${node}: ${VG} ${agreed.cache.used / MI}Mi used of ${agreed.cache.capacity / MI}Mi (/cache); LVs ${[...agreed.nls.lvs.values()].map((s) => `${s / MI}Mi`).join(' + ')} (NodeLocalStorage)`);
      expect(agreed.cache.capacity, 'the extender offers the VG\'s allocatable').to.equal(agreed.nls.allocatable);
      expect(agreed.cache.used - usedBefore.get(node)!, 'what our claims added').to.equal(sum(expectedLvs.values()));
    }
  });

  it('a deleted pod comes back on the same node and reads the same data', async () => {
    const pod = PODS[0]!;
    const first = placed.get(pod)!;
    await c.kubectl(['delete', 'pod', pod, '-n', NS, '--wait=true']);
    const again = await podRunning(c, NS, pod, 300_000);
    expect(again.metadata?.uid, 'a new pod').to.not.equal(first.uid);
    expect(again.spec?.nodeName).to.equal(first.node);
    for (const dir of Object.keys(CLAIMS)) {
      expect(await exec(c, NS, pod, ['cat', `/${dir}/data`]), `/${dir} after the restart`).to.equal(`${pod} ${first.uid} ${first.node} /${dir}\n`);
    }
  });

  it('deleting the StatefulSet and its claims removes the PVs and LVs: the space is free again', async () => {
    await c.kubectl(['delete', 'statefulset', 'data', '-n', NS, '--wait=true']);
    await waitVolumesReleased(c, NS, usedBefore);
    expect(await pvsOf(c, NS)).to.be.empty;
  });
});

/** A PV's size in bytes (the provisioner writes binary-suffixed quantities, e.g. 256Mi). */
function sizeOf(pv: Pv): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(pv.spec.capacity.storage);
  if (!m) throw new Error(`unexpected PV capacity ${pv.spec.capacity.storage}`);
  return Number(m[1]) * { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, '': 1 }[m[2] ?? '']!;
}
