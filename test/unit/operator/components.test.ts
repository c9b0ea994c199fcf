import { expect } from 'chai';
import type { KubeObject } from '../../../lib/kube-object.js';
import { componentStatuses } from '../../../operator/status/components.js';

const desired: KubeObject[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ctrl', namespace: 'ns' } },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'node', namespace: 'ns' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' } },
];

describe('operator/status/components', () => {
  const table: [string, Record<string, KubeObject & { spec?: object; status?: object }>, Record<string, boolean>, Record<string, string | undefined>][] = [
    ['missing workloads are not ready', {}, { ctrl: false, node: false }, { ctrl: 'not created yet', node: 'not created yet' }],
    [
      'available and current workloads are ready',
      {
        ctrl: { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2, updatedReplicas: 2 } },
        node: { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, numberAvailable: 3, updatedNumberScheduled: 3 } },
      },
      { ctrl: true, node: true },
      { ctrl: undefined, node: undefined },
    ],
    [
      'a rollout in progress or a DaemonSet on no node is not ready',
      {
        ctrl: { metadata: { generation: 3 }, spec: { replicas: 1 }, status: { observedGeneration: 2, availableReplicas: 1, updatedReplicas: 1 } },
        node: { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 0, numberAvailable: 0, updatedNumberScheduled: 0 } },
      },
      { ctrl: false, node: false },
      { ctrl: 'rolling out a new spec', node: 'scheduled on no node yet' },
    ],
  ];
  for (const [name, live, ready, messages] of table) {
    it(name, () => {
      const s = componentStatuses(desired, (_k, _ns, n) => live[n]);
      expect(Object.fromEntries(s.map((c) => [c.name, c.ready]))).to.deep.equal(ready);
      expect(Object.fromEntries(s.map((c) => [c.name, c.message]))).to.deep.equal(messages);
    });
  }
});
