// Acting as each rendered ServiceAccount (a real token from the TokenRequest API), the component may do what
// it needs and is refused what it must not do.
import { basename } from 'node:path';
import { expect } from 'chai';
import { renderInstall, renderStack, type KubeObject } from '../../../synth/render.js';
import { names } from '../../../synth/names.js';
import { operatorOperandBinding } from '../../../synth/stack/rbac.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { exampleFiles, loadExample } from '../../fixtures/examples.js';
import { rawApi, tokenOf, waitEstablished, type RawApi } from '../support/raw-api.js';

interface Access {
  readonly verb: string;
  readonly resource: string;
  readonly group?: string;
  readonly subresource?: string;
  /** Namespace of the request; `operand` = the stack's, `operator` = the operator's own, absent = cluster-wide. */
  readonly namespace?: 'operand' | 'operator' | 'kube-system' | 'default';
  /** The object's name (rules restricted by resourceNames match only named requests). */
  readonly name?: string;
}

const a = (verb: string, resource: string, group = '', extra: Partial<Access> = {}): Access => ({ verb, resource, group, ...extra });
const ol = 'csi.aliyun.com';
const rbac = 'rbac.authorization.k8s.io';
const operand = { namespace: 'operand' } as const;
const admission = 'admissionregistration.k8s.io';

