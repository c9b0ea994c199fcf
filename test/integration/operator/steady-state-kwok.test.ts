// The operator's steady state on kwok nodes: real kube-controller-manager (Job, DaemonSet, Deployment, ReplicaSet,
// node lifecycle) and kube-scheduler, kwok playing 20 kubelets (Leases renewed, Node status re-reported, pods run,
// prepare-VG pods end with a prepare-vg result). Nothing is finished by the test. Once Ready, the operator writes
// nothing and does not reconcile while every node heartbeats, as on a real fleet.
import { expect } from 'chai';
import type { Gauge } from 'prom-client';
import { crdManifests } from '../../../api/generated/crds.js';
import { CSI_DRIVER_NAME } from '../../../api/group.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { CSI_NODE_ID_ANNOTATION } from '../../../operator/status/registration.js';
import { parseResult } from '../../../node-agent/prepare-vg/result.js';
import { names, STORAGE_READY_LABEL } from '../../../synth/names.js';
import { CONFIG_HASH_ANNOTATION, NODE_NAME_ANNOTATION } from '../../../synth/stack/prepare-vg-job.js';
import { KWOK_CONTROLLER_MANAGER, startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { createKwokNodes, startKwok, waitKwokNodesReady, type Kwok } from '../../env/kwok.js';
import { loadExample } from '../../fixtures/examples.js';
import { eventually } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';
const NODES = 20;
/** kwok re-reports each Node's status every 2–4 s here (a kubelet: every 5 min), so the window sees many. */
const STATUS_REPORT_MS = 2000;
const WINDOW_MS = 25_000;

type Node = KubeObject & { status?: { conditions?: { type: string; lastHeartbeatTime?: string }[] } };
type Lease = KubeObject & { spec?: { renewTime?: string } };
type Job = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { containerStatuses?: { name: string; state?: { terminated?: { message?: string } } }[] } };

