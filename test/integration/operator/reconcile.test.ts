// The operator against a real kube-apiserver: from an OpenLocalCluster to operands, prepare-VG Jobs, node
// marks and status; node add/removal; zero writes when steady; duplicate; deletion keeps data.
import { expect } from 'chai';
import type { Gauge } from 'prom-client';
import { crdManifests } from '../../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { FINALIZER, STATUS_WRITE_INTERVAL_MS } from '../../../operator/controller.js';
import { NODE_STATE_ANNOTATION } from '../../../operator/nodes/record.js';
import { STORAGE_READY_LABEL } from '../../../synth/names.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample } from '../../fixtures/examples.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';
import { createNode, eventually, finishPrepareVgJob, markAvailable, prepareResult } from '../support/kubelet-play.js';

const GV = 'csi.aliyun.com/v1alpha1';
type Job = KubeObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };

describe('operator reconcile on a real API server', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator;

  const cluster = () => api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
  const jobs = async () => (await api.list<Job>('batch/v1', 'Job', { namespace: 'open-local' })).items;
  const writes = async (): Promise<number> => {
    const metric = op.registry.getSingleMetric('open_local_kube_requests_total') as Gauge | undefined;
    const values = (await metric?.get())?.values ?? [];
    return values.filter((v) => v.labels.verb !== 'GET').reduce((n, v) => n + v.value, 0);
  };
  /** Idle, and past a batched status write still due (written at most once per STATUS_WRITE_INTERVAL_MS). */
  const settled = async (): Promise<void> => {
    await op.controller.queue.idle();
    await new Promise((r) => setTimeout(r, STATUS_WRITE_INTERVAL_MS + 500));
    await op.controller.queue.idle();
  };
  const appliedByKind = async (): Promise<Record<string, number>> => {
    const metric = op.registry.getSingleMetric('open_local_operator_applied_objects_total') as Gauge | undefined;
    return Object.fromEntries(((await metric?.get())?.values ?? []).map((v) => [String(v.labels.kind), v.value]));
  };
  const condition = (c: OpenLocalCluster | undefined, type: string) => c?.status?.conditions?.find((x) => x.type === type);

  before(async function () {
    cp = await startControlPlane();
    // The cluster has the snapshot CRDs (the default spec creates a VolumeSnapshotClass).
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (const n of ['node-a', 'node-b', 'node-c']) await createNode(api, n);
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('renders the stack with owner references and starts one prepare-VG Job per eligible node', async function () {
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: loadExample('minimal.yaml') });
    const started = await eventually('3 prepare-VG Jobs', async () => ((await jobs()).length === 3 ? jobs() : undefined));
    expect(started.map((j) => j.metadata?.annotations?.['csi.aliyun.com/node-name']).sort()).to.deep.equal(['node-a', 'node-b', 'node-c']);
    const c = await cluster();
    expect(c?.metadata?.finalizers).to.include(FINALIZER);
    const ds = await api.get('apps/v1', 'DaemonSet', 'open-local-node', 'open-local');
    expect(ds?.metadata?.ownerReferences?.[0]).to.include({ kind: 'OpenLocalCluster', name: 'open-local', uid: c?.metadata?.uid, controller: true });
    for (const [apiVersion, kind, name, ns] of [
      ['storage.k8s.io/v1', 'CSIDriver', 'local.csi.aliyun.com'],
      ['storage.k8s.io/v1', 'StorageClass', 'open-local-lvm'],
      [GV, 'NodeLocalStorageInitConfig', 'open-local'],
      ['apps/v1', 'Deployment', 'open-local-csi-controller', 'open-local'],
      ['apps/v1', 'Deployment', 'open-local-scheduler-extender', 'open-local'],
      ['v1', 'ConfigMap', 'open-local-scheduler-config', 'open-local'],
    ] as const) {
      const obj = await api.get(apiVersion, kind, name, ns);
      expect(obj, `${kind}/${name}`).to.not.equal(undefined);
    }
    // The status is written after the pass's Jobs are created (all at once): it may come a moment after them.
    const reported = await eventually('NodesPrepared reported', async () => {
      const latest = await cluster();
      return condition(latest, 'NodesPrepared') ? latest : undefined;
    });
    expect(condition(reported, 'NodesPrepared')?.status).to.equal('False');
  });

  it('marks prepared nodes ready, reports a refused disk with its reason, and turns Ready once components are up', async function () {
    for (const job of await jobs()) {
      const node = job.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
      const hash = job.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? '';
      const refused = node === 'node-c' ? '/dev/vdb: has an ext4 filesystem signature; list it in forceDevices to wipe it' : undefined;
      await finishPrepareVgJob(api, job, prepareResult(node, hash, refused), refused === undefined);
    }
    const degraded = await eventually('node-c reported as failed', async () => {
      const c = await cluster();
      return c?.status?.nodeCounts?.ready === 2 && c.status.nodeCounts.failed === 1 ? c : undefined;
    });
    expect(degraded.status?.phase).to.equal('Degraded');
    expect(condition(degraded, 'NodesPrepared')).to.include({ status: 'False', reason: 'DeviceRefused' });
    expect(condition(degraded, 'NodesPrepared')?.message).to.include('node-c').and.include('ext4');
    expect(condition(degraded, 'Ready')?.status).to.equal('False');
    const nodeC = degraded.status?.nodes?.find((n) => n.name === 'node-c');
    expect(nodeC).to.include({ phase: 'Failed', reason: 'DeviceRefused' });
    for (const [n, ready] of [['node-a', true], ['node-b', true], ['node-c', false]] as const) {
      const node = await api.get('v1', 'Node', n);
      expect(node?.metadata?.labels?.[STORAGE_READY_LABEL], n).to.equal(ready ? 'true' : undefined);
    }

    // While node-c waits out its retry backoff, reconciling again writes nothing (retryAt, not a countdown).
    expect(nodeC?.retryAt).to.be.a('string');
    await settled();
    const quiet = await writes();
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 600));
      op.controller.queue.add('open-local');
      await op.controller.queue.idle();
    }
    expect(await writes()).to.equal(quiet);

    // The admin fixes node-c's disk (drops it from the config); the operator re-runs its Job.
    await api.request('DELETE', '/api/v1/nodes/node-c');
    for (const kind of ['Deployment', 'DaemonSet']) {
      for (const w of (await api.list<KubeObject & { spec?: { replicas?: number } }>('apps/v1', kind, { namespace: 'open-local' })).items) {
        await markAvailable(api, { ...w, kind, apiVersion: 'apps/v1' }, 2);
      }
    }
    const ready = await eventually('Ready', async () => {
      const c = await cluster();
      return condition(c, 'Ready')?.status === 'True' ? c : undefined;
    });
    expect(ready.status?.phase).to.equal('Ready');
    // Ready nodes are only counted in the cluster's status; each one's state is recorded on its Node.
    expect(ready.status?.nodeCounts).to.include({ total: 2, ready: 2 });
    expect(ready.status?.nodes ?? []).to.deep.equal([]);
    for (const n of ['node-a', 'node-b']) {
      const record = (await api.get('v1', 'Node', n))?.metadata?.annotations?.[NODE_STATE_ANNOTATION];
      expect(JSON.parse(record ?? '{}'), n).to.include({ name: n, phase: 'Ready', reason: 'VolumeGroupsReady' });
    }
    expect(condition(ready, 'ComponentsAvailable')?.status).to.equal('True');
    expect(condition(ready, 'SchedulerExtenderConfigured')?.status).to.equal('Unknown');
    expect(ready.status?.observedGeneration).to.equal(ready.metadata?.generation);
  });

  it('costs zero writes when the cluster is steady, even when every cluster is re-reconciled', async function () {
    await settled();
    const before = await writes();
    for (let i = 0; i < 3; i++) {
      op.controller.queue.add('open-local');
      await new Promise((r) => setTimeout(r, 200));
      await op.controller.queue.idle();
    }
    expect(await writes()).to.equal(before);
  });

  it('does not reconcile on a kubelet heartbeat, only when something it reads on a Node changes', async function () {
    const reconciles = async (): Promise<number> => {
      const metric = op.registry.getSingleMetric('open_local_operator_reconcile_duration_seconds') as Gauge | undefined;
      return ((await metric?.get())?.values ?? []).filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count')).reduce((n, v) => n + v.value, 0);
    };
    const heartbeat = async (at: Date) => {
      const t = at.toISOString().replace(/\.\d+Z$/, 'Z');
      await api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } }, { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: t, lastTransitionTime: '2026-01-01T00:00:00Z' }] } }, 'status');
    };
    // The first report of Ready=True is a change the planner reads; the heartbeats after it are not.
    await op.controller.queue.idle();
    const first = await reconciles();
    await heartbeat(new Date());
    await eventually('a reconcile after the node turned Ready', async () => ((await reconciles()) > first ? true : undefined));
    await op.controller.queue.idle();
    const before = await reconciles();
    await heartbeat(new Date(Date.now() + 10_000));
    await new Promise((r) => setTimeout(r, 500));
    await op.controller.queue.idle();
    expect(await reconciles()).to.equal(before);
    await api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } }, { metadata: { labels: { 'example.com/rack': 'r1' } } });
    await eventually('a reconcile after the label change', async () => ((await reconciles()) > before ? true : undefined));
  });

  it('starts a Job for a node that joins, and writes only what a spec change changes', async function () {
    await createNode(api, 'node-d');
    const job = await eventually('a Job for node-d', async () => (await jobs()).find((j) => j.metadata?.annotations?.['csi.aliyun.com/node-name'] === 'node-d'));
    await finishPrepareVgJob(api, job, prepareResult('node-d', job.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? ''), true);
    await eventually('node-d ready', async () => ((await cluster())?.status?.nodeCounts?.ready === 3 ? true : undefined));
    await op.controller.queue.idle();

    const before = await appliedByKind();
    await api.mergePatch({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } }, { spec: { extender: { strategy: 'binpack' } } });
    await eventually('extender args updated', async () => {
      const d = await api.get<KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } }>('apps/v1', 'Deployment', 'open-local-scheduler-extender', 'open-local');
      return d?.spec.template.spec.containers[0]?.args.includes('--strategy=binpack') ? true : undefined;
    });
    await eventually('observedGeneration caught up', async () => {
      const c = await cluster();
      return c?.status?.observedGeneration === c?.metadata?.generation ? true : undefined;
    });
    await op.controller.queue.idle();
    // Only the two Deployments that take the strategy (the extender, and the CSI controller, which places volumes
    // with the same allocator) are re-applied; every other object is skipped by its content hash.
    const after = await appliedByKind();
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed).to.deep.equal(['Deployment']);
    expect((after.Deployment ?? 0) - (before.Deployment ?? 0)).to.equal(2);
    const csi = await api.get<KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } }>('apps/v1', 'Deployment', 'open-local-csi-controller', 'open-local');
    expect(csi?.spec.template.spec.containers[0]?.args).to.include('--strategy=binpack');
  });

  it('marks a second OpenLocalCluster as Duplicate', async function () {
    const second = { ...loadExample('minimal.yaml'), metadata: { name: 'second' } };
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: second });
    const dup = await eventually('Duplicate', async () => {
      const c = await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'second');
      return condition(c, 'Ready')?.reason === 'Duplicate' ? c : undefined;
    });
    expect(condition(dup, 'Ready')?.message).to.include('open-local');
    await api.delete({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'second' } });
  });

  it('removes operands and node marks on deletion, and keeps the volume groups (no cleanup Job)', async function () {
    await api.delete({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } });
    await eventually('cluster gone', async () => ((await cluster()) === undefined ? true : undefined));
    expect(await api.get('apps/v1', 'DaemonSet', 'open-local-node', 'open-local')).to.equal(undefined);
    expect(await api.get('storage.k8s.io/v1', 'CSIDriver', 'local.csi.aliyun.com')).to.equal(undefined);
    expect(await api.get('storage.k8s.io/v1', 'StorageClass', 'open-local-lvm')).to.equal(undefined);
    for (const n of ['node-a', 'node-b', 'node-d']) {
      expect((await api.get('v1', 'Node', n))?.metadata?.labels?.[STORAGE_READY_LABEL], n).to.equal(undefined);
    }
    // Data-keeping default: no Job was started to touch the disks.
    const left = (await jobs()).filter((j) => !j.metadata?.deletionTimestamp);
    expect(left).to.deep.equal([]);
    expect(await api.get('v1', 'Namespace', 'open-local')).to.not.equal(undefined);
  });
});
