// A node plugin may only write the LocalVolumes of its own node, enforced by the real API server: the rendered
// ValidatingAdmissionPolicy judges tokens bound (TokenRequest) to pods on two fake nodes, and a token bound to
// nothing; the operator (which applies the policy) and the csi-controller (which creates and deletes volumes)
// keep working.
import { expect } from 'chai';
import { API_GROUP_VERSION } from '../../../api/group.js';
import { names } from '../../../synth/names.js';
import { renderInstall, renderStack, type KubeObject } from '../../../synth/render.js';
import { NODE_NAME_CLAIM } from '../../../synth/stack/node-authz.js';
import { operatorOperandBinding } from '../../../synth/stack/rbac.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { addReadyNode } from '../../env/fake-nodes.js';
import { loadExample } from '../../fixtures/examples.js';
import { eventually } from '../support/kubelet-play.js';
import { installCrds, rawApi, tokenOf, type ApiResponse, type RawApi } from '../support/raw-api.js';

const LV_PATH = `/apis/${API_GROUP_VERSION}/localvolumes`;
const FINALIZER = 'csi.aliyun.com/local-volume';
const MERGE = 'application/merge-patch+json';
const NODES = ['node-a', 'node-b'] as const;

const localVolume = (name: string, nodeName: string) => ({
  apiVersion: API_GROUP_VERSION,
  kind: 'LocalVolume',
  metadata: { name, finalizers: [FINALIZER] },
  spec: { nodeName, volumeType: 'LVM', vgName: 'open-local-pool-0', size: '1073741824' },
});