/** What each component must be able to do, and a few things it must never do. */
const expectations: Record<string, { allowed: Access[]; denied: Access[] }> = {
  [names.controller]: {
    allowed: [a('watch', 'nodes'), a('create', 'nodelocalstorages', ol), a('update', 'nodelocalstorages', ol), a('list', 'nodelocalstorageinitconfigs', ol), a('update', 'leases', 'coordination.k8s.io', { namespace: 'operand' })],
    denied: [a('get', 'secrets', '', { namespace: 'kube-system' }), a('update', 'nodelocalstorageinitconfigs', ol), a('delete', 'nodes'), a('update', 'leases', 'coordination.k8s.io', { namespace: 'kube-system' })],
  },
  [names.extender]: {
    allowed: [a('list', 'pods'), a('watch', 'persistentvolumeclaims'), a('list', 'nodelocalstorages', ol), a('list', 'localvolumes', ol), a('list', 'storageclasses', 'storage.k8s.io')],
    denied: [a('list', 'secrets'), a('patch', 'pods'), a('update', 'nodelocalstorages', ol), a('create', 'localvolumes', ol)],
  },
  [names.csiController]: {
    allowed: [a('create', 'persistentvolumes'), a('update', 'persistentvolumeclaims'), a('create', 'localvolumes', ol), a('delete', 'localvolumes', ol), a('patch', 'localvolumes', ol), a('patch', 'volumesnapshotcontents', 'snapshot.storage.k8s.io'), a('create', 'leases', 'coordination.k8s.io', { namespace: 'operand' }), a('create', 'csistoragecapacities', 'storage.k8s.io', { namespace: 'operand' })],
    denied: [a('get', 'secrets', '', { namespace: 'kube-system' }), a('update', 'localvolumes', ol, { subresource: 'status' }), a('update', 'nodelocalstorages', ol), a('create', 'pods', '', { namespace: 'operand' })],
  },
  [names.node]: {
    allowed: [a('get', 'nodes'), a('update', 'nodelocalstorages', ol, { subresource: 'status' }), a('update', 'localvolumes', ol, { subresource: 'status' }), a('watch', 'localvolumes', ol), a('create', 'events')],
    denied: [a('list', 'secrets'), a('update', 'nodelocalstorages', ol), a('create', 'localvolumes', ol), a('delete', 'localvolumes', ol), a('patch', 'nodes'), a('create', 'persistentvolumes'), a('list', 'pods'), a('list', 'nodes'), a('patch', 'validatingadmissionpolicies', admission, { name: names.nodeAuthz })],
  },
  // prepare-vg gets its config inside the Job and has no token mounted; its account may do nothing.
  [names.prepareVg]: {
    allowed: [],
    denied: [a('list', 'secrets'), a('get', 'openlocalclusters', ol), a('get', 'nodes'), a('patch', 'nodes'), a('update', 'nodelocalstorages', ol, { subresource: 'status' })],
  },
  [names.snapshotController]: {
    allowed: [a('create', 'volumesnapshotcontents', 'snapshot.storage.k8s.io'), a('update', 'volumesnapshots', 'snapshot.storage.k8s.io', { subresource: 'status' })],
    denied: [a('list', 'secrets'), a('create', 'persistentvolumes'), a('list', 'localvolumes', ol)],
  },
  // Everything a reconcile needs, and nothing it only hands out: writes in the operand namespace only (through
  // the RoleBinding it gives itself there), component roles bound by name without holding their rules.
  [names.operator]: {
    allowed: [
      ...['create', 'patch', 'delete'].flatMap((v) => [a(v, 'daemonsets', 'apps', operand), a(v, 'deployments', 'apps', operand), a(v, 'jobs', 'batch', operand), a(v, 'serviceaccounts', '', operand), a(v, 'configmaps', '', operand), a(v, 'services', '', operand)]),
      a('watch', 'deployments', 'apps'), a('list', 'jobs', 'batch'), a('watch', 'pods'), a('list', 'persistentvolumes'), a('watch', 'localvolumes', ol),
      a('patch', 'nodes'), a('create', 'namespaces'), a('create', 'csidrivers', 'storage.k8s.io'), a('patch', 'storageclasses', 'storage.k8s.io'), a('patch', 'nodelocalstorageinitconfigs', ol),
      a('create', 'clusterrolebindings', rbac), a('patch', 'clusterrolebindings', rbac, { name: names.node }), a('create', 'rolebindings', rbac, operand), a('patch', 'rolebindings', rbac, { ...operand, name: `${names.operator}-operands` }),
      a('bind', 'clusterroles', rbac, { name: names.csiController }), a('bind', 'clusterroles', rbac, { name: `${names.csiController}-namespaced` }), a('bind', 'clusterroles', rbac, { name: `${names.operator}-operands` }),
      a('update', 'openlocalclusters', ol, { subresource: 'status' }), a('patch', 'openlocalclusters', ol), a('update', 'openlocalclusters', ol, { subresource: 'finalizers' }), a('create', 'events', '', { namespace: 'default' }),
      a('create', 'leases', 'coordination.k8s.io', { namespace: 'operator' }), a('update', 'leases', 'coordination.k8s.io', { namespace: 'operator', name: names.operator }),
      a('create', 'validatingadmissionpolicies', admission), a('patch', 'validatingadmissionpolicies', admission, { name: names.nodeAuthz }), a('delete', 'validatingadmissionpolicybindings', admission, { name: names.nodeAuthz }), a('watch', 'validatingadmissionpolicybindings', admission),
    ],
    denied: [
      a('list', 'secrets'), a('escalate', 'clusterroles', rbac), a('bind', 'clusterroles', rbac), a('bind', 'clusterroles', rbac, { name: 'cluster-admin' }), a('create', 'clusterroles', rbac), a('update', 'clusterroles', rbac, { name: names.node }), a('create', 'roles', rbac, operand),
      a('impersonate', 'users'), a('create', 'customresourcedefinitions', 'apiextensions.k8s.io'), a('delete', 'nodes'), a('delete', 'namespaces'), a('delete', 'persistentvolumes'),
      a('create', 'deployments', 'apps', { namespace: 'kube-system' }), a('create', 'daemonsets', 'apps', { namespace: 'default' }), a('delete', 'jobs', 'batch', { namespace: 'kube-system' }), a('create', 'configmaps', '', { namespace: 'kube-system' }),
      a('patch', 'rolebindings', rbac, { namespace: 'kube-system', name: 'system:controller:bootstrap-signer' }), a('delete', 'clusterrolebindings', rbac, { name: 'cluster-admin' }),
      a('patch', 'validatingadmissionpolicies', admission, { name: 'someone-elses-policy' }), a('delete', 'validatingadmissionpolicybindings', admission, { name: 'someone-elses-policy' }), a('create', 'mutatingwebhookconfigurations', admission),
      a('update', 'leases', 'coordination.k8s.io', { namespace: 'kube-system', name: 'kube-scheduler' }), a('update', 'leases', 'coordination.k8s.io', { namespace: 'operator', name: 'someone-else' }), a('list', 'leases', 'coordination.k8s.io', { namespace: 'operator' }),
      // The component rules it only hands out.
      a('create', 'localvolumes', ol), a('update', 'nodelocalstorages', ol), a('create', 'persistentvolumes'), a('create', 'csistoragecapacities', 'storage.k8s.io', operand), a('update', 'volumesnapshotcontents', 'snapshot.storage.k8s.io'), a('create', 'leases', 'coordination.k8s.io', operand),
    ],
  },
};

