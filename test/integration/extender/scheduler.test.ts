// The extender with the real kube-scheduler and API server: the scheduler is configured with the extender entry
// synth renders (verbatim, Service URL included), the extender runs as `open-local extender` with the flags synth
// renders, and nodes are fake Node objects with NodeLocalStorage status. A fake provisioner creates the PVs the
// scheduler's choices call for, so later answers must count them.
import { expect } from 'chai';
import { parse } from 'yaml';
import { crdManifests } from '../../../api/generated/crds.js';
import { renderStack } from '../../../synth/render.js';
import { KubeApi, type KubeObject } from '../../../lib/kube-api.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { addReadyNode } from '../../env/fake-nodes.js';
import { httpGet, waitFor } from '../../env/net.js';
import { loadExample } from '../../fixtures/examples.js';
import { lvmPv, nls, podWithClaims, pvc } from '../../unit/extender/objects.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { startExtender, type ExtenderProcess } from './extender-process.js';
import { startFakeProvisioner, type FakeProvisioner } from './fake-provisioner.js';
import { startServiceProxy, type ServiceProxy } from './service-proxy.js';
import { volumeSnapshotCrd } from '../support/snapshot-crds.js';

const NS = 'extender-it';
const SC = 'open-local-lvm';
const stack = renderStack(loadExample('minimal'));
const schedulerConfig = stack.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'open-local-scheduler-config') as { data: Record<string, string> } | undefined;
const extenderEntry = (parse(schedulerConfig?.data['extender.yaml'] ?? '[]') as Record<string, unknown>[])[0];
const extenderDeployment = stack.find((o) => o.kind === 'Deployment' && o.metadata.name === 'open-local-scheduler-extender') as { spec: { template: { spec: { containers: { args: string[] }[] } } } } | undefined;
/** The rendered container args, minus the subcommand and the port (the test picks a free one). */
const renderedFlags = (extenderDeployment?.spec.template.spec.containers[0]?.args ?? []).filter((a) => a !== 'extender' && !a.startsWith('--port='));

