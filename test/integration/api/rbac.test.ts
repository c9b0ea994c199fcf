// Acting as each rendered ServiceAccount (a real token from the TokenRequest API), the component may do what
// it needs and is refused what it must not do.
import { basename } from 'node:path';
import { expect } from 'chai';
import { renderInstall, renderStack, type KubeObject } from '../../../synth/render.js';
import { names } from '../../../synth/names.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { exampleFiles, loadExample } from '../../fixtures/examples.js';
import { rawApi, tokenOf, waitEstablished, type RawApi } from '../support/raw-api.js';

interface Access {
  readonly verb: string;
  readonly resource: string;
  readonly group?: string;
  readonly subresource?: string;
  /** Namespace of the request; `operand` = the stack's namespace, absent = cluster-wide. */
  readonly namespace?: 'operand' | 'kube-system';
}

const a = (verb: string, resource: string, group = '', extra: Partial<Access> = {}): Access => ({ verb, resource, group, ...extra });
const ol = 'csi.aliyun.com';

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
    allowed: [a('create', 'persistentvolumes'), a('update', 'persistentvolumeclaims'), a('create', 'localvolumes', ol), a('delete', 'localvolumes', ol), a('patch', 'volumesnapshotcontents', 'snapshot.storage.k8s.io'), a('create', 'leases', 'coordination.k8s.io', { namespace: 'operand' }), a('create', 'csistoragecapacities', 'storage.k8s.io', { namespace: 'operand' })],
    denied: [a('get', 'secrets', '', { namespace: 'kube-system' }), a('update', 'localvolumes', ol, { subresource: 'status' }), a('update', 'nodelocalstorages', ol), a('create', 'pods', '', { namespace: 'operand' })],
  },
  [names.node]: {
    allowed: [a('get', 'nodes'), a('update', 'nodelocalstorages', ol, { subresource: 'status' }), a('update', 'localvolumes', ol, { subresource: 'status' }), a('watch', 'localvolumes', ol), a('create', 'events')],
    denied: [a('list', 'secrets'), a('update', 'nodelocalstorages', ol), a('create', 'localvolumes', ol), a('delete', 'localvolumes', ol), a('patch', 'nodes'), a('create', 'persistentvolumes')],
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
  [names.operator]: {
    allowed: [a('create', 'daemonsets', 'apps', { namespace: 'operand' }), a('create', 'jobs', 'batch', { namespace: 'operand' }), a('patch', 'nodes'), a('create', 'csidrivers', 'storage.k8s.io'), a('create', 'clusterroles', 'rbac.authorization.k8s.io'), a('update', 'openlocalclusters', ol, { subresource: 'status' })],
    denied: [a('list', 'secrets'), a('escalate', 'clusterroles', 'rbac.authorization.k8s.io'), a('bind', 'clusterroles', 'rbac.authorization.k8s.io'), a('impersonate', 'users'), a('create', 'customresourcedefinitions', 'apiextensions.k8s.io'), a('delete', 'nodes')],
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
    const objects: KubeObject[] = [...install, ...stack].filter((o) => rbacKinds.has(o.kind));
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
              ...(x.namespace ? { namespace: x.namespace === 'operand' ? operandNs : x.namespace } : {}),
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
