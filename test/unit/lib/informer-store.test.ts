import { expect } from 'chai';
import { storeFromList, type Store } from '../../../lib/informer.js';
import type { KubeObject } from '../../../lib/kube-object.js';

const obj = (name: string, rv: string, namespace?: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion: rv } });
const names = (changes: [string, KubeObject][]) => changes.map(([e, o]) => `${e} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`).sort();

describe('lib/informer storeFromList', () => {
  it('raises an add for every object of the first LIST', () => {
    const { store, changes } = storeFromList(new Map(), [obj('a', '1', 'x'), obj('b', '2', 'y'), obj('n', '3')]);
    expect(names(changes)).to.deep.equal(['add /n', 'add x/a', 'add y/b']);
    expect(store.get('x')?.get('a')?.metadata?.resourceVersion).to.equal('1');
    expect(store.get('')?.get('n')?.metadata?.resourceVersion).to.equal('3');
  });

  it('on a re-LIST raises what changed only: updates by resourceVersion, deletes with their last state', () => {
    const previous: Store<KubeObject> = storeFromList(new Map(), [obj('same', '1', 'x'), obj('changed', '2', 'x'), obj('gone', '3', 'x'), obj('alone', '4', 'z')]).store;
    const { store, changes } = storeFromList(previous, [obj('same', '1', 'x'), obj('changed', '5', 'x'), obj('new', '6', 'x')]);
    expect(names(changes)).to.deep.equal(['add x/new', 'delete x/gone', 'delete z/alone', 'update x/changed']);
    expect(changes.find(([e]) => e === 'delete')?.[1].metadata?.resourceVersion).to.be.oneOf(['3', '4']);
    expect([...store.keys()]).to.deep.equal(['x']);
    expect(store.get('x')?.get('changed')?.metadata?.resourceVersion).to.equal('5');
  });
});
