// Scenario 1, install and prepare: OLM installed the operator (CSV Succeeded, its pods Running on the UML nodes),
// the OpenLocalCluster is Ready with every node's VG made from the guests' disks, `kubectl get olc` shows the
// counts, and the node plugin is registered with every kubelet. Then a VG is asked for on a disk that carries a
// filesystem: the operator refuses it and names the node and the disk in a condition, the disk's bytes are
// unchanged (read on the host, from the disk file itself), and taking the request back makes the cluster Ready again.
import { expect } from 'chai';
import { OPERATOR_NAMESPACE } from '../../env/dev-cluster.js';
import { CLUSTER_NAME, e2eCluster, INITIAL_NODES, type E2eCluster } from '../cluster.js';
import { diskDigest, GUEST } from '../disks.js';
import { condition, getOlc, isReady, waitForOlc } from '../olc.js';
import { waitFor } from '../support.js';


describe('e2e 1: install and prepare', function () {
  let c: E2eCluster;
  before(async function () {
    this.timeout(1_200_000);
    c = await e2eCluster();
  });

  it('OLM installed the operator: CSV Succeeded, the operator pods Running on the storage nodes', async () => {
    const csvs = (await c.kubectl(['get', 'csv', '-n', OPERATOR_NAMESPACE, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\\n"}{end}'])).trim().split('\n');
    expect(csvs).to.have.length(1);
    expect(csvs[0]).to.match(/^open-local-operator\.v\S+ Succeeded$/);
    const pods = (await c.kubectl(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.nodeName}{"\\n"}{end}'])).trim().split('\n');
    expect(pods.filter((p) => p.startsWith('open-local-operator-')), 'operator pods').to.not.be.empty;
    for (const p of pods.filter((x) => x.startsWith('open-local-operator-'))) expect(p).to.match(/ Running dev-node-\d+$/);
  });

  it('kubectl get olc shows Ready with every node ready; each node has its VG from /dev/ubdb and the plugin registered', async () => {
    const table = await c.kubectl(['get', 'openlocalcluster']);
    console.log(`      ${table.trimEnd().replaceAll('\n', '\n      ')}`);
    const row = table.split('\n')[1]?.split(/\s+/) ?? [];
    expect(row[0]).to.equal(CLUSTER_NAME);
    expect(table.split('\n')[0]).to.match(/PHASE/);
    expect(table).to.match(new RegExp(`\\bReady\\b`));
    const olc = await getOlc(c);
    expect(condition(olc, 'Ready')?.status).to.equal('True');
    expect(condition(olc, 'NodesPrepared')?.message).to.equal(`${INITIAL_NODES} nodes ready`);

    const nodes = (await c.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').filter((n) => /^dev-node-\d+$/.test(n));
    expect(nodes.length).to.be.at.least(INITIAL_NODES);
    for (const node of nodes) {
      const nls = JSON.parse(await c.kubectl(['get', 'nodelocalstorage', node, '-o', 'json'])) as { status?: { nodeStorageInfo?: { volumeGroups?: { name: string; total: number | string; physicalVolumes?: string[] }[]; deviceInfo?: { name: string }[] } } };
      const vg = nls.status?.nodeStorageInfo?.volumeGroups?.find((v) => v.name === 'open-local-pool-0');
      expect(vg, `${node}: VG open-local-pool-0 in its NodeLocalStorage`).to.not.equal(undefined);
      expect(Number(vg!.total)).to.be.greaterThan(1.9 * 2 ** 30);
      expect(vg!.physicalVolumes ?? []).to.include(GUEST.vg);
      // Ready counts the node plugin pods available; the kubelet registers the driver from the registrar's socket
      // on its own schedule, seconds later on a loaded node.
      const since = Date.now();
      await waitFor(`${node}: CSINode lists local.csi.aliyun.com`, async () =>
        (await c.kubectl(['get', 'csinode', node, '-o', 'jsonpath={.spec.drivers[*].name}'])).split(' ').includes('local.csi.aliyun.com') ? true : undefined, 60_000, 1000);
      if (Date.now() - since > 1000) console.log(`      ${node}: the kubelet registered the driver ${((Date.now() - since) / 1000).toFixed(0)} s after Ready`);
    }
  });

  it('refuses a VG on a disk that carries a filesystem, names the node and the disk, leaves its bytes; Ready again once taken back', async function () {
    if (!c.dev) this.skip(); // the disk files are known only to the run that made them
    const node = 'dev-node-1';
    const file = c.disks.get(node)!.foreign;
    const before = diskDigest(file);
    const patch = {
      spec: {
        storage: {
          nodesConfig: [{
            selector: { matchLabels: { 'kubernetes.io/hostname': node } },
            listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] }, devices: { include: [GUEST.device] } },
            resourceToBeInited: { vgs: [{ name: 'open-local-pool-0', devices: [GUEST.vg] }, { name: 'open-local-pool-1', devices: [GUEST.foreign] }] },
          }],
        },
      },
    };
    await c.kubectl(['patch', 'openlocalcluster', CLUSTER_NAME, '--type', 'merge', '-p', JSON.stringify(patch)]);
    const refused = await waitFor('a condition naming the node and the disk', async () => {
      const olc = await getOlc(c);
      const degraded = condition(olc, 'Degraded');
      return degraded?.status === 'True' && degraded.message.includes(node) && degraded.message.includes(GUEST.foreign) ? degraded : undefined;
    }, 300_000);
    console.log(`      Degraded ${refused.reason}: ${refused.message}`);
    expect(diskDigest(file), `${file}: the filesystem disk's bytes`).to.equal(before);

    await c.kubectl(['patch', 'openlocalcluster', CLUSTER_NAME, '--type', 'json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/storage/nodesConfig' }])]);
    await waitForOlc(c, 'Ready again', (o) => isReady(o), 300_000);
    expect(diskDigest(file)).to.equal(before);
  });
});
