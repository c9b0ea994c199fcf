// prepare-VG Jobs on a real API server with the real garbage collector (the tests play kubelet and Job
// controller): one prepare-vg at a time per node, pods matched to their Job by UID, and re-created or rebooted
// nodes prepared again.
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { NodeStatus, OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { initConfigHash, resolveNodeConfig } from '../../../lib/storage-config.js';
import { PENDING_WRITE_TTL_MS } from '../../../operator/controller.js';
import { NODE_STATE_ANNOTATION } from '../../../operator/nodes/record.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { resolveSpec } from '../../../synth/resolved-spec.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample } from '../../fixtures/examples.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';
import { confirmPodGone, createNode, eventually, finishJob, finishPrepareVgJob, prepareResult, reportBoot, runPrepareVgPod, terminatePrepareVgPod } from '../support/kubelet-play.js';

const GV = 'csi.aliyun.com/v1alpha1';
type Job = KubeObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };

/**
 * A Job the operator starts again under a name it created before comes well within PENDING_WRITE_TTL_MS: the first
 * creation counts as seen by its watch event, though the Job changed again before the next pass (it once waited the
 * whole TTL, 30 s, for a creation the cache no longer showed at its own version).
 */
const WITHIN_A_HELD_WRITE = PENDING_WRITE_TTL_MS / 3;

