// End to end on real peers: the operator (against a real kube-apiserver) starts a prepare-VG Job; the test plays
// the kubelet by running exactly that Job's command and environment with the real CLI inside a User-Mode Linux
// guest (real LVM on virtual disks); the real termination message flows back, and the node becomes Ready with
// the volume group LVM actually created.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { NodeStatus, OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { parseResult } from '../../../node-agent/prepare-vg/result.js';
import { NODE_STATE_ANNOTATION } from '../../../operator/nodes/record.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { STORAGE_READY_LABEL } from '../../../synth/names.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { runInUml } from '../../env/uml.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { createNode, eventually, finishPrepareVgJob } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';
const repo = resolve(import.meta.dirname, '..', '..', '..');
type Job = KubeObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { args?: string[]; env?: { name: string; value?: string }[] }[] } } } };

describe('end to end: operator → prepare-VG Job → real LVM → status', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator;
  let out: string;

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    await createNode(api, 'node-a');
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'e2e', logLevel: 'warn' });
    out = await mkdtemp(join(tmpdir(), 'open-local-e2e-'));
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('prepares the volume group the spec asks for and reports it Ready, with LVM\'s own size', async function () {
    const cluster = withField(loadExample('minimal.yaml'), 'spec.storage.globalConfig.resourceToBeInited.vgs', [{ name: 'open-local-pool-0', devices: ['/dev/ubda', '/dev/ubdb'] }]);
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: cluster });
    const job = await eventually('the prepare-VG Job', async () => (await api.list<Job>('batch/v1', 'Job', { namespace: 'open-local' })).items[0]);
    const container = job.spec?.template?.spec?.containers?.[0];
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? '']));
    // The Job's own argv, run in the guest directly (the guest's root is this filesystem) instead of via nsenter.
    const args = [...(container?.args ?? []), '--host-exec=direct', `--result-file=${join(out, 'result.json')}`];
    const run = await runInUml({
      disks: [{ size: '1G' }, { size: '1G' }],
      command: [process.execPath, join(repo, 'bin', 'open-local.js'), ...args],
      env,
      cwd: repo,
      timeoutMs: 280_000,
    });
    expect(run.exitCode, run.output).to.equal(0);
    const result = parseResult(await readFile(join(out, 'result.json'), 'utf8'));
    if ('invalid' in result) throw new Error(result.invalid);
    expect(result.volumeGroups[0]).to.include({ name: 'open-local-pool-0', state: 'Created' });
    expect(result.configHash).to.equal(job.metadata?.annotations?.['csi.aliyun.com/storage-config-hash']);

    await finishPrepareVgJob(api, job, result, true);
    // The node's state is recorded on its Node (the cluster's status only counts Ready nodes).
    const ready = await eventually('node-a Ready', async () => {
      const text = (await api.get('v1', 'Node', 'node-a'))?.metadata?.annotations?.[NODE_STATE_ANNOTATION];
      const record = text === undefined ? undefined : (JSON.parse(text) as NodeStatus);
      return record?.phase === 'Ready' ? record : undefined;
    });
    await eventually('node-a counted Ready', async () => ((await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local'))?.status?.nodeCounts?.ready === 1 ? true : undefined));
    const vg = ready.volumeGroups?.[0];
    expect(vg).to.include({ name: 'open-local-pool-0', state: 'Created' });
    expect(vg?.devices).to.deep.equal(['/dev/ubda', '/dev/ubdb']);
    expect(Number(vg?.size)).to.be.greaterThan(2 * 1000 ** 3).and.lessThan(2 * 1024 ** 3);
    expect((await api.get('v1', 'Node', 'node-a'))?.metadata?.labels?.[STORAGE_READY_LABEL]).to.equal('true');
  });
});
