import type { Chart } from 'cdk8s';
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { crdManifests } from '../../api/generated/crds.js';
import { componentLabels, names, selectorLabels } from '../names.js';
import { env, healthProbes, HTTP_PORT, nodeCommand, resources, restrictedContainer, restrictedPod } from '../pod-parts.js';
import { componentClusterRoles, OPERATOR_OPERANDS_ROLE, operatorClusterRules, operatorOperandRules, operatorRules } from '../rbac-rules.js';
import { ruleReasons, toPolicyRules } from '../stack/rbac.js';

export interface InstallOptions {
  /** Namespace of the operator itself (operands go where each OpenLocalCluster says). @default open-local-system */
  readonly namespace?: string;
  /** Operator image. @default the open-local image default of the OpenLocalCluster schema */
  readonly image?: string;
}

export const DEFAULT_OPERATOR_NAMESPACE = 'open-local-system';

/**
 * V8 grows its heap lazily up to its own limit, not the container's: capped below the memory limit, it
 * collects in time instead of being OOM-killed (1,000 nodes: peak RSS 382 MiB with a 256 MiB cap, 552 MiB
 * without one; `npm run bench:operator`).
 */
export const OPERATOR_MAX_HEAP_MB = 384;

/**
 * The operator's V8 flags, on node's command line (nodeCommand: NODE_OPTIONS refuses --optimize-for-size). V8 sizes
 * the young generation from the old one's cap: 64 MiB semi-spaces for 384, and the operator's passes fill them, so
 * 128 MiB of RSS was young generation (of 342 MiB at 1,000 nodes; live data is under 10 MiB of a ~70 MiB heap, the
 * rest is loaded code). Small semi-spaces still let a pass's garbage die young. Same bench, 1,000 kwok nodes, one
 * run each (2026-11-30): 16 MiB: peak RSS 207 MiB, 35.5 CPU s to Ready; 4 MiB: 187 MiB, 29.4 s; 2 MiB: 171 MiB but
 * 41.6 s (more scavenges). CR → Ready 133-135 s in all three. Later, with batched passes (RECONCILE_BATCH_MS) and
 * MALLOC_ARENA_MAX=2: 152-154 MiB and 20-21 CPU s; --optimize-for-size (V8 grows the heap less eagerly and
 * compacts more) then 137 MiB for 25.7 CPU s, CR → Ready unchanged (111.6 s, the machine's 2 cores 100% busy).
 */
export const OPERATOR_NODE_OPTIONS: readonly string[] = [`--max-old-space-size=${OPERATOR_MAX_HEAP_MB}`, '--max-semi-space-size=4', '--optimize-for-size'];

/**
 * The operator's environment besides its command line. glibc gives each thread that allocates its own malloc arena
 * (V8's helper threads, libuv's pool: up to 8 per core), and freed memory in one stays resident for that thread; the
 * operator's work is on one thread, so two arenas are plenty. 1,000 kwok nodes (`npm run bench:operator`,
 * 2026-11-30): peak RSS 162 MiB with glibc's default, 152 MiB with 2, CPU to Ready 20.0 and 21.1 s.
 */
export const OPERATOR_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The open-local image default, read from the CRD schema so operator and operands share one pinned tag. */
export function defaultOpenLocalImage(): string {
  const crd = crdManifests.find((c) => c.spec.names.kind === 'OpenLocalCluster');
  const spec = crd?.spec.versions[0]?.schema.openAPIV3Schema.properties as Record<string, Record<string, unknown>> | undefined;
  const images = (spec?.spec?.properties as Record<string, Record<string, unknown>> | undefined)?.images;
  const image = (images?.properties as Record<string, Record<string, unknown>> | undefined)?.openLocal?.default;
  if (typeof image !== 'string') throw new Error('OpenLocalCluster schema has no default for spec.images.openLocal');
  return image;
}

/**
 * The ClusterRoles the operator hands out but does not hold (it has `bind` on their names): the components'
 * roles and its own operand-namespace rights. The OLM bundle ships the same objects.
 */
export function shippedClusterRoles(): k8s.KubeClusterRoleProps[] {
  const labels = componentLabels(names.operator, names.operator);
  return [...componentClusterRoles(), { name: OPERATOR_OPERANDS_ROLE, rules: operatorOperandRules }].map((role) => ({
    metadata: { name: role.name, labels, annotations: ruleReasons(role.rules) },
    rules: toPolicyRules(role.rules),
  }));
}

