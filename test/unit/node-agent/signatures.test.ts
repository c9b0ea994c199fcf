import { expect } from 'chai';
import type { SignatureProbe } from '../../../node-agent/discovery/device-use.js';
import { SignatureCache } from '../../../node-agent/discovery/signatures.js';
import { parseProcSwaps } from '../../../node-agent/discovery/swaps.js';
import type { BlockDevice } from '../../../node-agent/discovery/sysfs.js';

const dev = (name: string, writeStamp?: string): BlockDevice => ({ name, kernelName: name.slice(5), mediaType: 'ssd', size: 1, readOnly: false, partitions: [], holders: [], ...(writeStamp === undefined ? {} : { writeStamp }) });

describe('node-agent/discovery/signatures: the probe cache', () => {
  let probed: string[];
  let answers: Map<string, SignatureProbe>;
  let now: number;
  let cache: SignatureCache;

  beforeEach(() => {
    probed = [];
    answers = new Map();
    now = 0;
    cache = new SignatureCache(
      (path) => {
        probed.push(path);
        return Promise.resolve(answers.get(path) ?? { signatures: [] });
      },
      { maxAgeMs: 60_000, now: () => now },
    );
  });

  it('probes a device once while its write stamp stays, again when it moves', async () => {
    await cache.probeAll([dev('/dev/vdb', 's1'), dev('/dev/vdc', 's1')]);
    await cache.probeAll([dev('/dev/vdb', 's1'), dev('/dev/vdc', 's1')]);
    expect(probed).to.deep.equal(['/dev/vdb', '/dev/vdc']);
    answers.set('/dev/vdc', { signatures: [{ type: 'ext4', label: undefined, offset: '0x438' }] });
    const after = await cache.probeAll([dev('/dev/vdb', 's1'), dev('/dev/vdc', 's2')]);
    expect(probed).to.deep.equal(['/dev/vdb', '/dev/vdc', '/dev/vdc']);
    expect(after.get('/dev/vdc')).to.deep.equal({ signatures: [{ type: 'ext4', label: undefined, offset: '0x438' }] });
  });

  it('re-probes after maxAgeMs even when the stamp stays (a write the counters cannot see)', async () => {
    await cache.probeAll([dev('/dev/vdb', 's1')]);
    now = 59_999;
    await cache.probeAll([dev('/dev/vdb', 's1')]);
    now = 60_000;
    await cache.probeAll([dev('/dev/vdb', 's1')]);
    expect(probed).to.deep.equal(['/dev/vdb', '/dev/vdb']);
  });

  it('never caches a failed probe, nor a device without a stamp', async () => {
    answers.set('/dev/vdb', { error: 'timed out' });
    await cache.probeAll([dev('/dev/vdb', 's1'), dev('/dev/vdc')]);
    const second = await cache.probeAll([dev('/dev/vdb', 's1'), dev('/dev/vdc')]);
    expect(probed).to.deep.equal(['/dev/vdb', '/dev/vdc', '/dev/vdb', '/dev/vdc']);
    expect(second.get('/dev/vdb')).to.deep.equal({ error: 'timed out' });
  });

  it('forgets a device that stopped being a candidate (it is probed afresh when it is one again)', async () => {
    await cache.probeAll([dev('/dev/vdb', 's1')]);
    await cache.probeAll([]);
    await cache.probeAll([dev('/dev/vdb', 's1')]);
    expect(probed).to.deep.equal(['/dev/vdb', '/dev/vdb']);
  });
});

describe('node-agent/discovery/swaps', () => {
  it('reads the Filename column, unescaping octal', () => {
    const text = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda2                               partition\t8388604\t\t0\t\t-2\n/swap\\040file                           file\t\t1048572\t\t0\t\t-3\n';
    expect(parseProcSwaps(text)).to.deep.equal(['/dev/sda2', '/swap file']);
    expect(parseProcSwaps('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n')).to.deep.equal([]);
  });

  it('refuses text that is not /proc/swaps', () => {
    expect(() => parseProcSwaps('nsenter: cannot open /proc/1/ns/mnt')).to.throw(/no Filename header/);
  });
});