const examples = exampleFiles.map((f) => basename(f));

describe('RBAC of every rendered ServiceAccount', function () {
  let cp: ControlPlane;
  let admin: RawApi;
  const install = renderInstall();
  const stack = renderStack(loadExample(examples.find((f) => f.includes('full')) ?? ''));
  const operandNs = stack.find((o) => o.kind === 'Namespace')?.metadata.name ?? '';
  const operatorNs = install.find((o) => o.kind === 'Namespace')?.metadata.name ?? '';
  const rbacKinds = new Set(['CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

  before(async function () {
    cp = await startControlPlane();
    admin = rawApi(cp);
    // The stack as the operator applies it: with the RoleBinding that gives the operator its operand rights.
    const objects: KubeObject[] = [...install, ...stack, operatorOperandBinding(operandNs, 'open-local', operatorNs)].filter((o) => rbacKinds.has(o.kind));
    for (const o of objects) {
      const r = await admin.apply(o);
      expect(r.status, `${o.kind} ${o.metadata.name}: ${r.text}`).to.be.oneOf([200, 201]);
    }
    await waitEstablished(admin, objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name));
  });

  after(async function () {
    await cp.stop();
  });

  for (const [component, { allowed, denied }] of Object.entries(expectations)) {
    it(`${component}: allowed what it needs, refused the rest`, async function () {
      const ns = component === names.operator ? operatorNs : operandNs;
      const api = rawApi(cp, tokenOf(await cp.kubeConfigForServiceAccount(ns, component)));
      const decide = async (x: Access): Promise<boolean> => {
        const r = await api.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              verb: x.verb,
              group: x.group ?? '',
              resource: x.resource,
              ...(x.subresource ? { subresource: x.subresource } : {}),
              ...(x.name ? { name: x.name } : {}),
              ...(x.namespace ? { namespace: x.namespace === 'operand' ? operandNs : x.namespace === 'operator' ? operatorNs : x.namespace } : {}),
            },
          },
        });
        expect(r.status, r.text).to.equal(201);
        return (r.body.status as { allowed: boolean }).allowed;
      };
      const wrong: string[] = [];
      for (const x of allowed) if (!(await decide(x))) wrong.push(`refused ${JSON.stringify(x)}`);
      for (const x of denied) if (await decide(x)) wrong.push(`allowed ${JSON.stringify(x)}`);
      expect(wrong).to.deep.equal([]);
    });
  }

  it('a component token really works: the extender lists NodeLocalStorages and is refused Secrets', async function () {
    const api = rawApi(cp, tokenOf(await cp.kubeConfigForServiceAccount(operandNs, names.extender)));
    // A CRD just Established may answer 429 "storage is (re)initializing" for a moment; clients retry.
    let list = await api.call('GET', '/apis/csi.aliyun.com/v1alpha1/nodelocalstorages');
    for (let i = 0; list.status === 429 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      list = await api.call('GET', '/apis/csi.aliyun.com/v1alpha1/nodelocalstorages');
    }
    expect(list.status, list.text).to.equal(200);
    expect((await api.call('GET', '/api/v1/secrets')).status).to.equal(403);
  });
});
