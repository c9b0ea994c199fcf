// Scenario 6, failures: the node plugin restarted under a mounted volume (mount, container and data intact); the
// node's kubelet killed and restarted under it (the same); the operator killed right after a change that starts prepare-VG Jobs (it converges, one Job per node, no duplicate);
// a node guest powered off (the OpenLocalCluster goes Degraded naming it, the volumes of the other node keep
// working) and booted again (Ready); a third node guest added (its VG, its plugins, a volume on it) and then
// removed for good (stopped, its Node deleted as an admin would: Ready with two nodes).
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { OPERATOR_NAMESPACE } from '../../env/dev-cluster.js';
import { CLUSTER_NAME, INITIAL_NODES, STACK_NAMESPACE, type E2eCluster } from '../cluster.js';
import { GUEST } from '../disks.js';
import { condition, getOlc, isReady, waitForOlc } from '../olc.js';
import { useScenario } from '../scenario.js';
import { needsOwnCluster, onNode, podRunning, waitFor } from '../support.js';
import { appendAndRead, containerIdentity, dataMount, startVolumePod } from '../volumes.js';

const NS = 'e2e-failures';
const DRIVER = 'local.csi.aliyun.com';
const HASH_ANNOTATION = 'csi.aliyun.com/storage-config-hash';
const NODE_ANNOTATION = 'csi.aliyun.com/node-name';

type Meta = { name: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string> };
type Job = { metadata: Meta; status?: { succeeded?: number } };
type Pod = { metadata: Meta; spec: { nodeName?: string }; status?: { phase?: string } };

const items = async <T>(c: E2eCluster, args: readonly string[]): Promise<T[]> => (JSON.parse(await c.kubectl(['get', ...args, '-o', 'json'])) as { items: T[] }).items;

const readyNow = (c: E2eCluster, what: string, timeoutMs: number) => waitForOlc(c, what, (o) => isReady(o, true), timeoutMs);

const prepareJobs = (c: E2eCluster) => items<Job>(c, ['jobs', '-n', STACK_NAMESPACE]).then((js) => js.filter((j) => j.metadata.annotations?.[NODE_ANNOTATION] !== undefined));
const nodePlugin = async (c: E2eCluster, node: string): Promise<Pod | undefined> =>
  (await items<Pod>(c, ['pods', '-n', STACK_NAMESPACE, '--field-selector', `spec.nodeName=${node}`])).find((p) => p.metadata.name.startsWith('open-local-node-'));

