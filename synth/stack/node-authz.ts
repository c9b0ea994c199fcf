import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { API_GROUP } from '../../api/group.js';
import { componentLabels, names } from '../names.js';
import type { ResolvedSpec } from '../resolved-spec.js';

/**
 * The claim the API server adds to a ServiceAccount token bound to a pod that runs on a node: the name of that
 * node (the kubelet mounts such tokens). A token made without a pod binding has no such claim.
 */
export const NODE_NAME_CLAIM = 'authentication.kubernetes.io/node-name';

/** CEL string literal (single-quoted; the names it quotes are DNS labels, but escape anyway). */
const celString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The node plugins share one ServiceAccount, and RBAC cannot tell one node from another: without this policy,
 * a compromised node could rewrite or release (remove the finalizer of) any node's volumes. The API server
 * admits a write of the node ServiceAccount to a LocalVolume only when the object's spec.nodeName, before and
 * after, is the node its token is bound to. Other identities (csi-controller, operator, users) are not matched.
 */
export function addNodeAuthzPolicy(chart: Chart, spec: ResolvedSpec): void {
  const labels = componentLabels(names.node, spec.name);
  const nodeUser = `system:serviceaccount:${spec.namespace}:${names.node}`;
  const claim = celString(NODE_NAME_CLAIM);
  const denied = (obj: 'object' | 'oldObject', when: string) =>
    `'${names.node} on node ' + variables.callerNode + ' may not ${when} LocalVolume ' + ${obj}.metadata.name + ': it belongs to node ' + ${obj}.spec.nodeName`;
  new k8s.KubeValidatingAdmissionPolicy(chart, names.nodeAuthz, {
    metadata: { name: names.nodeAuthz, labels },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [API_GROUP],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: ['localvolumes', 'localvolumes/status'],
          },
        ],
      },
      matchConditions: [{ name: 'node-plugin', expression: `request.userInfo.username == ${celString(nodeUser)}` }],
      variables: [
        {
          name: 'callerNode',
          expression: `has(request.userInfo.extra) && ${claim} in request.userInfo.extra && size(request.userInfo.extra[${claim}]) == 1 ? request.userInfo.extra[${claim}][0] : ''`,
        },
      ],
      validations: [
        {
          expression: `variables.callerNode != ''`,
          message: `${names.node} may write LocalVolumes only with a token bound to a pod on a node (claim ${NODE_NAME_CLAIM}); this token has none`,
          reason: 'Forbidden',
        },
        {
          expression: `variables.callerNode == '' || oldObject == null || oldObject.spec.nodeName == variables.callerNode`,
          messageExpression: denied('oldObject', 'change or delete'),
          message: `${names.node} may write only the LocalVolumes of the node its token is bound to`,
          reason: 'Forbidden',
        },
        {
          expression: `variables.callerNode == '' || object == null || object.spec.nodeName == variables.callerNode`,
          messageExpression: denied('object', 'write'),
          message: `${names.node} may write only the LocalVolumes of the node its token is bound to`,
          reason: 'Forbidden',
        },
      ],
    },
  });
  new k8s.KubeValidatingAdmissionPolicyBinding(chart, `${names.nodeAuthz}-binding`, {
    metadata: { name: names.nodeAuthz, labels },
    spec: { policyName: names.nodeAuthz, validationActions: ['Deny'] },
  });
}
