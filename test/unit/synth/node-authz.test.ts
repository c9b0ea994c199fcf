// The admission policy that keeps each node plugin to its own node's LocalVolumes, as rendered (its effect on a
// real API server: test/integration/csi/node-authz.test.ts).
import type { V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding } from '@kubernetes/client-node';
import { expect } from 'chai';
import { renderStack, type KubeObject } from '../../../synth/render.js';
import { loadExample, withField } from '../../fixtures/examples.js';

const POLICY = 'open-local-node-localvolumes';

function policyOf(objects: readonly KubeObject[]): V1ValidatingAdmissionPolicy {
  const found = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
  expect(found.map((o) => o.metadata.name)).to.deep.equal([POLICY]);
  return found[0] as unknown as V1ValidatingAdmissionPolicy;
}

describe('synth: node LocalVolume admission policy', () => {
  const objects = renderStack(loadExample('minimal'));
  const policy = policyOf(objects);

  it('matches only writes of the node ServiceAccount of the operand namespace', () => {
    expect(policy.spec?.matchConditions).to.deep.equal([{ name: 'node-plugin', expression: "request.userInfo.username == 'system:serviceaccount:open-local:open-local-node'" }]);
    const custom = policyOf(renderStack(withField(loadExample('minimal'), 'spec.namespace', 'storage')));
    expect(custom.spec?.matchConditions?.[0]?.expression).to.equal("request.userInfo.username == 'system:serviceaccount:storage:open-local-node'");
  });

  it('covers create, update (patch) and delete of LocalVolumes and their status, and fails closed', () => {
    expect(policy.spec?.failurePolicy).to.equal('Fail');
    expect(policy.spec?.matchConstraints?.resourceRules).to.deep.equal([
      { apiGroups: ['csi.aliyun.com'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources: ['localvolumes', 'localvolumes/status'] },
    ]);
  });

  it("compares the old and the new object's spec.nodeName with the token's node-name claim, refusing a token without one", () => {
    const validations = policy.spec?.validations ?? [];
    expect(policy.spec?.variables?.[0]?.expression).to.include("request.userInfo.extra['authentication.kubernetes.io/node-name']");
    expect(validations.map((v) => v.expression)).to.deep.equal([
      "variables.callerNode != ''",
      "variables.callerNode == '' || oldObject == null || oldObject.spec.nodeName == variables.callerNode",
      "variables.callerNode == '' || object == null || object.spec.nodeName == variables.callerNode",
    ]);
    for (const v of validations) {
      expect(v.reason, v.expression).to.equal('Forbidden');
      expect(v.message, v.expression).to.match(/^open-local-node may write /);
    }
  });

  it('is bound to deny, for every request it matches', () => {
    const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding') as unknown[] as V1ValidatingAdmissionPolicyBinding[];
    expect(bindings.map((b) => ({ name: b.metadata?.name, spec: b.spec }))).to.deep.equal([{ name: POLICY, spec: { policyName: POLICY, validationActions: ['Deny'] } }]);
  });

  it('is applied before the node DaemonSet starts a plugin', () => {
    const at = (kind: string) => objects.findIndex((o) => o.kind === kind);
    expect(at('ValidatingAdmissionPolicy')).to.be.lessThan(at('ValidatingAdmissionPolicyBinding'));
    expect(at('ValidatingAdmissionPolicyBinding')).to.be.lessThan(at('DaemonSet'));
  });
});
