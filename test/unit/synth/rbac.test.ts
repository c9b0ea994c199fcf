import type { V1PolicyRule } from '@kubernetes/client-node';
import { expect } from 'chai';
import { renderInstall, renderPrepareVgJob, renderStack, type KubeObject } from '../../../synth/render.js';
import { OPERATOR_OPERANDS_ROLE } from '../../../synth/rbac-rules.js';
import { operatorOperandBinding, RULE_REASONS_ANNOTATION } from '../../../synth/stack/rbac.js';
import { loadExample } from '../../fixtures/examples.js';
import { ofKind, one, workloads } from './objects.js';

const OPERATOR = 'open-local-operator';

interface NamedRules {
  /** `Kind/name`, for messages. */
  readonly id: string;
  readonly rules: readonly V1PolicyRule[];
  readonly annotations: Readonly<Record<string, string>>;
}

function roles(objects: readonly KubeObject[]): NamedRules[] {
  return [
    ...ofKind(objects, 'ClusterRole').map((r) => ({ id: `ClusterRole/${r.metadata?.name ?? ''}`, rules: r.rules ?? [], annotations: r.metadata?.annotations ?? {} })),
    ...ofKind(objects, 'Role').map((r) => ({ id: `Role/${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''}`, rules: r.rules ?? [], annotations: r.metadata?.annotations ?? {} })),
  ];
}

/** Every (apiGroup, resource, verb) a rule grants, as `group/resource:verb`. */
function grants(rule: V1PolicyRule): string[] {
  return (rule.apiGroups ?? []).flatMap((g) => (rule.resources ?? []).flatMap((r) => rule.verbs.map((v) => `${g}/${r}:${v}`)));
}

/** Whether the rules allow `verb` on `group/resource` (named `name`, when given). */
function covers(rules: readonly V1PolicyRule[], group: string, resource: string, verb: string, name?: string): boolean {
  return rules.some(
    (r) =>
      (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name))) &&
      (r.apiGroups ?? []).includes(group) &&
      (r.resources ?? []).includes(resource) &&
      r.verbs.includes(verb),
  );
}

const full = loadExample('full');
// Every optional component on: extender, snapshots, snapshot-controller; plus the operator's own binding.
const stack = [...renderStack(full), renderPrepareVgJob(full, 'worker-1', {}), operatorOperandBinding('open-local', 'open-local', 'open-local-system')];
const install = renderInstall();
const operatorClusterRole = one(install, 'ClusterRole', OPERATOR).rules ?? [];
const operandRole = one(install, 'ClusterRole', OPERATOR_OPERANDS_ROLE).rules ?? [];

/** The kinds the operator creates: resource (group/plural) and whether it lives in the operand namespace. */
const resourceOfKind: Readonly<Record<string, { resource: string; namespaced: boolean }>> = {
  Namespace: { resource: '/namespaces', namespaced: false },
  ServiceAccount: { resource: '/serviceaccounts', namespaced: true },
  ConfigMap: { resource: '/configmaps', namespaced: true },
  Service: { resource: '/services', namespaced: true },
  ClusterRoleBinding: { resource: 'rbac.authorization.k8s.io/clusterrolebindings', namespaced: false },
  RoleBinding: { resource: 'rbac.authorization.k8s.io/rolebindings', namespaced: true },
  CSIDriver: { resource: 'storage.k8s.io/csidrivers', namespaced: false },
  ValidatingAdmissionPolicy: { resource: 'admissionregistration.k8s.io/validatingadmissionpolicies', namespaced: false },
  ValidatingAdmissionPolicyBinding: { resource: 'admissionregistration.k8s.io/validatingadmissionpolicybindings', namespaced: false },
  StorageClass: { resource: 'storage.k8s.io/storageclasses', namespaced: false },
  VolumeSnapshotClass: { resource: 'snapshot.storage.k8s.io/volumesnapshotclasses', namespaced: false },
  NodeLocalStorageInitConfig: { resource: 'csi.aliyun.com/nodelocalstorageinitconfigs', namespaced: false },
  Deployment: { resource: 'apps/deployments', namespaced: true },
  DaemonSet: { resource: 'apps/daemonsets', namespaced: true },
  Job: { resource: 'batch/jobs', namespaced: true },
};

