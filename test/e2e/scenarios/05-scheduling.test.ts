// Scenario 5, scheduling under pressure, on two storage nodes A and B (the first two by name; every pod here may
// only go to them): a claim pinned to A fills most of A's VG; a new pod whose claim no longer fits on A goes to B;
// a pod whose claim fits nowhere stays Pending and `kubectl describe` shows the extender's reason for each node, with
// its free space and the shortage. Then a small claim: binpack (cluster.yaml's strategy) puts it on the fuller A,
// and after the OpenLocalCluster is switched to spread and the extender rolled out with it, the same pod goes to the
// emptier B. The strategy is set back to binpack, and the cluster is Ready again, before the scenario ends.
//
// Why the placements are deterministic: the extender scores u = used/allocatable after the pod (binpack u, spread
// 1 − u, 0..10) and kube-scheduler weighs that ×100 (weight 10); with A about 80% and B about 45% used, the two
// nodes' extender scores differ by 4, i.e. 400 points, more than the other plugins can differ for pods without
// resource requests or affinity between these two nodes.
import { expect } from 'chai';
import { formatBytes } from '../../../extender/allocator/bytes.js';
import { names } from '../../../synth/names.js';
import { CLUSTER_NAME, STACK_NAMESPACE, type E2eCluster } from '../cluster.js';
import { getOlc, isReady, waitForOlc } from '../olc.js';
import { useScenario } from '../scenario.js';
import { extenderVg, MI, storageNodes, VG, waitVolumesReleased } from '../storage.js';
import { apply, BUSYBOX, podRunning, waitFor } from '../support.js';

const NS = 'e2e-scheduling';
const EXTENT = 4 * MI;

/** A pod with one claim of `size` bytes from the default class, allowed on `nodes` only. */
function podWithClaim(name: string, size: number, nodes: readonly string[]): object[] {
  return [
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${size / MI}Mi` } } } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS },
      spec: {
        terminationGracePeriodSeconds: 1,
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: nodes }] }] } } },
        containers: [{ name: 'app', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sleep', '2147483647'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: name } }],
      },
    },
  ];
}


async function setStrategy(c: E2eCluster, strategy: 'binpack' | 'spread'): Promise<void> {
  await c.kubectl(['patch', 'openlocalcluster', CLUSTER_NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { extender: { strategy } } })]);
  await waitFor(`the extender Deployment rendered with --strategy=${strategy}`, async () => {
    const args = await c.kubectl(['get', 'deployment', names.extender, '-n', STACK_NAMESPACE, '-o', 'jsonpath={.spec.template.spec.containers[0].args}']);
    return args.includes(`--strategy=${strategy}`) ? true : undefined;
  }, 180_000, 2000);
  // Rolled out: only pods with the new strategy are left behind the Service.
  await c.kubectl(['rollout', 'status', 'deployment', names.extender, '-n', STACK_NAMESPACE, '--timeout=300s'], { timeoutMs: 320_000 });
  await waitForOlc(c, `OpenLocalCluster Ready with strategy ${strategy}`, (o) => isReady(o, true), 300_000);
}

async function strategyNow(c: E2eCluster): Promise<string | undefined> {
  return (await getOlc(c))?.spec.extender?.strategy;
}

describe('e2e 5: scheduling under pressure', function () {
  let a: string;
  let b: string;
  let both: string[];
  const usedBefore = new Map<string, number>();
  const nodeOf = async (pod: string): Promise<string> => (await podRunning(c, NS, pod, 300_000)).spec!.nodeName!;
  const free = async (node: string): Promise<number> => {
    const vg = await extenderVg(c, node);
    return vg.capacity - vg.used;
  };

  const c = useScenario(NS, {
    setUp: async (c) => {
      const nodes = await storageNodes(c);
      expect(nodes.length, 'storage nodes').to.be.at.least(2);
      [a, b] = nodes as [string, string];
      both = [a, b];
      for (const node of both) usedBefore.set(node, (await extenderVg(c, node)).used);
    },
    tearDown: async (c) => {
      await waitVolumesReleased(c, NS, usedBefore);
      if ((await strategyNow(c)) !== 'binpack') await setStrategy(c, 'binpack');
    },
  });

  it(`a claim pinned to one node fills most of its ${VG}; a new pod whose claim no longer fits there goes to the other`, async () => {
    // Leave 512Mi on A: the next claim (768Mi) fits only on B.
    const freeA = await free(a);
    const fill = Math.floor((freeA - 512 * MI) / EXTENT) * EXTENT;
    const [fillClaim, fillPod] = podWithClaim('fill', fill, both) as [object, { spec: Record<string, unknown> }];
    fillPod.spec['nodeSelector'] = { 'kubernetes.io/hostname': a };
    await apply(c, [fillClaim, fillPod]);
    expect(await nodeOf('fill')).to.equal(a);
    await waitFor(`/cache counts the fill claim on ${a}`, async () => ((await free(a)) === freeA - fill ? true : undefined));
    console.log(`      ${a}: ${formatBytes(fill)} claimed, ${formatBytes(await free(a))} free; ${b}: ${formatBytes(await free(b))} free`);

    await apply(c, podWithClaim('elsewhere', 768 * MI, both));
    expect(await nodeOf('elsewhere'), `768Mi does not fit in ${a}'s 512Mi`).to.equal(b);
    await waitFor(`/cache counts the claim on ${b}`, async () => ((await extenderVg(c, b)).used >= usedBefore.get(b)! + 768 * MI ? true : undefined));
  });

  it('a pod whose claim fits nowhere stays Pending; kubectl describe shows the extender\'s reason for each node', async () => {
    const [freeA, freeB] = [await free(a), await free(b)];
    const size = Math.max(freeA, freeB) + 256 * MI;
    await apply(c, podWithClaim('nowhere', size, both));
    const reason = (left: number): string =>
      `no volume group has ${formatBytes(size)} free for ${NS}/nowhere: the most free is "${VG}" with ${formatBytes(left)} (${formatBytes(size - left)} short)`;
    const described = await waitFor('FailedScheduling with the extender\'s reasons', async () => {
      const out = await c.kubectl(['describe', 'pod', 'nowhere', '-n', NS]);
      return out.includes('FailedScheduling') && out.includes(reason(freeA)) && out.includes(reason(freeB)) ? out : undefined;
    }, 180_000, 2000);
    console.log(`      ${described.split('\n').find((l) => l.includes('FailedScheduling'))?.trim()}`);
    const pod = JSON.parse(await c.kubectl(['get', 'pod', 'nowhere', '-n', NS, '-o', 'json'])) as { spec: { nodeName?: string }; status: { phase: string } };
    expect(pod.status.phase).to.equal('Pending');
    expect(pod.spec.nodeName).to.equal(undefined);
    await c.kubectl(['delete', 'pod', 'nowhere', '-n', NS, '--wait=true']);
    await c.kubectl(['delete', 'pvc', 'nowhere', '-n', NS, '--wait=true']);
  });

  it('binpack puts a small claim on the fuller node; after a switch to spread the same pod goes to the emptier one', async () => {
    await apply(c, podWithClaim('small-binpack', 128 * MI, both));
    expect(await nodeOf('small-binpack'), 'binpack: the fuller node').to.equal(a);

    await setStrategy(c, 'spread');
    await apply(c, podWithClaim('small-spread', 128 * MI, both));
    expect(await nodeOf('small-spread'), 'spread: the emptier node').to.equal(b);

    await setStrategy(c, 'binpack');
    expect(await strategyNow(c)).to.equal('binpack');
  });
});
