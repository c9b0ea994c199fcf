import { expect } from 'chai';
import { applyReservation, parseReservations, reservedBytes, type Reservation } from '../../../node-agent/reserved.js';

const GiB = 2 ** 30;

describe('node-agent/reserved (csi.aliyun.com/storage-reserved)', () => {
  it('reads byte quantities and percentages per VG', () => {
    const r = parseReservations('{"pool-0":"100Gi","pool-1":"10%","pool-2":"12.5%","pool-3":"1.5G"}');
    expect(r.problems).to.deep.equal([]);
    expect(Object.fromEntries(r.byVg)).to.deep.equal({ 'pool-0': { bytes: 100 * GiB }, 'pool-1': { percent: 10 }, 'pool-2': { percent: 12.5 }, 'pool-3': { bytes: 1.5e9 } });
  });

  it('is empty without the annotation', () => {
    expect(parseReservations(undefined)).to.deep.equal({ byVg: new Map(), problems: [] });
    expect(parseReservations('  ')).to.deep.equal({ byVg: new Map(), problems: [] });
  });

  const invalid: [string, string, RegExp][] = [
    ['not JSON', 'pool-0=100Gi', /is not JSON/],
    ['a JSON array', '["100Gi"]', /is not a JSON object/],
    ['a number instead of a string', '{"pool-0":100}', /"pool-0": 100 is not a string/],
    ['a bad quantity', '{"pool-0":"100GB"}', /"pool-0": "100GB" is not a quantity/],
    ['more than 100%', '{"pool-0":"150%"}', /more than 100%/],
    ['a negative size', '{"pool-0":"-1Gi"}', /negative/],
  ];
  for (const [what, text, reason] of invalid) {
    it(`ignores ${what} and reports why`, () => {
      const r = parseReservations(text);
      expect(r.byVg.size).to.equal(0);
      expect(r.problems).to.have.length(1);
      expect(r.problems[0]).to.match(reason).and.to.match(/ignored$/);
    });
  }

  it('keeps the valid entries next to an invalid one', () => {
    const r = parseReservations('{"a":"1Gi","b":"x"}');
    expect([...r.byVg.keys()]).to.deep.equal(['a']);
    expect(r.problems).to.have.length(1);
  });

  describe('allocatable maths', () => {
    const total = 100 * GiB;
    const table: [string, number, Reservation | undefined, number][] = [
      ['no reservation leaves allocatable as is', 90 * GiB, undefined, 90 * GiB],
      ['bytes cap allocatable at total − reserved', 95 * GiB, { bytes: 20 * GiB }, 80 * GiB],
      ['bytes do not raise allocatable already below the cap', 50 * GiB, { bytes: 20 * GiB }, 50 * GiB],
      ['10% reserves a tenth (Open-Local reserved 0 here)', 100 * GiB, { percent: 10 }, 90 * GiB],
      ['12.5% of 100 GiB', 100 * GiB, { percent: 12.5 }, 87.5 * GiB],
      ['100% leaves nothing', 100 * GiB, { percent: 100 }, 0],
      ['0% changes nothing', 70 * GiB, { percent: 0 }, 70 * GiB],
      ['a reservation larger than the VG gives 0, not a negative number', 100 * GiB, { bytes: 200 * GiB }, 0],
    ];
    for (const [name, allocatable, r, want] of table) {
      it(name, () => {
        expect(applyReservation(allocatable, total, r)).to.equal(want);
      });
    }

    it('rounds a percentage up to whole bytes and stays exact for huge VGs', () => {
      expect(reservedBytes({ percent: 10 }, 1001)).to.equal(101);
      expect(reservedBytes({ percent: 33.3 }, 1000)).to.equal(333);
      const huge = 2 ** 52 + 7; // 4 PiB: total × 100 is beyond 2^53
      expect(reservedBytes({ percent: 50 }, huge)).to.equal(Number((BigInt(huge) + 1n) / 2n));
    });
  });
});
