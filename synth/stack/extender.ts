import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { stringify } from 'yaml';
import { componentLabels, names, selectorLabels } from '../names.js';
import { env, healthProbes, resources, restrictedContainer, startupProbe } from '../pod-parts.js';
import type { ResolvedSpec } from '../resolved-spec.js';
import { addDeployment } from './deployment.js';

const TLS_DIR = '/etc/open-local/tls';
/**
 * The extender's V8 heap limits (`npm run bench:extender` runs it with the same). V8 grows its heap lazily up to
 * its own limit, not the container's; capped, it collects in time: the state at 5,000 nodes and 20,000 PVs fits well
 * below 192 MiB. V8 sizes the young generation from the old one's cap (64 MiB semi-spaces for 192), and so near the
 * reservation it ran a full collection every few requests (60 ms of CPU per 5,000-node request instead of 5); 16
 * MiB semi-spaces still let a request's garbage die young.
 */
export const EXTENDER_NODE_OPTIONS: readonly string[] = ['--max-old-space-size=192', '--max-semi-space-size=16'];
/** Where kube-scheduler's host must hold the extender's CA (ca.crt of the TLS Secret). */
export const EXTENDER_CA_FILE = '/etc/kubernetes/pki/open-local-extender-ca.crt';

/** The kube-scheduler `extenders[]` entry that makes the scheduler ask open-local where volumes fit. */
export function schedulerExtenderEntry(spec: ResolvedSpec): Record<string, unknown> {
  const scheme = spec.extender.tls.enabled ? 'https' : 'http';
  return {
    urlPrefix: `${scheme}://${names.extender}.${spec.namespace}.svc:${spec.extender.port}/scheduler`,
    filterVerb: 'predicates',
    prioritizeVerb: 'priorities',
    weight: 10,
    enableHTTPS: spec.extender.tls.enabled,
    ...(spec.extender.tls.enabled ? { tlsConfig: { insecure: false, serverName: `${names.extender}.${spec.namespace}.svc`, caFile: EXTENDER_CA_FILE } } : {}),
    httpTimeout: '5s',
    nodeCacheCapable: true,
    // Scheduling must not stop when the extender is briefly away; CreateVolume re-checks capacity.
    ignorable: true,
  };
}

/** Extender Deployment, its Service, and a ConfigMap holding the scheduler configuration to merge. */
export function addExtender(chart: Chart, spec: ResolvedSpec): void {
  const port = spec.extender.port;
  const tls = spec.extender.tls;
  addDeployment(chart, spec, names.extender, {
    replicas: spec.extender.replicas,
    spreadOverNodes: true,
    containers: [
      {
        name: 'extender',
        image: spec.images.openLocal,
        imagePullPolicy: spec.images.pullPolicy,
        args: [
          'extender',
          `--port=${port}`,
          `--strategy=${spec.extender.strategy}`,
          `--log-level=${spec.logLevel}`,
          ...(tls.enabled ? [`--tls-cert-file=${TLS_DIR}/tls.crt`, `--tls-key-file=${TLS_DIR}/tls.key`] : []),
        ],
        env: [env.podName, env.podNamespace, { name: 'NODE_OPTIONS', value: EXTENDER_NODE_OPTIONS.join(' ') }],
        ports: [{ name: 'http', containerPort: port }],
        ...(tls.enabled ? {} : healthProbes('http')),
        ...(tls.enabled
          ? {
              startupProbe: startupProbe('http', 'HTTPS'),
              livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('http'), scheme: 'HTTPS' }, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 },
              readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('http'), scheme: 'HTTPS' }, periodSeconds: 10 },
            }
          : {}),
        resources: resources('50m', '128Mi', '1Gi'),
        securityContext: restrictedContainer,
        volumeMounts: tls.enabled ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : undefined,
      },
    ],
    volumes: tls.enabled ? [{ name: 'tls', secret: { secretName: tls.secretName } }] : undefined,
  });
  const labels = componentLabels(names.extender, spec.name);
  new k8s.KubeService(chart, 'extender-service', {
    metadata: { name: names.extender, namespace: spec.namespace, labels },
    spec: {
      selector: selectorLabels(names.extender),
      ports: [{ name: 'http', port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
    },
  });
  const entry = schedulerExtenderEntry(spec);
  new k8s.KubeConfigMap(chart, 'scheduler-config', {
    metadata: { name: names.schedulerConfig, namespace: spec.namespace, labels },
    data: {
      'extender.yaml': stringify([entry]),
      'kube-scheduler-config.yaml': stringify({
        apiVersion: 'kubescheduler.config.k8s.io/v1',
        kind: 'KubeSchedulerConfiguration',
        clientConnection: { kubeconfig: '/etc/kubernetes/scheduler.conf' },
        extenders: [entry],
      }),
    },
  });
}