describe('e2e 6: failures', function () {
  const c = useScenario(NS, {
    setUp: async (c) => {
      await startVolumePod(c, NS, 'app', 'dev-node-0');
      expect(await appendAndRead(c, NS, 'app', 'written before any failure')).to.equal('written before any failure\n');
    },
  });

  it('restarting the node plugin pod leaves the mounted volume, its container and its data intact', async function () {
    this.timeout(600_000);
    const before = await containerIdentity(c, NS, 'app');
    const mount = await dataMount(c, NS, 'app');
    const old = await nodePlugin(c, before.node);
    expect(old, `the open-local-node pod on ${before.node}`).to.not.equal(undefined);
    await c.kubectl(['delete', 'pod', '-n', STACK_NAMESPACE, old!.metadata.name, '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
    const fresh = await waitFor(`a new open-local-node pod on ${before.node}`, async () => {
      const p = await nodePlugin(c, before.node);
      return p && p.metadata.uid !== old!.metadata.uid ? p : undefined;
    }, 120_000);
    await podRunning(c, STACK_NAMESPACE, fresh.metadata.name, 300_000);
    expect(await containerIdentity(c, NS, 'app'), 'the app container (same ID, no restart)').to.deep.equal(before);
    expect(await dataMount(c, NS, 'app')).to.equal(mount);
    expect(await appendAndRead(c, NS, 'app', 'written after the plugin restart')).to.equal('written before any failure\nwritten after the plugin restart\n');
  });

  it('a kubelet that dies comes back (restarted as systemd would): the Node Ready again, the mounted volume, its container and its data intact', async function () {
    this.timeout(600_000);
    const dev = needsOwnCluster(this, c);
    const before = await containerIdentity(c, NS, 'app');
    const mount = await dataMount(c, NS, 'app');
    const guest = dev.nodes.find((n) => n.name === before.node);
    expect(guest, `the guest of ${before.node}`).to.not.equal(undefined);
    const restarts = () => (existsSync(guest!.restartsLog) ? readFileSync(guest!.restartsLog, 'utf8').split('\n').filter((l) => l.includes('kubelet exited')).length : 0);
    const restartsBefore = restarts();
    // Killed a second after the exec returns: the exec itself is served by that kubelet.
    await onNode(c, before.node, 'nohup sh -c "sleep 1; pkill -KILL -x kubelet" > /dev/null 2>&1 &', { once: true });
    await waitFor(`the kubelet of ${before.node} restarted`, () => Promise.resolve(restarts() > restartsBefore ? true : undefined), 120_000, 1000);
    await waitFor(`Node ${before.node} Ready with the new kubelet`, async () => {
      const ready = (await c.kubectl(['get', 'node', before.node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).trim();
      return ready === 'True' && (await onNode(c, before.node, 'true').then(() => true, () => false)) ? true : undefined;
    }, 300_000, 2000);
    expect(await containerIdentity(c, NS, 'app'), 'the app container (same ID, no restart)').to.deep.equal(before);
    expect(await dataMount(c, NS, 'app')).to.equal(mount);
    expect(await appendAndRead(c, NS, 'app', 'written after the kubelet restart')).to.equal('written before any failure\nwritten after the plugin restart\nwritten after the kubelet restart\n');
  });

  it('the operator killed right after a change that starts prepare-VG Jobs converges: Ready, one Job per node, no duplicate', async function () {
    this.timeout(900_000);
    const nodes = (await c.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ');
    const hashBefore = new Set((await prepareJobs(c)).map((j) => j.metadata.annotations?.[HASH_ANNOTATION]));
    // An empty forceDevices list: nothing is forced, but the config (and its hash) changed, so prepare-vg runs
    // again on every node to verify it: work the operator must start, and must not start twice.
    const path = '/spec/storage/globalConfig/resourceToBeInited/vgs/0/forceDevices';
    await c.kubectl(['patch', 'openlocalcluster', CLUSTER_NAME, '--type', 'json', '-p', JSON.stringify([{ op: 'add', path, value: [] }])]);
    const operators = (await items<Pod>(c, ['pods', '-n', OPERATOR_NAMESPACE])).filter((p) => p.metadata.name.startsWith('open-local-operator-'));
    await c.kubectl(['delete', 'pod', '-n', OPERATOR_NAMESPACE, '--wait=false', ...operators.map((p) => p.metadata.name)]);
    console.log(`      deleted ${operators.map((p) => `${p.metadata.name} (${p.spec.nodeName ?? ''})`).join(', ')} right after the patch`);

    await readyNow(c, 'Ready for the patched spec', 600_000);
    const jobs = await prepareJobs(c);
    const byNode = new Map<string, Job[]>();
    for (const j of jobs) byNode.set(j.metadata.annotations![NODE_ANNOTATION]!, [...(byNode.get(j.metadata.annotations![NODE_ANNOTATION]!) ?? []), j]);
    console.log(`      prepare-VG Jobs: ${jobs.map((j) => `${j.metadata.name} (${j.metadata.annotations?.[HASH_ANNOTATION] ?? ''})`).join(', ')}`);
    for (const node of nodes) {
      const mine = byNode.get(node) ?? [];
      expect(mine, `${node}: prepare-VG Jobs`).to.have.length(1);
      expect(hashBefore.has(mine[0]!.metadata.annotations?.[HASH_ANNOTATION]), `${node}: its Job is for the new config`).to.equal(false);
      expect(mine[0]!.status?.succeeded, `${node}: its Job succeeded`).to.equal(1);
    }
    const pods = await items<Pod>(c, ['pods', '-n', STACK_NAMESPACE, '-l', 'batch.kubernetes.io/controller-uid']);
    const jobUids = new Set(jobs.map((j) => j.metadata.uid));
    expect(pods.map((p) => p.metadata.labels?.['batch.kubernetes.io/controller-uid']).filter((u) => u !== undefined && jobUids.has(u)), 'one pod per Job').to.have.length(jobs.length);
    expect(pods.filter((p) => !jobUids.has(p.metadata.labels?.['batch.kubernetes.io/controller-uid'] ?? '')).map((p) => p.metadata.name), 'pods of other Jobs').to.deep.equal([]);
    expect(await appendAndRead(c, NS, 'app', 'written after the operator restart')).to.match(/written after the operator restart\n$/);

    await c.kubectl(['patch', 'openlocalcluster', CLUSTER_NAME, '--type', 'json', '-p', JSON.stringify([{ op: 'remove', path }])]);
    await readyNow(c, 'Ready once the change is taken back', 600_000);
  });

  it('a node guest powered off: Degraded naming it within a minute of its Node going NotReady, the other node\'s volume keeps working; booted again: Ready', async function () {
    this.timeout(1_200_000);
    const dev = needsOwnCluster(this, c);
    const node = 'dev-node-1';
    // The operator's two replicas are spread over the nodes (a hard constraint): stopping one node leaves a leader.
    const operatorNodes = (await items<Pod>(c, ['pods', '-n', OPERATOR_NAMESPACE])).filter((p) => p.metadata.name.startsWith('open-local-operator-') && p.status?.phase === 'Running').map((p) => p.spec.nodeName);
    expect(new Set(operatorNodes).size, `nodes of the running operator replicas: ${operatorNodes.join(', ')}`).to.equal(operatorNodes.length);
    await dev.stopNode(node);
    const stopped = Date.now();
    const notReady = await waitFor(`Node ${node} not Ready`, async () =>
      (await c.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).trim() !== 'True' ? Date.now() : undefined, 300_000);
    const degraded = condition(await waitForOlc(c, `a Degraded condition naming ${node}`, (o) => {
      const d = condition(o, 'Degraded');
      return d?.status === 'True' && d.message.includes(node);
    }, 300_000), 'Degraded')!;
    const seen = Date.now();
    console.log(`      Degraded ${degraded.reason}: ${degraded.message}`);
    console.log(`      ${((seen - stopped) / 1000).toFixed(0)} s after the guest stopped: Node NotReady at ${((notReady - stopped) / 1000).toFixed(0)} s (the node-lifecycle controller's grace period), Degraded ${((seen - notReady) / 1000).toFixed(0)} s later`);
    expect(seen - notReady, 'from Node NotReady to Degraded').to.be.below(60_000);
    expect(condition(await getOlc(c), 'Ready')?.status).to.equal('False');
    expect(await appendAndRead(c, NS, 'app', 'written while dev-node-1 is down')).to.match(/written while dev-node-1 is down\n$/);

    await dev.startNode(1);
    await waitForOlc(c, 'Ready with both nodes', (o) => isReady(o) && o.status?.nodeCounts?.ready === INITIAL_NODES, 600_000);
  });

  it('a third node guest gets its VG and plugins and runs a volume; stopped and its Node deleted for good: Ready with two nodes', async function () {
    this.timeout(1_200_000);
    const dev = needsOwnCluster(this, c);
    const node = 'dev-node-2';
    await dev.startNode(2);
    await waitFor(`${node}: VG open-local-pool-0 in its NodeLocalStorage`, async () => {
      const vgs = await c.kubectl(['get', 'nodelocalstorage', node, '-o', 'jsonpath={.status.nodeStorageInfo.volumeGroups[*].name}']);
      return vgs.split(' ').includes('open-local-pool-0') ? true : undefined;
    }, 600_000, 2000);
    const pvs = await c.kubectl(['get', 'nodelocalstorage', node, '-o', 'jsonpath={.status.nodeStorageInfo.volumeGroups[?(@.name=="open-local-pool-0")].physicalVolumes[*]}']);
    expect(pvs.split(' ')).to.include(GUEST.vg);
    await waitFor(`${node}: CSINode lists ${DRIVER}`, async () =>
      (await c.kubectl(['get', 'csinode', node, '-o', 'jsonpath={.spec.drivers[*].name}'])).split(' ').includes(DRIVER) ? true : undefined, 300_000, 2000);
    const three = await waitForOlc(c, 'Ready with three nodes', (o) => isReady(o) && o.status?.nodeCounts?.ready === INITIAL_NODES + 1, 600_000);
    expect(condition(three, 'NodesPrepared')?.message).to.equal(`${INITIAL_NODES + 1} nodes ready`);

    await startVolumePod(c, NS, 'on-new-node', node);
    expect(await appendAndRead(c, NS, 'on-new-node', `written on ${node}`)).to.equal(`written on ${node}\n`);
    // Its volume goes before the node does: the LV is deleted by that node's plugin.
    await c.kubectl(['delete', 'pod,pvc', '-n', NS, 'on-new-node', '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
    await waitFor(`no PV of ${NS}/on-new-node`, async () =>
      (await c.kubectl(['get', 'pv', '-o', 'jsonpath={.items[*].spec.claimRef.name}'])).split(' ').includes('on-new-node') ? undefined : true, 180_000);

    await dev.stopNode(node);
    await c.kubectl(['delete', 'node', node, '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
    const two = await waitForOlc(c, 'Ready with two nodes', (o) => isReady(o) && o.status?.nodeCounts?.total === INITIAL_NODES, 600_000);
    expect(condition(two, 'NodesPrepared')?.message).to.equal(`${INITIAL_NODES} nodes ready`);
    expect(await appendAndRead(c, NS, 'app', 'written at the end')).to.match(/written at the end\n$/);
  });
});
