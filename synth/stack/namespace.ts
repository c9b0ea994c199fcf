import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { componentLabels, names } from '../names.js';
import type { ResolvedSpec } from '../resolved-spec.js';

/** The operand namespace. The node pods are privileged, so Pod Security must allow it there. */
export function addNamespace(chart: Chart, spec: ResolvedSpec): void {
  new k8s.KubeNamespace(chart, 'namespace', {
    metadata: {
      name: spec.namespace,
      labels: {
        ...componentLabels(names.operator, spec.name),
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/audit': 'privileged',
        'pod-security.kubernetes.io/warn': 'privileged',
      },
    },
  });
}
