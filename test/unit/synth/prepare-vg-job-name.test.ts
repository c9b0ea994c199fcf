import { expect } from 'chai';
import { prepareVgJobName } from '../../../synth/stack/prepare-vg-job.js';

/** RFC 1123 label: what a Job name must be so its pods' job-name label is valid. */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const long60 = 'a'.repeat(60);

describe('prepareVgJobName', () => {
  const table: readonly { readonly node: string; readonly readable: string }[] = [
    { node: 'worker-1', readable: 'prepare-vg-worker-1-' },
    { node: 'ip-10-0-1-23.eu-west-1.compute.internal', readable: 'prepare-vg-ip-10-0-1-23-eu-west-1-compute-internal-' },
    { node: 'Worker-1.Example.COM', readable: 'prepare-vg-worker-1-example-com-' },
    { node: 'node_with_underscores', readable: 'prepare-vg-node-with-underscores-' },
    { node: '-leading-and-trailing-.', readable: 'prepare-vg-leading-and-trailing-' },
    { node: `${'x'.repeat(42)}.yz`, readable: `prepare-vg-${'x'.repeat(42)}-` },
    { node: 'n'.repeat(253), readable: `prepare-vg-${'n'.repeat(43)}-` },
    { node: `${long60}-suffix-one`, readable: `prepare-vg-${'a'.repeat(43)}-` },
    { node: '...', readable: 'prepare-vg-' },
    { node: '', readable: 'prepare-vg-' },
  ];

  for (const { node, readable } of table) {
    const shown = node.length > 40 ? `${node.slice(0, 20)}…(${node.length} chars)` : JSON.stringify(node);
    it(`names the Job of node ${shown} as a DNS-1123 label of at most 63 characters starting ${readable}`, () => {
      const name = prepareVgJobName(node);
      expect(name.length).to.be.at.most(63);
      expect(name).to.match(DNS_1123_LABEL);
      expect(name.startsWith(readable), name).to.be.true;
      expect(name.slice(readable.length)).to.match(/^[0-9a-f]{8}$/);
    });
  }

  it('returns the same name for the same node every time', () => {
    for (const { node } of table) expect(prepareVgJobName(node)).to.equal(prepareVgJobName(node));
  });

  it('gives different names to nodes that share a 60-character prefix', () => {
    const a = prepareVgJobName(`${long60}-suffix-one`);
    const b = prepareVgJobName(`${long60}-suffix-two`);
    expect(a).not.to.equal(b);
  });

  it('gives different names to nodes that differ only in case or punctuation', () => {
    const variants = ['worker-1.example.com', 'worker-1-example-com', 'Worker-1.example.com', 'worker_1.example.com'];
    expect(new Set(variants.map((v) => prepareVgJobName(v))).size).to.equal(variants.length);
  });

  it('names the cleanup Job of a node differently from its prepare Job, within 63 characters', () => {
    const node = 'a'.repeat(253);
    expect(prepareVgJobName(node, 'remove')).to.match(/^remove-vg-a+-[0-9a-f]{8}$/).and.have.length.at.most(63);
    expect(prepareVgJobName('worker-1', 'remove')).to.not.equal(prepareVgJobName('worker-1'));
  });
});
