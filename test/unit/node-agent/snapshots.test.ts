import { expect } from 'chai';
import { pino } from 'pino';
import type { LvReport } from '../../../node-agent/lvm/report.js';
import { extendSnapshots, parseSnapshotPolicy, planSnapshotExtensions, type SnapshotPolicy } from '../../../node-agent/snapshots.js';
import { capturedReport } from './fixtures.js';

const GiB = 2 ** 30;
const lv = (name: string, origin: string, snapPercent: number | undefined, attr = 'swi-a-s---'): LvReport => ({ name, vgName: 'pool0', size: GiB, attr, origin, snapPercent, tags: [], path: `/dev/pool0/${name}` });
const policy = (threshold: number, expansionBytes = GiB): SnapshotPolicy => ({ threshold, expansionBytes });
const silent = pino({ level: 'silent' });

describe('node-agent/snapshots (auto-extension)', () => {
  describe('parseSnapshotPolicy', () => {
    it("uses Open-Local's class defaults (50%, 1Gi) for missing parameters", () => {
      expect(parseSnapshotPolicy(undefined)).to.deep.equal({ threshold: 0.5, expansionBytes: GiB });
    });
    it('reads the class parameters', () => {
      expect(parseSnapshotPolicy({ 'csi.aliyun.com/snapshot-expansion-threshold': '80%', 'csi.aliyun.com/snapshot-expansion-size': '512Mi' })).to.deep.equal({ threshold: 0.8, expansionBytes: 512 * 2 ** 20 });
    });
    const bad: [Record<string, string>, RegExp][] = [
      [{ 'csi.aliyun.com/snapshot-expansion-threshold': '0.5' }, /not a percentage/],
      [{ 'csi.aliyun.com/snapshot-expansion-threshold': '0%' }, /not a percentage/],
      [{ 'csi.aliyun.com/snapshot-expansion-threshold': '120%' }, /not a percentage/],
      [{ 'csi.aliyun.com/snapshot-expansion-size': '1GB' }, /snapshot-expansion-size: "1GB" is not a quantity/],
      [{ 'csi.aliyun.com/snapshot-expansion-size': '0' }, /is 0/],
    ];
    for (const [params, reason] of bad) {
      it(`explains ${JSON.stringify(params)}`, () => {
        expect(parseSnapshotPolicy(params)).to.be.a('string').that.matches(reason);
      });
    }
  });

  describe('planSnapshotExtensions', () => {
    it('grows the captured 62.79% snapshot under a 50% threshold', () => {
      const plan = planSnapshotExtensions(capturedReport().lvs, new Map([['snap-0c1d2e3f', policy(0.5)]]));
      expect(plan.extend).to.deep.equal([{ vg: 'pool0', lv: 'snap-0c1d2e3f', bytes: GiB, usedPercent: 62.79 }]);
      expect(plan.skipped).to.deep.equal([]);
    });

    const table: [string, LvReport, SnapshotPolicy | string | undefined, 'extend' | 'skip' | 'nothing'][] = [
      ['grows above the threshold', lv('snap-a', 'local-a', 51), policy(0.5), 'extend'],
      ['does not grow exactly at the threshold (strictly above, as Open-Local)', lv('snap-a', 'local-a', 50), policy(0.5), 'nothing'],
      ['does not grow below the threshold', lv('snap-a', 'local-a', 10), policy(0.5), 'nothing'],
      ['skips a snapshot without a VolumeSnapshotContent of ours', lv('snap-a', 'local-a', 99), undefined, 'skip'],
      ['skips when the class cannot be read', lv('snap-a', 'local-a', 99), 'VolumeSnapshotClass x does not exist', 'skip'],
      ['skips an overflowed (invalid) snapshot', lv('snap-a', 'local-a', 100, 'swi-I-s---'), policy(0.5), 'skip'],
      ['never touches a snapshot that is not named snap- (someone else’s)', lv('backup-snap', 'home', 99), policy(0.5), 'nothing'],
      ['never touches an LV without origin', lv('snap-a', '', undefined, '-wi-a-----'), policy(0.5), 'nothing'],
    ];
    for (const [name, item, p, want] of table) {
      it(name, () => {
        const plan = planSnapshotExtensions([item], p === undefined ? new Map() : new Map([[item.name, p]]));
        const got = plan.extend.length > 0 ? 'extend' : plan.skipped.length > 0 ? 'skip' : 'nothing';
        expect(got).to.equal(want);
      });
    }
  });

  describe('extendSnapshots', () => {
    it('asks for policies only when snapshot LVs exist, and keeps going after a failed lvextend', async () => {
      const asked: string[][] = [];
      const extended: string[] = [];
      const outcomes: boolean[] = [];
      const options = {
        policies: {
          policies: (names: readonly string[]) => {
            asked.push([...names]);
            return Promise.resolve(new Map(names.map((n) => [n, policy(0.5)])));
          },
        },
        lvm: {
          extendBy: (vg: string, name: string, bytes: number) => {
            extended.push(`${vg}/${name}+${bytes}`);
            return name === 'snap-a' ? Promise.reject(new Error('insufficient free space')) : Promise.resolve();
          },
        },
        log: silent,
        onExtend: (ok: boolean) => outcomes.push(ok),
      };
      expect(await extendSnapshots([lv('local-a', '', undefined, '-wi-a-----')], options)).to.equal(0);
      expect(asked).to.deep.equal([]);
      expect(await extendSnapshots([lv('snap-a', 'local-a', 90), lv('snap-b', 'local-b', 90), lv('snap-c', 'local-c', 5)], options)).to.equal(1);
      expect(asked).to.deep.equal([['snap-a', 'snap-b', 'snap-c']]);
      expect(extended).to.deep.equal([`pool0/snap-a+${GiB}`, `pool0/snap-b+${GiB}`]);
      expect(outcomes).to.deep.equal([false, true]);
    });
  });
});
