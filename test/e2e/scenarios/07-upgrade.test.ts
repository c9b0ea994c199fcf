// Scenario 7, OLM upgrade while volumes are in use: a pod writes to its mounted LVM volume; the catalog OLM
// installed from is served again with the v+1 bundle our generator renders (`replaces` the installed CSV, as a
// release would); the Subscription upgrades the operator (new CSV Succeeded, the old one gone, the new operator pods
// Running on the storage nodes), the OpenLocalCluster stays or returns Ready, and the pod never lost its mount:
// the same container, no restart, its data still readable and writable.
import { expect } from 'chai';
import { join } from 'node:path';
import { csvName } from '../../../olm-bundle/csv.js';
import { OPERATOR_NAME } from '../../../olm-bundle/project.js';
import { version } from '../../../lib/version.js';
import { OPERATOR_NAMESPACE } from '../../env/dev-cluster.js';
import { nextOperatorImage, writeNextBundle, type GeneratedBundle } from '../../env/olm/next-bundle.js';
import { projectImageName } from '../../env/project-image.js';
import { operatorDeploymentSpec } from '../../../synth/install/operator-install.js';
import { repoRoot } from '../../fixtures/examples.js';
import type { E2eCluster } from '../cluster.js';
import { isReady, waitForOlc } from '../olc.js';
import { useScenario } from '../scenario.js';
import { needsOwnCluster, waitFor } from '../support.js';
import { appendAndRead, containerIdentity, dataMount, startVolumePod } from '../volumes.js';

const NS = 'e2e-upgrade';
const BUNDLE = join(repoRoot, 'olm-bundle');

type Csv = { metadata: { name: string; namespace: string }; status?: { phase?: string } };
type Subscription = { metadata: { name: string }; status?: { installedCSV?: string; state?: string } };
type Pod = { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string; containers: { image: string }[] }; status?: { phase?: string } };

const items = async <T>(c: E2eCluster, args: readonly string[]): Promise<T[]> => (JSON.parse(await c.kubectl(['get', ...args, '-o', 'json'])) as { items: T[] }).items;
const operatorPods = (c: E2eCluster) => items<Pod>(c, ['pods', '-n', OPERATOR_NAMESPACE]).then((ps) => ps.filter((p) => p.metadata.name.startsWith(`${OPERATOR_NAME}-`)));

describe('e2e 7: OLM upgrade while volumes are in use', function () {
  let next: GeneratedBundle | undefined;
  const c = useScenario(NS, { tearDown: async () => next?.remove() });

  it('upgrades the operator to the v+1 bundle: new CSV Succeeded on the storage nodes, old one gone, the cluster Ready, the volume never unmounted', async function () {
    this.timeout(1_200_000);
    const dev = needsOwnCluster(this, c); // only the run that started opm can serve it another catalog
    await startVolumePod(c, NS, 'app', 'dev-node-0');
    expect(await appendAndRead(c, NS, 'app', 'written before the upgrade')).to.equal('written before the upgrade\n');
    const before = await containerIdentity(c, NS, 'app');
    const mount = await dataMount(c, NS, 'app');

    const first = csvName(version);
    const image = nextOperatorImage(projectImageName());
    next = await writeNextBundle(image);
    expect(next.replaces).to.equal(first);
    const t0 = Date.now();
    await dev.catalog.serve([BUNDLE, next.dir]);
    await dev.catalog.waitReady(180_000);

    const sub = await waitFor(`the Subscription at ${next.csvName}`, async () => {
      const [s] = await items<Subscription>(c, ['subscriptions', '-n', OPERATOR_NAMESPACE]);
      return s?.status?.installedCSV === next!.csvName && s.status.state === 'AtLatestKnown' ? s : undefined;
    }, 600_000, 2000);
    await waitFor(`CSV ${next.csvName} Succeeded`, async () => {
      const csv = JSON.parse(await c.kubectl(['get', 'csv', '-n', OPERATOR_NAMESPACE, next!.csvName, '-o', 'json'])) as Csv;
      return csv.status?.phase === 'Succeeded' ? csv : undefined;
    }, 600_000, 2000);
    // An AllNamespaces install is copied into every namespace; the copies of the replaced CSV go with it.
    await waitFor(`no CSV ${first} in any namespace`, async () =>
      ((await items<Csv>(c, ['csv', '-A'])).some((x) => x.metadata.name === first) ? undefined : true), 300_000, 2000);
    console.log(`      Subscription ${sub.metadata.name} at ${next.csvName} (${((Date.now() - t0) / 1000).toFixed(0)} s after the v+1 catalog was served)`);

    const replicas = operatorDeploymentSpec(image).replicas;
    const pods = await waitFor(`${replicas} ${image} operator pods and no other, Running on the storage nodes`, async () => {
      const ps = await operatorPods(c);
      return ps.length === replicas && ps.every((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && p.spec.containers[0]?.image === image) ? ps : undefined;
    }, 600_000, 2000);
    for (const p of pods) expect(p.spec.nodeName, `${p.metadata.name}'s node`).to.match(/^dev-node-\d+$/);
    console.log(`      operator pods: ${pods.map((p) => `${p.metadata.name} (${p.spec.nodeName ?? ''})`).join(', ')}`);
    // The new revision's replicas spread like a fresh install's (the old replicas, still running while the new ones
    // were placed, must not push both onto one node).
    expect(new Set(pods.map((p) => p.spec.nodeName)).size, 'nodes of the new operator replicas').to.equal(pods.length);

    await waitForOlc(c, 'the OpenLocalCluster Ready for its current spec', (o) => isReady(o, true), 600_000);
    expect(await containerIdentity(c, NS, 'app'), 'the app container (same ID, no restart)').to.deep.equal(before);
    expect(await dataMount(c, NS, 'app')).to.equal(mount);
    expect(await appendAndRead(c, NS, 'app', 'written after the upgrade')).to.equal('written before the upgrade\nwritten after the upgrade\n');
  });
});
