// The operator running as its real ServiceAccount (a TokenRequest token), with only the RBAC the install ships:
// it reconciles a whole cluster (binds its own rights in the operand namespace, applies the stack, binds the
// component roles, runs Jobs, marks nodes, writes status, events and its Lease) and removes it again, with no
// request refused for lack of rights once its own RoleBinding is in place.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Counter } from 'prom-client';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { names, STORAGE_READY_LABEL } from '../../../synth/names.js';
import { renderInstall } from '../../../synth/render.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample } from '../../fixtures/examples.js';
import { createNode, eventually, finishPrepareVgJob, markAvailable, prepareResult } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';
const OPERATOR_NS = 'open-local-system';

describe('the operator with least privilege (its own ServiceAccount token)', function () {
  let cp: ControlPlane;
  let admin: KubeApi;
  let op: RunningOperator;
  let dir: string;
  const cluster = () => admin.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
  const refused = async (): Promise<number> => {
    const metric = op.registry.getSingleMetric('open_local_kube_requests_total') as Counter | undefined;
    return ((await metric?.get())?.values ?? []).filter((v) => v.labels.code === '403').reduce((n, v) => n + v.value, 0);
  };

  before(async function () {
    cp = await startControlPlane();
    const raw = rawApi(cp);
    const install = renderInstall().filter((o) => o.kind !== 'Deployment');
    await installCrds(raw, [...install.filter((o) => o.kind === 'CustomResourceDefinition'), volumeSnapshotClassCrd]);
    for (const o of install.filter((x) => x.kind !== 'CustomResourceDefinition')) {
      const r = await raw.apply(o);
      expect(r.status, `${o.kind} ${o.metadata.name}: ${r.text}`).to.be.oneOf([200, 201]);
    }
    admin = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (const n of ['node-a', 'node-b']) await createNode(admin, n);
    dir = mkdtempSync(join(tmpdir(), 'open-local-operator-sa-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, (await cp.kubeConfigForServiceAccount(OPERATOR_NS, names.operator)).exportConfig(), { mode: 0o600 });
    op = await startOperator({ kubeconfig, httpAddress: '127.0.0.1:0', leaderElect: true, leaseNamespace: OPERATOR_NS, identity: 'operator-0', logLevel: 'warn', operatorNamespace: OPERATOR_NS });
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles a cluster to Ready: stack, bindings, Jobs, node marks, status, events, Lease', async function () {
    await admin.request('POST', `/apis/${GV}/openlocalclusters`, { body: loadExample('minimal.yaml') });
    const jobs = await eventually('2 prepare Jobs', async () => {
      const items = (await admin.list('batch/v1', 'Job', { namespace: 'open-local' })).items;
      return items.length === 2 ? items : undefined;
    });
    for (const j of jobs) await finishPrepareVgJob(admin, j, prepareResult(j.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '', j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? ''), true);
    await eventually('nodes marked', async () => ((await cluster())?.status?.nodeCounts?.ready === 2 ? true : undefined));
    for (const kind of ['Deployment', 'DaemonSet']) {
      for (const w of (await admin.list<KubeObject & { spec?: { replicas?: number } }>('apps/v1', kind, { namespace: 'open-local' })).items) await markAvailable(admin, { ...w, kind, apiVersion: 'apps/v1' }, 2);
    }
    const ready = await eventually('Ready', async () => {
      const c = await cluster();
      return c?.status?.phase === 'Ready' ? c : undefined;
    });
    expect(ready.status?.conditions?.find((c) => c.type === 'Degraded')?.status).to.equal('False');
    for (const [apiVersion, kind, name, ns] of [
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', `${names.operator}-operands`, 'open-local'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', names.csiController, 'open-local'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', names.node, undefined],
      ['storage.k8s.io/v1', 'CSIDriver', 'local.csi.aliyun.com', undefined],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', names.nodeAuthz, undefined],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', names.nodeAuthz, undefined],
      ['coordination.k8s.io/v1', 'Lease', names.operator, OPERATOR_NS],
    ] as const) {
      expect(await admin.get(apiVersion, kind, name, ns), `${kind}/${name}`).to.not.equal(undefined);
    }
    expect((await admin.get('v1', 'Node', 'node-a'))?.metadata?.labels?.[STORAGE_READY_LABEL]).to.equal('true');
    const events = (await admin.list<KubeObject & { source?: { component?: string } }>('v1', 'Event', { namespace: 'default' })).items;
    expect(events.filter((e) => e.source?.component === 'open-local-operator')).to.not.be.empty;
    // Until its RoleBinding reaches the authorizer the first applies in the namespace may be refused; after
    // that nothing is: a steady cluster costs no refused request.
    await op.controller.queue.idle();
    const before = await refused();
    op.controller.queue.add('open-local');
    await op.controller.queue.idle();
    expect(await refused()).to.equal(before);
  });

  it('removes the whole stack on deletion, its own RoleBinding last', async function () {
    await admin.delete({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } });
    await eventually('cluster gone', async () => ((await cluster()) === undefined ? true : undefined));
    for (const [apiVersion, kind, name, ns] of [
      ['apps/v1', 'DaemonSet', names.node, 'open-local'],
      ['apps/v1', 'Deployment', names.csiController, 'open-local'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', names.node, undefined],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', names.nodeAuthz, undefined],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', names.nodeAuthz, undefined],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', `${names.operator}-operands`, 'open-local'],
    ] as const) {
      expect(await admin.get(apiVersion, kind, name, ns), `${kind}/${name}`).to.equal(undefined);
    }
    expect((await admin.get('v1', 'Node', 'node-a'))?.metadata?.labels?.[STORAGE_READY_LABEL]).to.equal(undefined);
  });
});
