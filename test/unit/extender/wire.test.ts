import { expect } from 'chai';
import { hostPriorityListJson } from '../../../extender/wire.js';

describe('extender/wire', () => {
  it('writes the HostPriorityList as JSON.stringify would, escaping names that need it', () => {
    const hosts = ['node-1', 'ip-10-0-0-1.ec2.internal', 'we"ird\\name', 'nœud', ''];
    const scores = [10, 0, 3, 7, 1];
    const json = hostPriorityListJson(hosts, scores).toString();
    expect(json).to.equal(JSON.stringify(hosts.map((Host, i) => ({ Host, Score: scores[i] }))));
    expect(JSON.parse(json)).to.deep.equal(hosts.map((Host, i) => ({ Host, Score: scores[i] })));
  });

  it('scores a host without a score 0, and an empty list is []', () => {
    expect(hostPriorityListJson(['a', 'b'], [4]).toString()).to.equal('[{"Host":"a","Score":4},{"Host":"b","Score":0}]');
    expect(hostPriorityListJson([], []).toString()).to.equal('[]');
  });
});
