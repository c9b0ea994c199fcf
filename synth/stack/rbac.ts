import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { componentLabels, names, type ComponentName } from '../names.js';
import { componentClusterRoleName, componentNamespacedRoleName, componentRules, OPERATOR_OPERANDS_ROLE, type Rule } from '../rbac-rules.js';
import type { KubeObject } from '../render.js';

export const toPolicyRules = (rules: readonly Rule[]): k8s.PolicyRule[] =>
  rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
    ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
  }));

/** Why each rule of a role exists, one line per rule in order ("0: ..."): what `kubectl get -o yaml` shows. */
export const RULE_REASONS_ANNOTATION = 'csi.aliyun.com/rule-reasons';
export const ruleReasons = (rules: readonly Rule[]): Record<string, string> => ({
  [RULE_REASONS_ANNOTATION]: rules.map((r, i) => `${i}: ${r.why}`).join('\n'),
});

/**
 * One ServiceAccount per component, bound to exactly that component's rules: the ClusterRoles the operator
 * install ships (see synth/rbac-rules.ts), the namespaced ones bound only inside the operand namespace.
 */
export function addComponentRbac(chart: Chart, component: ComponentName, namespace: string, instance: string): void {
  const rules = componentRules[component];
  if (!rules) throw new Error(`no RBAC rules defined for component ${component}`);
  const labels = componentLabels(component, instance);
  const subject = { kind: 'ServiceAccount', name: component, namespace };
  new k8s.KubeServiceAccount(chart, `${component}-sa`, { metadata: { name: component, namespace, labels } });
  if (rules.cluster.length > 0) {
    new k8s.KubeClusterRoleBinding(chart, `${component}-clusterrolebinding`, {
      metadata: { name: component, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: componentClusterRoleName(component) },
      subjects: [subject],
    });
  }
  if (rules.namespaced.length > 0) {
    new k8s.KubeRoleBinding(chart, `${component}-rolebinding`, {
      metadata: { name: component, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: componentNamespacedRoleName(component) },
      subjects: [subject],
    });
  }
}

/**
 * The RoleBinding that gives the operator's ServiceAccount its write rights in the operand namespace (it holds
 * `bind` on that ClusterRole, not the rights themselves cluster-wide). Applied right after the namespace.
 */
export function operatorOperandBinding(namespace: string, instance: string, operatorNamespace: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    // Not named like the install's own RoleBinding: the operand namespace may be the operator's.
    metadata: { name: OPERATOR_OPERANDS_ROLE, namespace, labels: componentLabels(names.operator, instance) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_OPERANDS_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: names.operator, namespace: operatorNamespace }],
  };
}

export const isOperatorOperandBinding = (o: { kind?: string; metadata?: { name?: string } }): boolean => o.kind === 'RoleBinding' && o.metadata?.name === OPERATOR_OPERANDS_ROLE;