describe('extender with the real kube-scheduler', function () {
  this.timeout(300_000);
  let cp: ControlPlane;
  let api: KubeApi;
  let proxy: ServiceProxy;
  let extender: ExtenderProcess;
  let provisioner: FakeProvisioner;

  const restartExtender = async (flags: readonly string[]) => {
    await extender.process.stop();
    extender = await startExtender(cp.kubeconfigPath, cp.dir, flags);
    proxy.target = extender.port;
  };

  before(async () => {
    if (!extenderEntry || renderedFlags.length === 0) throw new Error('synth rendered no scheduler extender entry or extender Deployment');
    proxy = await startServiceProxy(new URL(String(extenderEntry.urlPrefix)).hostname, 0);
    // Only the scheduler talks to a non-loopback host over plain HTTP: the extender's Service URL.
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '127.0.0.1,localhost';
    try {
      cp = await startControlPlane({ withControllerManager: true, withScheduler: { extenders: [extenderEntry] } });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
      }
    }
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotCrd] as never);
    api = new KubeApi(cp.adminKubeConfig());
    for (const obj of stack.filter((o) => o.kind === 'StorageClass')) await api.createIfAbsent(obj);
    await api.createIfAbsent({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    extender = await startExtender(cp.kubeconfigPath, cp.dir, renderedFlags);
    proxy.target = extender.port;
    provisioner = startFakeProvisioner(api, () => extender.port);
  });

  after(async () => {
    provisioner.stop();
    await extender.process.stop();
    await proxy.close();
    await cp.stop();
  });

  afterEach(function () {
    expect(provisioner.errors, 'fake provisioner errors').to.deep.equal([]);
    if (this.currentTest?.state === 'failed') console.error(`extender log: ${extender.process.logPath}`);
  });

  /** A fake node labelled for one test, with open-local VGs (allocatable GiB) unless `vgs` is undefined. */
  async function node(name: string, scenario: string, vgs: Record<string, number> | undefined): Promise<void> {
    await addReadyNode(cp.adminKubeConfig(), name, { labels: { scenario } });
    if (!vgs) return;
    const object = nls(name, { vgs });
    await api.createIfAbsent({ ...object, status: undefined });
    await api.mergePatch(object, { status: object.status }, 'status');
    await extenderSees(name, 0);
  }

  /**
   * Waits until the extender's cache shows a node with `usedGi` in its VGs. kube-scheduler does not retry a pod
   * it found unschedulable when NodeLocalStorage changes (it does not watch that kind), so a test creates its
   * pod only after the extender has the state the test set up.
   */
  async function extenderSees(name: string, usedGi: number): Promise<void> {
    await waitFor(`the extender to see node ${name} with ${usedGi}Gi used`, async () => {
      const answer = await httpGet(`http://127.0.0.1:${extender.port}/cache?nodeName=${name}`);
      if (answer.status !== 200) return false;
      const view = JSON.parse(answer.body) as { volumeGroups: { used: number }[] };
      return view.volumeGroups.reduce((sum, vg) => sum + vg.used, 0) === usedGi * 1024 ** 3;
    }, { timeoutMs: 60_000, intervalMs: 100 });
  }

  /** Creates the PVCs and a pod using them, restricted to the scenario's nodes; resolves with the pod's name. */
  async function pod(name: string, scenario: string, sizes: readonly string[]): Promise<string> {
    const claims = sizes.map((_, i) => `${name}-data${i}`);
    for (const [i, size] of sizes.entries()) await api.createIfAbsent(pvc(NS, claims[i] ?? '', SC, size));
    const body = podWithClaims(NS, name, claims);
    await api.createIfAbsent({ ...body, spec: { ...body.spec, nodeSelector: { scenario } } } as KubeObject);
    return name;
  }

  async function placement(name: string): Promise<string> {
    let nodeName = '';
    await waitFor(`pod ${NS}/${name} bound to a node`, async () => {
      const p = await api.get<KubeObject & { spec: { nodeName?: string } }>('v1', 'Pod', name, NS);
      nodeName = p?.spec.nodeName ?? '';
      return nodeName !== '';
    }, { timeoutMs: 120_000, intervalMs: 250 }).catch(async (err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; events: ${JSON.stringify(await eventMessages(name))}`, { cause: err });
    });
    return nodeName;
  }

  async function eventMessages(name: string): Promise<string[]> {
    const list = await api.list<KubeObject & { message?: string }>('v1', 'Event', { namespace: NS, fieldSelector: `involvedObject.name=${name}` });
    return list.items.map((e) => e.message ?? '');
  }

  it('places a pod only where its volume fits: not on a full node, not on a node without open-local storage', async () => {
    await node('room-full', 'room', { vg: 100 });
    await api.createIfAbsent(lvmPv('pvc-room-old', 'room-full', 'vg', '95Gi', { namespace: NS, name: 'gone' }));
    await node('room-none', 'room', undefined);
    await node('room-ok', 'room', { vg: 100 });
    expect(await placement(await pod('room', 'room', ['50Gi']))).to.equal('room-ok');
    expect(proxy.forwarded.get('/scheduler/predicates')).to.be.greaterThan(0);
  });

  it('places a pod with three PVCs where all three fit together, not where each fits alone', async () => {
    await node('three-split', 'three', { a: 50, b: 50 });
    await node('three-whole', 'three', { vg: 130 });
    expect(await placement(await pod('three', 'three', ['40Gi', '40Gi', '40Gi']))).to.equal('three-whole');
  });

  it("leaves a pod that fits nowhere pending, with the extender's reason in its events", async () => {
    await node('huge-1', 'huge', { vg: 10 });
    const name = await pod('huge', 'huge', ['500Gi']);
    const reason = `no volume group has 500Gi free for ${NS}/huge-data0: the most free is "vg" with 10Gi (490Gi short)`;
    await waitFor('a FailedScheduling event with the extender reason', async () => (await eventMessages(name)).some((m) => m.includes(reason)), { timeoutMs: 120_000, intervalMs: 500 });
    // The pod must not outlive its test: the scheduler retries it, and while a later test restarts the extender
    // (ignorable: the scheduler then places pods without it, by design) it would land on huge-1 after all.
    await api.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS } });
    await waitFor(`pod ${NS}/${name} gone`, async () => (await api.get('v1', 'Pod', name, NS)) === undefined, { timeoutMs: 120_000, intervalMs: 250 });
  });

  it('fills the fuller node with binpack and the emptier one with spread', async () => {
    await node('bs-fuller', 'bs', { vg: 100 });
    await api.createIfAbsent(lvmPv('pvc-bs-old', 'bs-fuller', 'vg', '60Gi', { namespace: NS, name: 'gone' }));
    await node('bs-emptier', 'bs', { vg: 100 });
    await restartExtender([...renderedFlags.filter((f) => !f.startsWith('--strategy=')), '--strategy=binpack']);
    expect(await placement(await pod('binpacked', 'bs', ['10Gi']))).to.equal('bs-fuller');
    await restartExtender(renderedFlags);
    expect(await placement(await pod('spread', 'bs', ['10Gi']))).to.equal('bs-emptier');
    // With two feasible nodes the scheduler asked for scores (with one it skips scoring).
    expect(proxy.forwarded.get('/scheduler/priorities')).to.be.greaterThan(0);
  });

  it('gives the same answers after a restart, rebuilt from the cluster alone', async () => {
    await node('rs-1', 'rs', { vg: 100 });
    await node('rs-2', 'rs', { vg: 100 });
    const first = await placement(await pod('before-restart', 'rs', ['60Gi']));
    const cache = async () => (await httpGet(`http://127.0.0.1:${extender.port}/cache`)).body;
    // The PV of the first pod must be counted before the restart for the comparison to mean anything.
    await extenderSees(first, 60);
    const before = JSON.parse(await cache()) as unknown;
    await restartExtender(renderedFlags);
    expect(JSON.parse(await cache())).to.deep.equal(before);
    const second = await placement(await pod('after-restart', 'rs', ['60Gi']));
    expect(second).to.not.equal(first);
  });
});
