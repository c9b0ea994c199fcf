import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { componentLabels, selectorLabels, type ComponentName } from '../names.js';
import { pullSecrets, restrictedPod } from '../pod-parts.js';
import type { ResolvedSpec } from '../resolved-spec.js';

export interface DeploymentOptions {
  readonly replicas: number;
  readonly containers: k8s.Container[];
  readonly volumes?: k8s.Volume[];
  /** Spread replicas over nodes; a Service-backed component keeps serving when one node goes. */
  readonly spreadOverNodes?: boolean;
}

/** A control-plane Deployment of the stack: own ServiceAccount, restricted pod, critical priority. */
export function addDeployment(chart: Chart, spec: ResolvedSpec, component: ComponentName, options: DeploymentOptions): void {
  const labels = componentLabels(component, spec.name);
  new k8s.KubeDeployment(chart, component, {
    metadata: { name: component, namespace: spec.namespace, labels },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: selectorLabels(component) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1), maxSurge: k8s.IntOrString.fromNumber(0) } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: component,
          automountServiceAccountToken: true,
          priorityClassName: 'system-cluster-critical',
          securityContext: restrictedPod,
          imagePullSecrets: pullSecrets(spec),
          containers: options.containers,
          volumes: options.volumes,
          ...(options.spreadOverNodes
            ? {
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: 'kubernetes.io/hostname',
                    whenUnsatisfiable: 'ScheduleAnyway',
                    labelSelector: { matchLabels: selectorLabels(component) },
                  },
                ],
              }
            : {}),
        },
      },
    },
  });
}