describe('CSI node plugin: writes only its own node\'s LocalVolumes (admission policy on the real API server)', function () {
  let cp: ControlPlane;
  let admin: RawApi;
  /** Acting as the node ServiceAccount with a token bound to a pod on each node. */
  const nodePlugin: Record<string, RawApi> = {};
  let unbound: RawApi;
  let csiController: RawApi;
  let operator: RawApi;
  const install = renderInstall();
  const stack = renderStack(loadExample('minimal'));
  const operandNs = stack.find((o) => o.kind === 'Namespace')?.metadata.name ?? '';
  const operatorNs = install.find((o) => o.kind === 'Namespace')?.metadata.name ?? '';
  const policyObjects = stack.filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'));

  const expectStatus = (r: ApiResponse, status: number, what: string) => {
    expect(r.status, `${what}: ${r.text}`).to.equal(status);
  };
  const patchStatus = (api: RawApi, name: string, phase: string) => api.call('PATCH', `${LV_PATH}/${name}/status`, { status: { phase, message: `set by a test` } }, MERGE);
  const dropFinalizer = (api: RawApi, name: string) => api.call('PATCH', `${LV_PATH}/${name}`, { metadata: { finalizers: null } }, MERGE);
  const live = async (name: string) => (await admin.call('GET', `${LV_PATH}/${name}`)).body as { metadata: { resourceVersion: string; deletionTimestamp?: string }; status?: { phase?: string } };

  before(async function () {
    cp = await startControlPlane();
    admin = rawApi(cp);
    await installCrds(admin, install.filter((o) => o.kind === 'CustomResourceDefinition'));
    const identities = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    const objects: KubeObject[] = [...install, ...stack, operatorOperandBinding(operandNs, 'open-local', operatorNs)].filter((o) => identities.has(o.kind));
    for (const o of objects) {
      const r = await admin.apply(o);
      expect(r.status, `${o.kind} ${o.metadata.name}: ${r.text}`).to.be.oneOf([200, 201]);
    }

    // The operator applies the policy with its own rights, as it does in a cluster.
    operator = rawApi(cp, tokenOf(await cp.kubeConfigForServiceAccount(operatorNs, names.operator)));
    for (const o of policyObjects) {
      const r = await eventually(`${o.kind} applied by the operator`, async () => {
        const res = await operator.apply(o, { force: true });
        // A RoleBinding or ClusterRoleBinding just created may reach the authorizer a moment later.
        return res.status === 403 ? undefined : res;
      });
      expect(r.status, `${o.kind}: ${r.text}`).to.be.oneOf([200, 201]);
    }

    for (const node of NODES) {
      await addReadyNode(cp.adminKubeConfig(), node);
      const pod = await admin.call('POST', `/api/v1/namespaces/${operandNs}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `csi-node-${node}` },
        spec: { nodeName: node, serviceAccountName: names.node, containers: [{ name: 'csi-plugin', image: 'open-local:test' }] },
      });
      expectStatus(pod, 201, `pod on ${node}`);
      const metadata = pod.body.metadata as { name: string; uid: string };
      const tr = await admin.call('POST', `/api/v1/namespaces/${operandNs}/serviceaccounts/${names.node}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: [], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: metadata.name, uid: metadata.uid } },
      });
      expectStatus(tr, 201, `TokenRequest bound to ${metadata.name}`);
      nodePlugin[node] = rawApi(cp, (tr.body.status as { token: string }).token);
    }
    unbound = rawApi(cp, tokenOf(await cp.kubeConfigForServiceAccount(operandNs, names.node)));
    csiController = rawApi(cp, tokenOf(await cp.kubeConfigForServiceAccount(operandNs, names.csiController)));
  });

  after(async function () {
    await cp.stop();
  });

  it('gives a pod-bound token the node-name claim the policy reads, and an unbound token none', async function () {
    const extra = async (api: RawApi) => {
      const r = await api.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
      expectStatus(r, 201, 'SelfSubjectReview');
      return ((r.body.status as { userInfo: { extra?: Record<string, string[]> } }).userInfo.extra ?? {})[NODE_NAME_CLAIM];
    };
    expect(await extra(nodePlugin['node-a']!)).to.deep.equal(['node-a']);
    expect(await extra(nodePlugin['node-b']!)).to.deep.equal(['node-b']);
    expect(await extra(unbound)).to.equal(undefined);
  });

  it("refuses node-a's writes to node-b's LocalVolume (status, finalizers, release while deleting), with a message naming both nodes", async function () {
    for (const node of NODES) expectStatus(await csiController.create(localVolume(`lv-${node}`, node)), 201, `csi-controller creates lv-${node}`);
    // The API server loads a new policy asynchronously: wait, with a deadline, until it judges (dry runs go
    // through admission and change nothing, so no write lands before the policy is in force).
    await eventually('the policy to judge node-a on node-b\'s volume', async () => {
      const r = await nodePlugin['node-a']!.call('PATCH', `${LV_PATH}/lv-node-b/status?dryRun=All`, { status: { phase: 'Failed' } }, MERGE);
      return r.status === 403 ? r : undefined;
    });
    const before = await live('lv-node-b');
    const refused = await patchStatus(nodePlugin['node-a']!, 'lv-node-b', 'Failed');
    expectStatus(refused, 403, 'node-a writes the status of node-b\'s volume');
    expect(refused.text).to.include('open-local-node on node node-a may not change or delete LocalVolume lv-node-b: it belongs to node node-b');
    const finalizer = await dropFinalizer(nodePlugin['node-a']!, 'lv-node-b');
    expectStatus(finalizer, 403, 'node-a removes the finalizer of node-b\'s volume');
    expect(finalizer.text).to.include('it belongs to node node-b');
    expectStatus(await csiController.call('DELETE', `${LV_PATH}/lv-node-b`), 200, 'csi-controller deletes lv-node-b');
    const release = await dropFinalizer(nodePlugin['node-a']!, 'lv-node-b');
    expectStatus(release, 403, 'node-a releases node-b\'s volume being deleted');
    const after = await live('lv-node-b');
    expect(after.metadata.deletionTimestamp, 'lv-node-b still held by its finalizer').to.be.a('string');
    expect(after.status?.phase, 'status untouched').to.equal(before.status?.phase);
  });

  it("lets node-a write its own LocalVolume's status and release it, and node-b its own", async function () {
    expectStatus(await patchStatus(nodePlugin['node-a']!, 'lv-node-a', 'Ready'), 200, 'node-a sets its volume Ready');
    expect((await live('lv-node-a')).status?.phase).to.equal('Ready');
    expectStatus(await csiController.call('DELETE', `${LV_PATH}/lv-node-a`), 200, 'csi-controller deletes lv-node-a');
    expectStatus(await patchStatus(nodePlugin['node-a']!, 'lv-node-a', 'Deleting'), 200, 'node-a reports Deleting');
    expectStatus(await dropFinalizer(nodePlugin['node-a']!, 'lv-node-a'), 200, 'node-a removes its finalizer');
    expectStatus(await admin.call('GET', `${LV_PATH}/lv-node-a`), 404, 'lv-node-a gone');
    expectStatus(await dropFinalizer(nodePlugin['node-b']!, 'lv-node-b'), 200, 'node-b releases its own volume');
    expectStatus(await admin.call('GET', `${LV_PATH}/lv-node-b`), 404, 'lv-node-b gone');
  });

  it('refuses a node ServiceAccount token bound to no pod, even for a volume of a real node', async function () {
    expectStatus(await csiController.create(localVolume('lv-unbound', 'node-a')), 201, 'csi-controller creates lv-unbound');
    const r = await patchStatus(unbound, 'lv-unbound', 'Ready');
    expectStatus(r, 403, 'unbound token writes status');
    expect(r.text).to.include('open-local-node may write LocalVolumes only with a token bound to a pod on a node');
    expectStatus(await dropFinalizer(unbound, 'lv-unbound'), 403, 'unbound token removes the finalizer');
    // Reading is RBAC's business alone: the policy judges writes only.
    expectStatus(await unbound.call('GET', `${LV_PATH}/lv-unbound`), 200, 'unbound token reads');
  });

  it('leaves creating and deleting to the csi-controller: the node plugin\'s RBAC refuses them before admission', async function () {
    const create = await nodePlugin['node-a']!.create(localVolume('lv-by-node', 'node-a'));
    expectStatus(create, 403, 'node-a creates a LocalVolume');
    expect(create.text).to.not.include('ValidatingAdmissionPolicy');
    expectStatus(await nodePlugin['node-a']!.call('DELETE', `${LV_PATH}/lv-unbound`), 403, 'node-a deletes a LocalVolume');
  });

  it('does not judge the csi-controller (create, expand, delete), the operator (read) or the admin', async function () {
    expectStatus(await csiController.call('PATCH', `${LV_PATH}/lv-unbound`, { spec: { size: '2147483648' } }, MERGE), 200, 'csi-controller expands');
    expectStatus(await operator.call('GET', LV_PATH), 200, 'operator lists LocalVolumes');
    expectStatus(await admin.call('PATCH', `${LV_PATH}/lv-unbound/status`, { status: { phase: 'Ready' } }, MERGE), 200, 'admin writes status');
    expectStatus(await csiController.call('DELETE', `${LV_PATH}/lv-unbound`), 200, 'csi-controller deletes');
    expectStatus(await admin.call('PATCH', `${LV_PATH}/lv-unbound`, { metadata: { finalizers: null } }, MERGE), 200, 'admin releases');
  });
});
