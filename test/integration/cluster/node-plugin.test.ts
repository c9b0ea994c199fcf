// The node plugins synth renders (agent, CSI node plugin, node-driver-registrar, livenessprobe) run unchanged under a
// real kubelet: a UML kubelet node with two storage disks in a cluster network; what synth renders for the example
// OpenLocalCluster's node side (namespace, ServiceAccount and RBAC, CSIDriver, the node DaemonSet, the CRDs) applied
// as it is; the node labelled and its NodeLocalStorage created as the operator would. The pod reaches Running with
// every container Ready, the kubelet registers the driver through the registrar (CSINode lists it with its topology
// key) and the agent fills the NodeLocalStorage from the guest's real disks. The registrar and livenessprobe images
// are our stand-ins (test/env/standins: the module proxy serves neither real sidecar).
import { CoreV1Api, StorageV1Api, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { API_GROUP_VERSION, CSI_DRIVER_NAME } from '../../../api/group.js';
import type { NodeLocalStorage, NodeLocalStorageInitConfig } from '../../../api/generated/types.js';
import { desiredNlsSpec } from '../../../operator/nls-controller/desired.js';
import { names, STORAGE_READY_LABEL } from '../../../synth/names.js';
import { renderInstall, renderStack, type KubeObject } from '../../../synth/render.js';
import { clusterImageDisk, type ClusterImages } from '../../env/cluster-images.js';
import { createClusterNetwork, type ClusterNetwork } from '../../env/cluster-network.js';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { startKubeletNode, type KubeletNode } from '../../env/kubelet-node.js';
import { tailFile } from '../../env/processes.js';
import { eventually } from '../support/kubelet-play.js';
import { load, waitNodeReady } from './support.js';
import { installCrds, rawApi, type KubeObjectLike, type RawApi } from '../support/raw-api.js';

const NODE = 'uml-plugin-0';
const EXAMPLE = new URL('../../../examples/minimal.yaml', import.meta.url);
/** The guest's first storage disk (kubelet-node.ts: /dev/ubda is containerd's state). */
const STORAGE_DISK = '/dev/ubdb';

/** The example cluster, its volume group pointed at the guest's virtual disk. */
async function exampleCluster(): Promise<Record<string, unknown>> {
  const cluster = parse(await readFile(EXAMPLE, 'utf8')) as { spec: { storage: { globalConfig: { resourceToBeInited: { vgs: { devices: string[] }[] } } } } };
  for (const vg of cluster.spec.storage.globalConfig.resourceToBeInited.vgs) vg.devices = [STORAGE_DISK];
  return cluster;
}

/** What the node plugins need of the rendered stack: everything but the controllers' and the extender's objects. */
function nodeSide(install: readonly KubeObject[], stack: readonly KubeObject[]): KubeObject[] {
  const of = (kind: string, name?: string) => (o: KubeObject) => o.kind === kind && (name === undefined || o.metadata.name === name);
  const pick = (objects: readonly KubeObject[], test: (o: KubeObject) => boolean): KubeObject[] => {
    const found = objects.filter(test);
    if (found.length === 0) throw new Error('synth no longer renders an object this test applies');
    return found;
  };
  return [
    ...pick(install, of('CustomResourceDefinition')),
    ...pick(install, of('ClusterRole', names.node)),
    ...pick(stack, of('Namespace')),
    ...pick(stack, of('ServiceAccount', names.node)),
    ...pick(stack, of('ClusterRoleBinding', names.node)),
    ...pick(stack, of('CSIDriver')),
    ...pick(stack, of('NodeLocalStorageInitConfig')),
    ...pick(stack, of('DaemonSet', names.node)),
  ];
}

async function applyAll(api: RawApi, objects: readonly KubeObject[]): Promise<void> {
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition') as unknown as KubeObjectLike[];
  await installCrds(api, crds);
  for (const o of objects) {
    if (o.kind === 'CustomResourceDefinition') continue;
    const r = await api.apply(o, { force: true });
    if (r.status !== 200 && r.status !== 201) throw new Error(`${o.kind} ${o.metadata.name} refused: ${r.text}`);
  }
}

describe('the rendered node plugins under a real kubelet (CSI sidecar stand-ins)', function () {
  this.timeout(1_800_000);
  let images: ClusterImages | undefined;
  let network: ClusterNetwork | undefined;
  let cp: ControlPlane | undefined;
  let node: KubeletNode | undefined;
  let objects: KubeObject[] = [];
  let applied = 0;

  before(async () => {
    const t0 = Date.now();
    images = await clusterImageDisk((line) => { console.log(`      ${((Date.now() - t0) / 1000).toFixed(0)} s ${line}`); });
    console.log(`      image disk ${images.built ? 'built' : 'cached'} in ${Date.now() - t0} ms (load ${load()})`);
    network = await createClusterNetwork();
    cp = await startControlPlane({
      network: { netns: network.netns, address: network.gatewayIp },
      // The node lifecycle controller lifts the not-ready taint; the EndpointSlice controller feeds kube-proxy the
      // `kubernetes` Service the agent reaches the apiserver by.
      withControllerManager: { controllers: [...DEFAULT_CONTROLLERS, 'node-lifecycle-controller', 'endpointslice-controller'] },
      withScheduler: true,
      startTimeoutMs: 120_000,
    });
    const t1 = Date.now();
    node = await startKubeletNode({ controlPlane: cp, name: NODE, index: 0, imageDisk: images, network });
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    const ready = await waitNodeReady(core, NODE);
    console.log(`      node Ready ${Date.now() - t1} ms after guest launch (load ${load()})`);

    const cluster = await exampleCluster();
    objects = nodeSide(renderInstall(), renderStack(cluster));
    const api = rawApi(cp);
    await applyAll(api, objects);
    // As the operator does: the node's NodeLocalStorage from the init config, then the label once its VGs are ready.
    const nlsc = objects.find((o) => o.kind === 'NodeLocalStorageInitConfig') as unknown as NodeLocalStorageInitConfig;
    const nls = { apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage', metadata: { name: NODE }, spec: desiredNlsSpec(nlsc, { name: NODE, labels: ready.metadata?.labels ?? {} }) };
    const created = await api.apply(nls, { force: true });
    if (created.status !== 200 && created.status !== 201) throw new Error(`NodeLocalStorage refused: ${created.text}`);
    const labelled = await api.call('PATCH', `/api/v1/nodes/${NODE}`, { metadata: { labels: { [STORAGE_READY_LABEL]: 'true' } } }, 'application/merge-patch+json');
    if (labelled.status !== 200) throw new Error(`labelling the node failed: ${labelled.text}`);
    applied = Date.now();
  });

  after(async () => {
    await node?.stop();
    await cp?.stop();
    await network?.destroy();
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed' || !node) return;
    console.log(`--- kubelet.log (tail) ---\n${tailFile(node.kubeletLog, 40)}`);
  });

  it('runs the node DaemonSet pod with all four containers Ready', async () => {
    if (!cp) throw new Error('setup failed');
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    const ds = objects.find((o) => o.kind === 'DaemonSet');
    let last = '';
    const pod: V1Pod = await eventually(
      'the node plugin pod Running with every container Ready',
      async () => {
        const pods = await core.listNamespacedPod({ namespace: ds?.metadata.namespace ?? '', labelSelector: `app.kubernetes.io/component=${names.node}` });
        const p = pods.items.find((x) => x.spec?.nodeName === NODE);
        last = JSON.stringify(p?.status?.containerStatuses?.map((c) => ({ name: c.name, ready: c.ready, restarts: c.restartCount, state: c.state })));
        const statuses = p?.status?.containerStatuses ?? [];
        return p?.status?.phase === 'Running' && statuses.length === 4 && statuses.every((c) => c.ready) ? p : undefined;
      },
      600_000,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last container statuses: ${last}`);
    });
    console.log(`      pod Running and Ready ${Date.now() - applied} ms after the DaemonSet was applied (load ${load()})`);
    expect(pod.status?.containerStatuses?.map((c) => c.name).sort()).to.deep.equal(['agent', 'csi-plugin', 'liveness-probe', 'node-driver-registrar']);
  });

  it('has the kubelet register the driver: CSINode lists it with its topology key', async () => {
    if (!cp) throw new Error('setup failed');
    const storage = cp.adminKubeConfig().makeApiClient(StorageV1Api);
    const driver = await eventually(
      `CSINode ${NODE} lists ${CSI_DRIVER_NAME}`,
      async () => (await storage.readCSINode({ name: NODE }).catch(() => undefined))?.spec.drivers.find((d) => d.name === CSI_DRIVER_NAME),
      300_000,
    );
    console.log(`      driver registered ${Date.now() - applied} ms after the DaemonSet was applied (load ${load()})`);
    expect(driver.nodeID).to.equal(NODE);
    expect(driver.topologyKeys ?? []).to.not.be.empty;
    const n = await cp.adminKubeConfig().makeApiClient(CoreV1Api).readNode({ name: NODE });
    for (const key of driver.topologyKeys ?? []) expect(n.metadata?.labels ?? {}).to.have.property(key);
  });

  it("has the agent fill the node's NodeLocalStorage from the guest's real disks", async () => {
    if (!cp) throw new Error('setup failed');
    const api = rawApi(cp);
    const nls = await eventually(
      'NodeLocalStorage status with the storage disks',
      async () => {
        const r = await api.call('GET', `/apis/${API_GROUP_VERSION}/nodelocalstorages/${NODE}`);
        const got = r.body as unknown as NodeLocalStorage;
        return (got.status?.nodeStorageInfo?.deviceInfo ?? []).some((d) => d.name === STORAGE_DISK) ? got : undefined;
      },
      300_000,
    );
    const devices = (nls.status?.nodeStorageInfo?.deviceInfo ?? []).map((d) => d.name);
    expect(devices).to.include.members([STORAGE_DISK, '/dev/ubdc']);
  });
});
