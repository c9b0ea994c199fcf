import { expect } from 'chai';
import type { LabelSelector, ResourceToBeInited } from '../../../api/generated/types.js';
import { canonicalJson, initConfigHash, resolveNodeConfig, selectorMatches, type StorageConfigSource } from '../../../lib/storage-config.js';

const vgs = (name: string, ...devices: string[]): ResourceToBeInited => ({ vgs: [{ name, devices }] });

describe('lib/storage-config', () => {
  describe('resolveNodeConfig (Open-Local NLSC semantics)', () => {
    const source: StorageConfigSource = {
      globalConfig: { listConfig: { vgs: { include: ['pool-.*'] } }, resourceToBeInited: vgs('pool-0', '/dev/vdb') },
      nodesConfig: [
        { selector: { matchLabels: { disk: 'nvme' } }, resourceToBeInited: vgs('pool-0', '/dev/nvme0n1') },
        { selector: { matchLabels: { role: 'db' } }, listConfig: { vgs: { include: ['db-.*'] } } },
        { resourceToBeInited: vgs('never', '/dev/vdz') },
      ],
    };
    const table: [string, Record<string, string>, unknown][] = [
      ['takes globalConfig when no entry matches', {}, source.globalConfig],
      ['replaces all three blocks with the matching entry', { disk: 'nvme' }, { resourceToBeInited: vgs('pool-0', '/dev/nvme0n1') }],
      ['lets the last match win, even with empty blocks (no field-level merge)', { disk: 'nvme', role: 'db' }, { listConfig: { vgs: { include: ['db-.*'] } } }],
      ['never matches an entry without a selector', { anything: 'x' }, source.globalConfig],
    ];
    for (const [name, labels, want] of table) {
      it(name, () => {
        expect(resolveNodeConfig(source, labels)).to.deep.equal(want);
      });
    }
    it('gives an empty config for an empty source', () => {
      expect(resolveNodeConfig({}, { a: 'b' })).to.deep.equal({});
    });
  });

  describe('selectorMatches', () => {
    const labels = { zone: 'a', disk: 'ssd', empty: '' };
    const table: [string, LabelSelector, boolean][] = [
      ['{} selects everything', {}, true],
      ['matchLabels equal', { matchLabels: { zone: 'a' } }, true],
      ['matchLabels different', { matchLabels: { zone: 'b' } }, false],
      ['In', { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd', 'ssd'] }] }, true],
      ['In on a missing key', { matchExpressions: [{ key: 'gpu', operator: 'In', values: ['x'] }] }, false],
      ['NotIn', { matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }, false],
      ['NotIn on a missing key', { matchExpressions: [{ key: 'gpu', operator: 'NotIn', values: ['x'] }] }, true],
      ['Exists with an empty value', { matchExpressions: [{ key: 'empty', operator: 'Exists' }] }, true],
      ['DoesNotExist', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, false],
      ['all terms must hold', { matchLabels: { zone: 'a' }, matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }, false],
    ];
    for (const [name, selector, want] of table) {
      it(`${name} → ${String(want)}`, () => {
        expect(selectorMatches(selector, labels)).to.equal(want);
      });
    }
  });

  describe('initConfigHash', () => {
    it('is the same for the same config whatever the key order', () => {
      const a = { vgs: [{ name: 'p', devices: ['/dev/a'] }], mountpoints: [] } as ResourceToBeInited;
      const b = { mountpoints: [], vgs: [{ devices: ['/dev/a'], name: 'p' }] } as ResourceToBeInited;
      expect(initConfigHash(a)).to.equal(initConfigHash(b));
      expect(initConfigHash(a)).to.match(/^[0-9a-f]{16}$/);
    });
    it('changes when a device is added, and treats a missing config as empty', () => {
      expect(initConfigHash(vgs('p', '/dev/a'))).not.to.equal(initConfigHash(vgs('p', '/dev/a', '/dev/b')));
      expect(initConfigHash(undefined)).to.equal(initConfigHash({}));
    });
    it('keeps list order significant (device order is part of the VG layout)', () => {
      expect(canonicalJson(['b', 'a'])).to.not.equal(canonicalJson(['a', 'b']));
    });
  });
});
