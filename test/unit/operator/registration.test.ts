import { expect } from 'chai';
import type { ComponentStatus } from '../../../api/generated/types.js';
import { CSI_NODE_ID_ANNOTATION, registersDriver, withRegistration } from '../../../operator/status/registration.js';

describe('operator/status/registration', () => {
  const driver = 'local.csi.aliyun.com';

  it('reads the kubelet\'s node-ID map: registered only when the driver is a key of well-formed JSON', () => {
    const cases: [Record<string, string> | undefined, boolean][] = [
      [undefined, false],
      [{}, false],
      [{ [CSI_NODE_ID_ANNOTATION]: JSON.stringify({ [driver]: 'node-a' }) }, true],
      [{ [CSI_NODE_ID_ANNOTATION]: JSON.stringify({ 'other.csi.example.com': 'node-a', [driver]: 'node-a' }) }, true],
      [{ [CSI_NODE_ID_ANNOTATION]: JSON.stringify({ 'other.csi.example.com': 'node-a' }) }, false],
      [{ [CSI_NODE_ID_ANNOTATION]: '{not json' }, false],
      [{ [CSI_NODE_ID_ANNOTATION]: 'null' }, false],
      [{ [CSI_NODE_ID_ANNOTATION]: JSON.stringify({ toString: 'x' }) }, false],
    ];
    for (const [annotations, want] of cases) expect(registersDriver(annotations, driver), JSON.stringify(annotations)).to.equal(want);
  });

  const components: ComponentStatus[] = [
    { name: 'open-local-controller', kind: 'Deployment', ready: true, desired: 1, available: 1 },
    { name: 'open-local-node', kind: 'DaemonSet', ready: true, desired: 5, available: 5 },
  ];

  it('keeps the node plugin DaemonSet unavailable while a kubelet has not registered the driver, naming at most 3 nodes', () => {
    const out = withRegistration(components, 'open-local-node', ['a', 'b', 'c', 'd']);
    expect(out[0]).to.deep.equal(components[0]);
    expect(out[1]).to.include({ ready: false, message: 'the kubelet has not registered the driver on a, b, c and 1 more' });
  });

  it('changes nothing when every kubelet registered it, or when the DaemonSet is not available anyway', () => {
    expect(withRegistration(components, 'open-local-node', [])).to.deep.equal(components);
    const rolling: ComponentStatus[] = [{ name: 'open-local-node', kind: 'DaemonSet', ready: false, desired: 5, available: 3, message: '3/5 available' }];
    expect(withRegistration(rolling, 'open-local-node', ['a'])).to.deep.equal(rolling);
  });
});
