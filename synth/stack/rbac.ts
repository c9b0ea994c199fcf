import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { componentLabels, type ComponentName } from '../names.js';
import { componentRules, type Rule } from '../rbac-rules.js';

export const toPolicyRules = (rules: readonly Rule[]): k8s.PolicyRule[] =>
  rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
    ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
  }));

/** One ServiceAccount per component, bound to exactly that component's rules. */
export function addComponentRbac(chart: Chart, component: ComponentName, namespace: string, instance: string): void {
  const rules = componentRules[component];
  if (!rules) throw new Error(`no RBAC rules defined for component ${component}`);
  const labels = componentLabels(component, instance);
  const subject = { kind: 'ServiceAccount', name: component, namespace };
  new k8s.KubeServiceAccount(chart, `${component}-sa`, { metadata: { name: component, namespace, labels } });
  if (rules.cluster.length > 0) {
    new k8s.KubeClusterRole(chart, `${component}-clusterrole`, {
      metadata: { name: component, labels },
      rules: toPolicyRules(rules.cluster),
    });
    new k8s.KubeClusterRoleBinding(chart, `${component}-clusterrolebinding`, {
      metadata: { name: component, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: component },
      subjects: [subject],
    });
  }
  if (rules.namespaced.length > 0) {
    new k8s.KubeRole(chart, `${component}-role`, {
      metadata: { name: component, namespace, labels },
      rules: toPolicyRules(rules.namespaced),
    });
    new k8s.KubeRoleBinding(chart, `${component}-rolebinding`, {
      metadata: { name: component, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: component },
      subjects: [subject],
    });
  }
}
