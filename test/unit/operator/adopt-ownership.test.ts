import { expect } from 'chai';
import type { KubeObject } from '../../../lib/kube-object.js';
import { ADOPTED_ANNOTATION, adoptionMessage, asAdopted, ownershipOf } from '../../../operator/operands/ownership.js';

const sc = (metadata: KubeObject['metadata']): KubeObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'open-local-lvm', ...metadata } });

describe('operand ownership (adoption is explicit)', () => {
  it('an object an OpenLocalCluster created is open-local\'s', () => {
    expect(ownershipOf(sc({ ownerReferences: [{ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'OpenLocalCluster', name: 'x', uid: 'u' }] }))).to.equal('open-local');
  });

  it('an object a Helm install created is foreign, whatever else owns it', () => {
    expect(ownershipOf(sc({ labels: { 'app.kubernetes.io/managed-by': 'Helm' } }))).to.equal('foreign');
    expect(ownershipOf(sc({}))).to.equal('foreign');
    expect(ownershipOf(sc({ ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'u' }] }))).to.equal('foreign');
  });

  it('an object the user labelled managed-by=open-local-operator is handed over (and stays so once adopted)', () => {
    expect(ownershipOf(sc({ labels: { 'app.kubernetes.io/managed-by': 'open-local-operator' } }))).to.equal('handedOver');
    expect(ownershipOf(sc({ annotations: { [ADOPTED_ANNOTATION]: 'true' } }))).to.equal('handedOver');
  });

  it('applies an adopted object without owner reference (garbage collection, prune and deletion leave it) and marks it', () => {
    const desired = sc({ ownerReferences: [{ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'OpenLocalCluster', name: 'x', uid: 'u' }], annotations: { a: 'b' } });
    const adopted = asAdopted(desired);
    expect(adopted.metadata?.ownerReferences).to.equal(undefined);
    expect(adopted.metadata?.annotations).to.deep.equal({ a: 'b', [ADOPTED_ANNOTATION]: 'true' });
    expect(desired.metadata?.ownerReferences).to.have.length(1);
  });

  it('tells the user which object and how to hand it over', () => {
    const msg = adoptionMessage('StorageClass/open-local-lvm', sc({ labels: { 'app.kubernetes.io/managed-by': 'Helm' } }));
    expect(msg).to.include('StorageClass/open-local-lvm exists and was not created by open-local (managed by Helm)');
    expect(msg).to.include('kubectl label --overwrite storageclass open-local-lvm app.kubernetes.io/managed-by=open-local-operator');
    expect(adoptionMessage('ConfigMap/ns/c', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } })).to.include('configmap c -n ns');
  });
});
