import type { V1PolicyRule } from '@kubernetes/client-node';
import { expect } from 'chai';
import { renderInstall, renderPrepareVgJob, renderStack, type KubeObject } from '../../../synth/render.js';
import { loadExample } from '../../fixtures/examples.js';
import { ofKind, one, workloads } from './objects.js';

const OPERATOR = 'open-local-operator';

interface NamedRules {
  /** `Kind/name`, for messages. */
  readonly id: string;
  readonly rules: readonly V1PolicyRule[];
}

function roles(objects: readonly KubeObject[]): NamedRules[] {
  return [
    ...ofKind(objects, 'ClusterRole').map((r) => ({ id: `ClusterRole/${r.metadata?.name ?? ''}`, rules: r.rules ?? [] })),
    ...ofKind(objects, 'Role').map((r) => ({ id: `Role/${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''}`, rules: r.rules ?? [] })),
  ];
}

/** Every (apiGroup, resource, verb) a rule grants, as `group/resource:verb`. */
function grants(rule: V1PolicyRule): string[] {
  return (rule.apiGroups ?? []).flatMap((g) => (rule.resources ?? []).flatMap((r) => rule.verbs.map((v) => `${g}/${r}:${v}`)));
}

function covers(rules: readonly V1PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) =>
      r.resourceNames === undefined &&
      (r.apiGroups ?? []).includes(group) &&
      (r.resources ?? []).includes(resource) &&
      r.verbs.includes(verb),
  );
}

const full = loadExample('full');
// Every optional component on: extender, snapshots, snapshot-controller.
const stack = [...renderStack(full), renderPrepareVgJob(full, 'worker-1', {})];
const install = renderInstall();
const operatorClusterRole = one(install, 'ClusterRole', OPERATOR).rules ?? [];

/** The kinds the operator creates, with their resource (group/plural). */
const resourceOfKind: Readonly<Record<string, string>> = {
  Namespace: '/namespaces',
  ServiceAccount: '/serviceaccounts',
  ConfigMap: '/configmaps',
  Service: '/services',
  ClusterRole: 'rbac.authorization.k8s.io/clusterroles',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/clusterrolebindings',
  Role: 'rbac.authorization.k8s.io/roles',
  RoleBinding: 'rbac.authorization.k8s.io/rolebindings',
  CSIDriver: 'storage.k8s.io/csidrivers',
  StorageClass: 'storage.k8s.io/storageclasses',
  VolumeSnapshotClass: 'snapshot.storage.k8s.io/volumesnapshotclasses',
  NodeLocalStorageInitConfig: 'csi.aliyun.com/nodelocalstorageinitconfigs',
  Deployment: 'apps/deployments',
  DaemonSet: 'apps/daemonsets',
  Job: 'batch/jobs',
};

describe('synth RBAC', () => {
  it('renders the roles it is meant to (sanity check for the tests below)', () => {
    expect(roles(stack).length).to.be.at.least(6);
    expect(roles(install).map((r) => r.id)).to.deep.equal([`ClusterRole/${OPERATOR}`, `Role/open-local-system/${OPERATOR}`]);
  });

  for (const [label, objects] of [
    ['stack', stack],
    ['install', install],
  ] as const) {
    it(`uses no wildcard in verbs, resources or apiGroups (${label})`, () => {
      const wild = roles(objects).flatMap(({ id, rules }) =>
        rules.flatMap((r, i) =>
          [...r.verbs, ...(r.resources ?? []), ...(r.apiGroups ?? [])].filter((v) => v.includes('*')).map((v) => `${id} rule ${i}: ${v}`),
        ),
      );
      expect(wild).to.deep.equal([]);
    });

    it(`grants nobody escalate, bind or impersonate (${label})`, () => {
      const dangerous = roles(objects).flatMap(({ id, rules }) =>
        rules.flatMap(grants).filter((g) => /:(escalate|bind|impersonate)$/.test(g)).map((g) => `${id}: ${g}`),
      );
      expect(dangerous).to.deep.equal([]);
    });

    it(`binds every ServiceAccount to a rendered role (${label})`, () => {
      const roleIds = new Set(roles(objects).map((r) => r.id));
      const bindings = [
        ...ofKind(objects, 'ClusterRoleBinding').map((b) => ({ b, ns: '' })),
        ...ofKind(objects, 'RoleBinding').map((b) => ({ b, ns: b.metadata?.namespace ?? '' })),
      ];
      for (const sa of ofKind(objects, 'ServiceAccount')) {
        const name = sa.metadata?.name ?? '';
        const namespace = sa.metadata?.namespace ?? '';
        const bound = bindings.filter(({ b }) =>
          (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace),
        );
        // prepare-vg's account exists only to avoid the namespace's default one; it is granted nothing.
        if (name === 'open-local-prepare-vg') {
          expect(bound, `ServiceAccount ${namespace}/${name} must have no permissions`).to.be.empty;
          continue;
        }
        expect(bound, `ServiceAccount ${namespace}/${name} is not bound`).not.to.be.empty;
        for (const { b, ns } of bound) {
          const ref = b.roleRef.kind === 'ClusterRole' ? `ClusterRole/${b.roleRef.name}` : `Role/${ns}/${b.roleRef.name}`;
          expect(roleIds.has(ref), `${b.metadata?.name ?? ''} refers to ${ref}, which is not rendered`).to.be.true;
        }
      }
    });
  }

  it('gives every component pod its own bound ServiceAccount', () => {
    const accounts = ofKind(stack, 'ServiceAccount').map((sa) => sa.metadata?.name);
    for (const w of workloads(stack)) expect(accounts, w.id).to.include(w.pod.serviceAccountName);
  });

  it("lets the operator's ClusterRole grant every component rule without escalate", () => {
    const missing = roles(stack).flatMap(({ id, rules }) =>
      rules.flatMap((rule) =>
        (rule.apiGroups ?? []).flatMap((g) =>
          (rule.resources ?? []).flatMap((r) => rule.verbs.filter((v) => !covers(operatorClusterRole, g, r, v)).map((v) => `${id}: ${g}/${r}:${v}`)),
        ),
      ),
    );
    expect(missing).to.deep.equal([]);
  });

  it('lets the operator create, update, patch and delete every kind it renders', () => {
    const kinds = [...new Set(stack.map((o) => o.kind))].sort();
    const missing = kinds.flatMap((kind) => {
      const resource = resourceOfKind[kind];
      if (!resource) return [`${kind}: no known resource`];
      const slash = resource.indexOf('/');
      return ['get', 'create', 'update', 'patch', 'delete']
        .filter((v) => !covers(operatorClusterRole, resource.slice(0, slash), resource.slice(slash + 1), v))
        .map((v) => `${kind}: ${v}`);
    });
    expect(missing).to.deep.equal([]);
  });

  it('lets no component read Secrets', () => {
    const readers = roles(stack).flatMap(({ id, rules }) =>
      rules.flatMap(grants).filter((g) => /^\/secrets:(get|list|watch)$/.test(g)).map((g) => `${id}: ${g}`),
    );
    expect(readers).to.deep.equal([]);
  });
});
