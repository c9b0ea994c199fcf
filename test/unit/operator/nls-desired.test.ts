import { expect } from 'chai';
import type { NodeLocalStorage, NodeLocalStorageInitConfig } from '../../../api/generated/types.js';
import { decideNls, desiredNlsSpec } from '../../../operator/nls-controller/desired.js';

const nlsc: NodeLocalStorageInitConfig = {
  spec: {
    globalConfig: { listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] } } },
    nodesConfig: [{ selector: { matchLabels: { disk: 'nvme' } }, listConfig: { devices: { include: ['/dev/nvme.*'] } } }],
  },
};
const nls = (spec: object): NodeLocalStorage => ({ metadata: { name: 'n1' }, spec });

describe('operator/nls-controller/desired', () => {
  it('fills nodeName and the matching blocks', () => {
    expect(desiredNlsSpec(nlsc, { name: 'n1', labels: { disk: 'nvme' } })).to.deep.equal({ nodeName: 'n1', listConfig: { devices: { include: ['/dev/nvme.*'] } } });
    expect(desiredNlsSpec(undefined, { name: 'n1', labels: {} })).to.deep.equal({ nodeName: 'n1' });
  });

  const node = { name: 'n1', labels: {} };
  const want = desiredNlsSpec(nlsc, node);
  const table: [string, Parameters<typeof decideNls>, ReturnType<typeof decideNls>][] = [
    ['creates the NLS of a new node', [node, 'n1', undefined, nlsc, true], { type: 'create', node: 'n1', spec: want }],
    ['leaves a matching NLS alone', [node, 'n1', nls(want), nlsc, true], undefined],
    ['reverts a manual spec edit (UpdateNLS)', [node, 'n1', nls({ nodeName: 'n1' }), nlsc, true], { type: 'update', node: 'n1', spec: want }],
    ['keeps a manual edit with UpdateNLS off', [node, 'n1', nls({ nodeName: 'n1' }), nlsc, false], undefined],
    ['deletes the NLS of a removed node', [undefined, 'n1', nls(want), nlsc, true], { type: 'delete', node: 'n1' }],
    ['does nothing for a removed node without NLS', [undefined, 'n1', undefined, nlsc, true], undefined],
    ['does not empty a spec while the init config is absent', [node, 'n1', nls(want), undefined, true], undefined],
    ['creates no NLS before the init config exists', [node, 'n1', undefined, undefined, true], undefined],
    ['still deletes the NLS of a removed node without the init config', [undefined, 'n1', nls(want), undefined, true], { type: 'delete', node: 'n1' }],
  ];
  for (const [name, args, expected] of table) {
    it(name, () => {
      expect(decideNls(...args)).to.deep.equal(expected);
    });
  }
});