describe('operator steady state on kwok nodes (real controllers, kwok heartbeats)', function () {
  let cp: ControlPlane;
  let kwok: Kwok;
  let api: KubeApi;
  let op: RunningOperator;
  let nodes: string[] = [];

  const counter = async (name: string, pick: (v: { labels: Record<string, unknown>; metricName?: string }) => boolean): Promise<number> => {
    const metric = op.registry.getSingleMetric(name) as Gauge | undefined;
    return ((await metric?.get())?.values ?? []).filter(pick).reduce((n, v) => n + v.value, 0);
  };
  // The same figures the zero-writes and heartbeat tests of reconcile.test.ts read.
  const writes = () => counter('open_local_kube_requests_total', (v) => v.labels.verb !== 'GET');
  const reconciles = () => counter('open_local_operator_reconcile_duration_seconds', (v) => v.metricName?.endsWith('_count') === true);
  const cluster = () => api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
  const heartbeatOf = async (name: string) => ({
    status: (await api.get<Node>('v1', 'Node', name))?.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '',
    lease: (await api.get<Lease>('coordination.k8s.io/v1', 'Lease', name, 'kube-node-lease'))?.spec?.renewTime ?? '',
  });

  before(async function () {
    this.timeout(240_000);
    cp = await startControlPlane({ withControllerManager: KWOK_CONTROLLER_MANAGER, withScheduler: true });
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    kwok = await startKwok(cp, { nodeStatusReportMs: STATUS_REPORT_MS });
    nodes = await createKwokNodes(api, NODES, { csiDrivers: [CSI_DRIVER_NAME] });
    await waitKwokNodesReady(cp, NODES, 120_000);
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  });

  after(async function () {
    this.timeout(60_000);
    await (op as RunningOperator | undefined)?.stop();
    await (kwok as Kwok | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('turns Ready with every prepare-VG Job run by the Job controller and finished by kwok, not by the test', async function () {
    this.timeout(180_000);
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: loadExample('minimal.yaml') });
    const ready = await eventually('the OpenLocalCluster Ready', async () => {
      const c = await cluster();
      return c?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True' ? c : undefined;
    }, 150_000);
    expect(ready.status?.nodeCounts?.ready).to.equal(NODES);
    const jobs = (await api.list<Job>('batch/v1', 'Job', { namespace: 'open-local' })).items;
    expect(jobs).to.have.length(NODES);
    for (const j of jobs) expect(j.status?.conditions?.find((c) => c.type === 'Complete')?.status, j.metadata?.name).to.equal('True');
    // Each pod ran on its Job's node (placed by kube-scheduler) and ended with the result prepare-vg would write there.
    const pods = (await api.list<Pod>('v1', 'Pod', { namespace: 'open-local', labelSelector: `app.kubernetes.io/component=${names.prepareVg}` })).items;
    expect(pods).to.have.length(NODES);
    for (const pod of pods) {
      const job = jobs.find((j) => j.metadata?.uid === pod.metadata?.ownerReferences?.[0]?.uid);
      const node = job?.metadata?.annotations?.[NODE_NAME_ANNOTATION];
      expect(pod.spec?.nodeName, pod.metadata?.name).to.equal(node);
      const result = parseResult(pod.status?.containerStatuses?.find((c) => c.name === 'prepare-vg')?.state?.terminated?.message ?? '');
      expect(result, pod.metadata?.name).to.deep.equal({
        version: 1,
        node,
        configHash: job?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION],
        volumeGroups: [{ name: 'open-local-pool-0', state: 'Created', devices: ['/dev/vdb'], size: '10733223936', message: '' }],
        mountPoints: [],
      });
    }
    for (const n of nodes) expect((await api.get('v1', 'Node', n))?.metadata?.labels?.[STORAGE_READY_LABEL], n).to.equal('true');
    const ds = await api.get<KubeObject & { status?: { numberAvailable?: number } }>('apps/v1', 'DaemonSet', 'open-local-node', 'open-local');
    expect(ds?.status?.numberAvailable).to.equal(NODES);
  });

  it('writes nothing and does not reconcile while kwok renews every Lease and re-reports every Node status', async function () {
    this.timeout(120_000);
    // Settle: the last status write and the watch events it causes.
    await op.controller.queue.idle();
    await new Promise((r) => setTimeout(r, 2000));
    await op.controller.queue.idle();
    const before = { writes: await writes(), reconciles: await reconciles(), beats: await Promise.all(nodes.map(heartbeatOf)) };
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    await op.controller.queue.idle();
    const beats = await Promise.all(nodes.map(heartbeatOf));
    // The window had heartbeats of both kinds on every node (else it proves nothing).
    beats.forEach((b, i) => {
      expect(b.status > (before.beats[i]?.status ?? ''), `${nodes[i] ?? ''} Node status re-reported`).to.equal(true);
      expect(b.lease > (before.beats[i]?.lease ?? ''), `${nodes[i] ?? ''} Lease renewed`).to.equal(true);
    });
    expect(await writes(), 'API writes by the operator').to.equal(before.writes);
    expect(await reconciles(), 'reconciles').to.equal(before.reconciles);
  });

  it('holds ComponentsAvailable while a kubelet has not registered the driver, naming the node, and is Ready once it has', async function () {
    this.timeout(120_000);
    const node = nodes[0] ?? '';
    const annotation = (value: string | null) => api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name: node } }, { metadata: { annotations: { [CSI_NODE_ID_ANNOTATION]: value } } });
    const components = async () => (await cluster())?.status?.conditions?.find((x) => x.type === 'ComponentsAvailable');
    // The kubelet unregisters the driver (its registrar went away): the annotation loses the driver.
    await annotation(null);
    const held = await eventually('ComponentsAvailable False naming the node', async () => {
      const c = await components();
      return c?.status === 'False' && c.message.includes(`the kubelet has not registered the driver on ${node}`) ? c : undefined;
    }, 60_000);
    expect(held.message).to.include('open-local-node');
    await annotation(JSON.stringify({ [CSI_DRIVER_NAME]: node }));
    await eventually('Ready again', async () => ((await cluster())?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True' ? true : undefined), 60_000);
  });
});