describe('prepare-VG Jobs on a real API server', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator | undefined;

  const start = () => startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  const jobsOf = async (node: string) => (await api.list<Job>('batch/v1', 'Job', { namespace: 'open-local' })).items.filter((j) => j.metadata?.annotations?.['csi.aliyun.com/node-name'] === node);
  const liveJobOf = async (node: string, not?: Job) => (await jobsOf(node)).find((j) => !j.metadata?.deletionTimestamp && j.metadata?.uid !== not?.metadata?.uid);
  /** A node listed in the cluster's status (it needs attention), else its record on the Node (Ready). */
  const nodeStatus = async (node: string): Promise<NodeStatus | undefined> => {
    const listed = (await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local'))?.status?.nodes?.find((n) => n.name === node);
    const record = (await api.get('v1', 'Node', node))?.metadata?.annotations?.[NODE_STATE_ANNOTATION];
    return listed ?? (record === undefined ? undefined : (JSON.parse(record) as NodeStatus));
  };
  const pod = (name: string) => api.get<KubeObject & { status?: { phase?: string } }>('v1', 'Pod', name, 'open-local');
  const hashOf = (j: Job) => j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? '';
  /** The hash of the storage config the cluster asks for now (what a current Job carries). */
  const desiredHash = async () => initConfigHash(resolveNodeConfig(resolveSpec(await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local')).storage, {}).resourceToBeInited);

  before(async function () {
    // The garbage collector carries out foreground deletion (a Job goes only after its pods are gone).
    cp = await startControlPlane({ withControllerManager: { controllers: ['garbage-collector-controller'] } });
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (const n of ['node-a', 'node-b']) {
      await createNode(api, n);
      await reportBoot(api, n, 'boot-1');
    }
    op = await start();
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: loadExample('minimal.yaml') });
  });

  after(async function () {
    await op?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('deletes a Job in the foreground: its replacement starts only after the old pod is gone', async function () {
    const first = await eventually('a Job for node-a', () => liveJobOf('node-a'));
    const running = await runPrepareVgPod(api, first);
    // A config change retires the running Job.
    await api.mergePatch({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } }, { spec: { storage: { globalConfig: { resourceToBeInited: { vgs: [{ name: 'open-local-pool-0', devices: ['/dev/vdb', '/dev/vdc'] }] } } } } });
    const deleting = await eventually('the old Job deleted in the foreground', async () => (await jobsOf('node-a')).find((j) => j.metadata?.deletionTimestamp));
    expect(deleting.metadata?.uid).to.equal(first.metadata?.uid);
    expect(deleting.metadata?.finalizers).to.include('foregroundDeletion');
    await eventually('the garbage collector deleting the old pod', async () => ((await pod(running.metadata?.name ?? ''))?.metadata?.deletionTimestamp ? true : undefined));
    await op?.controller.queue.idle();
    // The pod still runs (its kubelet has not confirmed): the old Job holds the node, nothing starts beside it.
    expect((await jobsOf('node-a')).map((j) => j.metadata?.uid)).to.deep.equal([first.metadata?.uid]);

    await confirmPodGone(api, running);
    const replacement = await eventually('the replacement Job', () => liveJobOf('node-a', first));
    expect(hashOf(replacement)).to.not.equal(hashOf(first));
  });

  it("starts no Job beside a prepare-vg pod whose Job was deleted without it, and never reads that pod's result", async function () {
    const job = await eventually('the current Job of node-a', () => liveJobOf('node-a'));
    const running = await runPrepareVgPod(api, job, `${job.metadata?.name ?? ''}-second`);
    await api.delete(job, 'Orphan'); // `kubectl delete job --cascade=orphan`: the Job goes, its pod keeps running
    await eventually('node-a waiting for the old pod', async () => ((await nodeStatus('node-a'))?.reason === 'WaitingForOldPod' ? true : undefined));
    expect(await jobsOf('node-a')).to.deep.equal([]);

    // The old pod ends with a refusal and stays: it no longer runs, so a new Job may start.
    await terminatePrepareVgPod(api, running, prepareResult('node-a', hashOf(job), '/dev/vdb: has an ext4 filesystem signature'), false);
    const next = await eventually('a new Job once the old pod ended', () => liveJobOf('node-a'), WITHIN_A_HELD_WRITE);
    expect(next.metadata?.name).to.equal(job.metadata?.name);
    expect(next.metadata?.uid).to.not.equal(job.metadata?.uid);
    // The new Job times out before its own pod ever started: the old pod (same Job name) must not speak for it.
    await finishJob(api, next, false, 'DeadlineExceeded');
    const failed = await eventually('node-a failed', async () => {
      const s = await nodeStatus('node-a');
      return s?.phase === 'Failed' ? s : undefined;
    });
    expect(failed.reason).to.equal('JobTimedOut');
    expect((await pod(running.metadata?.name ?? ''))?.status?.phase).to.equal('Failed');
  });

  it('prepares a Node deleted and created again under the same name as a new node', async function () {
    const job = await eventually('the Job of node-b for the current config', async () => {
      const j = await liveJobOf('node-b');
      return j && hashOf(j) === (await desiredHash()) ? j : undefined;
    });
    await finishPrepareVgJob(api, job, prepareResult('node-b', hashOf(job)), true);
    const oldUid = (await api.get('v1', 'Node', 'node-b'))?.metadata?.uid;
    const ready = await eventually('node-b ready', async () => {
      const s = await nodeStatus('node-b');
      return s?.phase === 'Ready' ? s : undefined;
    });
    expect(ready.uid).to.equal(oldUid);
    expect(job.metadata?.annotations?.['csi.aliyun.com/node-uid']).to.equal(oldUid);

    // While the operator is down, the machine is re-imaged and registers again under the same name.
    await op?.stop();
    op = undefined;
    await api.request('DELETE', '/api/v1/nodes/node-b');
    await createNode(api, 'node-b');
    await reportBoot(api, 'node-b', 'boot-1');
    const newUid = (await api.get('v1', 'Node', 'node-b'))?.metadata?.uid;
    op = await start();

    const fresh = await eventually('a Job for the new node-b', () => liveJobOf('node-b', job));
    expect(fresh.metadata?.annotations?.['csi.aliyun.com/node-uid']).to.equal(newUid);
    // The record of the old Node does not carry over (it went with the Node): the new one is Preparing.
    await eventually('node-b preparing', async () => {
      const s = await nodeStatus('node-b');
      return s?.phase === 'Preparing' ? true : undefined;
    });
    await finishPrepareVgJob(api, fresh, prepareResult('node-b', hashOf(fresh)), true);
    await eventually('the new node-b ready', async () => {
      const s = await nodeStatus('node-b');
      return s?.phase === 'Ready' && s.uid === newUid ? true : undefined;
    });
  });

  it('prepares a node again after a reboot, also with volume groups only (a no-op when they exist)', async function () {
    const before = await eventually('the finished Job of node-b', () => liveJobOf('node-b'));
    await reportBoot(api, 'node-b', 'boot-2');
    const after = await eventually('a Job for the rebooted node-b', () => liveJobOf('node-b', before), WITHIN_A_HELD_WRITE);
    expect(after.metadata?.annotations?.['csi.aliyun.com/node-boot-id']).to.equal('boot-2');
    await finishPrepareVgJob(api, after, prepareResult('node-b', hashOf(after)), true);
    const ready = await eventually('node-b ready after the reboot', async () => {
      const s = await nodeStatus('node-b');
      return s?.phase === 'Ready' && s.bootID === 'boot-2' ? s : undefined;
    });
    expect(ready.reason).to.equal('VolumeGroupsReady');
  });
});