describe('synth RBAC', () => {
  it('renders the roles it is meant to: none in the stack, the operator\'s and every component\'s in the install', () => {
    expect(roles(stack)).to.deep.equal([]);
    expect(roles(install).map((r) => r.id)).to.include.members([`ClusterRole/${OPERATOR}`, `Role/open-local-system/${OPERATOR}`, `ClusterRole/${OPERATOR_OPERANDS_ROLE}`, 'ClusterRole/open-local-controller', 'ClusterRole/open-local-csi-controller-namespaced']);
  });

  it('gives every rendered rule its reason (annotation csi.aliyun.com/rule-reasons, one line per rule)', () => {
    const missing = roles(install).flatMap(({ id, rules, annotations }) => {
      const reasons = new Map((annotations[RULE_REASONS_ANNOTATION] ?? '').split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));
      return rules.map((_r, i) => (reasons.get(String(i)) ? undefined : `${id} rule ${i}: no reason`)).filter((m) => m !== undefined);
    });
    expect(missing).to.deep.equal([]);
    expect(roles(install).every((r) => (r.annotations[RULE_REASONS_ANNOTATION] ?? '').split('\n').length === r.rules.length)).to.equal(true);
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

    it(`grants nobody escalate or impersonate, and bind only to the operator on named ClusterRoles (${label})`, () => {
      const dangerous = roles(objects).flatMap(({ id, rules }) =>
        rules.flatMap((rule) =>
          grants(rule)
            .filter((g) => /:(escalate|bind|impersonate)$/.test(g))
            .filter((g) => !(id === `ClusterRole/${OPERATOR}` && g === 'rbac.authorization.k8s.io/clusterroles:bind' && (rule.resourceNames ?? []).length > 0))
            .map((g) => `${id}: ${g}`),
        ),
      );
      expect(dangerous).to.deep.equal([]);
    });
  }

  it('binds every ServiceAccount to a ClusterRole the install ships', () => {
    const shipped = new Set(ofKind(install, 'ClusterRole').map((r) => r.metadata?.name));
    const bindings = [...ofKind(stack, 'ClusterRoleBinding'), ...ofKind(stack, 'RoleBinding')];
    for (const sa of ofKind(stack, 'ServiceAccount')) {
      const name = sa.metadata?.name ?? '';
      const namespace = sa.metadata?.namespace ?? '';
      const bound = bindings.filter((b) => (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace));
      // prepare-vg's account exists only to avoid the namespace's default one; it is granted nothing.
      if (name === 'open-local-prepare-vg') {
        expect(bound, `ServiceAccount ${namespace}/${name} must have no permissions`).to.be.empty;
        continue;
      }
      expect(bound, `ServiceAccount ${namespace}/${name} is not bound`).not.to.be.empty;
      for (const b of bound) {
        expect(b.roleRef.kind, b.metadata?.name ?? '').to.equal('ClusterRole');
        expect(shipped.has(b.roleRef.name), `${b.metadata?.name ?? ''} refers to ClusterRole ${b.roleRef.name}, which the install does not ship`).to.equal(true);
      }
    }
  });

  it('gives every component pod its own bound ServiceAccount', () => {
    const accounts = ofKind(stack, 'ServiceAccount').map((sa) => sa.metadata?.name);
    for (const w of workloads(stack)) expect(accounts, w.id).to.include(w.pod.serviceAccountName);
  });

  it('lets the operator bind every role the stack refers to, by name (bind, not holding the rules)', () => {
    const refs = [...ofKind(stack, 'ClusterRoleBinding'), ...ofKind(stack, 'RoleBinding')].map((b) => b.roleRef.name);
    const missing = refs.filter((name) => !covers(operatorClusterRole, 'rbac.authorization.k8s.io', 'clusterroles', 'bind', name));
    expect(missing).to.deep.equal([]);
  });

  it('does not give the operator the component rules it only hands out', () => {
    const operatorGrants = new Set(operatorClusterRole.flatMap(grants));
    const handedOut = ['/persistentvolumes:delete', '/persistentvolumes:create', 'csi.aliyun.com/localvolumes:create', 'csi.aliyun.com/nodelocalstorages:update', 'storage.k8s.io/csistoragecapacities:create', 'snapshot.storage.k8s.io/volumesnapshotcontents:update', 'coordination.k8s.io/leases:update'];
    expect(handedOut.filter((g) => operatorGrants.has(g))).to.deep.equal([]);
  });

  it('writes namespaced kinds only through the operand role (bound in the operand namespace), never cluster-wide', () => {
    const clusterWide = Object.values(resourceOfKind)
      .filter((k) => k.namespaced)
      .flatMap(({ resource }) => ['create', 'update', 'patch', 'delete'].filter((v) => covers(operatorClusterRole, resource.slice(0, resource.indexOf('/')), resource.slice(resource.indexOf('/') + 1), v)).map((v) => `${resource}:${v}`));
    // RoleBindings are the exception: the operator must create its own one before it holds anything there.
    expect(clusterWide).to.deep.equal(['rbac.authorization.k8s.io/rolebindings:create']);
  });

  it('lets the operator create, update, patch and delete every object it renders', () => {
    const missing = stack.flatMap((o) => {
      const kind = resourceOfKind[o.kind];
      if (!kind) return [`${o.kind}: no known resource`];
      const slash = kind.resource.indexOf('/');
      const [group, resource] = [kind.resource.slice(0, slash), kind.resource.slice(slash + 1)];
      const verbs = o.kind === 'Namespace' ? ['get', 'create'] : ['get', 'create', 'update', 'patch', 'delete'];
      const rules = kind.namespaced ? [...operatorClusterRole, ...operandRole] : operatorClusterRole;
      return verbs.filter((v) => !covers(rules, group, resource, v, v === 'create' ? undefined : o.metadata.name)).map((v) => `${o.kind}/${o.metadata.name}: ${v}`);
    });
    expect(missing).to.deep.equal([]);
  });

  it("names the operator's operand RoleBinding unlike any install RoleBinding (the operand namespace may be the operator's)", () => {
    const own = operatorOperandBinding('open-local-system', 'open-local', 'open-local-system');
    expect(ofKind(install, 'RoleBinding').map((b) => `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`)).to.not.include(`open-local-system/${own.metadata.name}`);
  });

  it('gives the node pods (CSI node plugin and agent) exactly what they do, nothing more', () => {
    const node = one(install, 'ClusterRole', 'open-local-node').rules ?? [];
    expect(node.flatMap(grants).sort()).to.deep.equal(
      [
        // CSI node plugin
        '/nodes:get',
        ...['get', 'list', 'watch'].map((v) => `/persistentvolumes:${v}`),
        ...['get', 'list', 'watch', 'update', 'patch'].map((v) => `csi.aliyun.com/localvolumes:${v}`),
        ...['update', 'patch'].map((v) => `csi.aliyun.com/localvolumes/status:${v}`),
        '/events:create',
        '/events:patch',
        // agent
        ...['get', 'list', 'watch'].map((v) => `csi.aliyun.com/nodelocalstorages:${v}`),
        ...['get', 'update', 'patch'].map((v) => `csi.aliyun.com/nodelocalstorages/status:${v}`),
        ...['get', 'list', 'watch'].flatMap((v) => [`snapshot.storage.k8s.io/volumesnapshotcontents:${v}`, `snapshot.storage.k8s.io/volumesnapshotclasses:${v}`]),
      ].sort(),
    );
    expect(node.some((r) => r.resourceNames)).to.equal(false);
  });

  it('lets no component read Secrets', () => {
    const readers = roles(install).flatMap(({ id, rules }) =>
      rules.flatMap(grants).filter((g) => /^\/secrets:(get|list|watch)$/.test(g)).map((g) => `${id}: ${g}`),
    );
    expect(readers).to.deep.equal([]);
  });
});