/** Everything `kubectl apply` needs to run the operator: namespace, CRDs, ServiceAccount, RBAC, Deployment. */
export function addOperatorInstall(chart: Chart, options: InstallOptions): void {
  const namespace = options.namespace ?? DEFAULT_OPERATOR_NAMESPACE;
  const image = options.image ?? defaultOpenLocalImage();
  const labels = componentLabels(names.operator, names.operator);
  new k8s.KubeNamespace(chart, 'namespace', { metadata: { name: namespace, labels } });
  for (const crd of crdManifests) new ApiObject(chart, crd.metadata.name, structuredClone(crd));
  const subject = { kind: 'ServiceAccount', name: names.operator, namespace };
  new k8s.KubeServiceAccount(chart, 'sa', { metadata: { name: names.operator, namespace, labels } });
  new k8s.KubeClusterRole(chart, 'clusterrole', { metadata: { name: names.operator, labels, annotations: ruleReasons(operatorClusterRules()) }, rules: toPolicyRules(operatorClusterRules()) });
  new k8s.KubeClusterRoleBinding(chart, 'clusterrolebinding', {
    metadata: { name: names.operator, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: names.operator },
    subjects: [subject],
  });
  for (const role of shippedClusterRoles()) new k8s.KubeClusterRole(chart, `clusterrole-${role.metadata?.name ?? ''}`, role);
  new k8s.KubeRole(chart, 'role', { metadata: { name: names.operator, namespace, labels, annotations: ruleReasons(operatorRules.namespaced) }, rules: toPolicyRules(operatorRules.namespaced) });
  new k8s.KubeRoleBinding(chart, 'rolebinding', {
    metadata: { name: names.operator, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.operator },
    subjects: [subject],
  });
  new k8s.KubeDeployment(chart, 'deployment', {
    metadata: { name: names.operator, namespace, labels },
    spec: operatorDeploymentSpec(image),
  });
}

/** The operator Deployment's spec; the OLM bundle's CSV embeds the same object. */
export function operatorDeploymentSpec(image: string): k8s.DeploymentSpec {
  const labels = componentLabels(names.operator, names.operator);
  return {
    // Two replicas on different nodes where it can, with Lease leader election: a node drain or a node going down
    // does not stop reconciling.
    replicas: 2,
    selector: { matchLabels: selectorLabels(names.operator) },
    // An upgrade replaces one replica at a time, the old one first: the spread below counts only the new
    // revision's replicas, so the second new one must go to the node the first did not take, and with a surge it
    // would wait for a place on a node still full with an old replica that waits for it in turn. One replica
    // leads at a time anyway (Lease), so one running through the upgrade loses nothing.
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1), maxSurge: k8s.IntOrString.fromNumber(0) } },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: names.operator,
        automountServiceAccountToken: true,
        priorityClassName: 'system-cluster-critical',
        securityContext: restrictedPod,
        // The second replica is there for when the first one's node goes: on the same node it would go too. A
        // hard spread, because a soft one lost to the other scores when both replicas were replaced at once (both
        // landed on one node, and stopping it stopped reconciling). Only the nodes the pod may run on count as
        // domains (taints honoured: cordoned, NotReady and control-plane nodes are not), so one eligible node still
        // runs both replicas. Only one revision's replicas count (matchLabelKeys): during an upgrade the old ones,
        // still running while the new ones are placed, would otherwise let both new ones land on one node.
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor', labelSelector: { matchLabels: selectorLabels(names.operator) }, matchLabelKeys: ['pod-template-hash'] }],
        containers: [
          {
            name: 'operator',
            image,
            imagePullPolicy: 'IfNotPresent',
            command: nodeCommand(OPERATOR_NODE_OPTIONS),
            args: ['operator', `--http-addr=:${HTTP_PORT}`, '--leader-elect=true'],
            env: [env.podName, env.podNamespace, ...Object.entries(OPERATOR_ENV).map(([name, value]) => ({ name, value }))],
            ports: [{ name: 'http', containerPort: HTTP_PORT }],
            ...healthProbes('http'),
            resources: resources('50m', '256Mi', '768Mi'),
            securityContext: restrictedContainer,
          },
        ],
      },
    },
  };
}
