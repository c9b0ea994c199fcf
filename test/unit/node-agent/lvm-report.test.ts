// The fixtures were recorded in a UML guest with real lvm2 2.03 (test/unit/node-agent/fixtures/*.json):
//   vgcreate --addtag open-local pool0 /dev/ubda /dev/ubdb; vgcreate data /dev/ubdc; vgcreate --addtag open-local full0 /dev/ubdd
//   lvcreate local-7f3a9c2e (200M), csi-4b1d (100M), backup (64M, then lvchange -pr), snapshot snap-0c1d2e3f (16M) of local-…,
//   10 MiB written to the origin; full0 filled by local-all; data/home 100M; /dev/ubde an orphan PV.
//   *-partial.json: the same with --config 'devices { global_filter = [ "r|/dev/ubdb|" ] }' (pool0 loses a PV).
import { expect } from 'chai';
import { LvmReportError, parseLvAttr, parseLvsReport, parsePvsReport, parseVgsReport, pvIsMissing, vgIsPartial } from '../../../node-agent/lvm/report.js';
import { fixture } from './fixtures.js';

describe('node-agent/lvm/report', () => {
  it('parses vgs with exact byte sizes, tags and seqno', () => {
    const vgs = parseVgsReport(fixture('vgs.json'));
    expect(vgs.map((v) => [v.name, v.size, v.free, v.tags, v.pvCount, v.seqno])).to.deep.equal([
      ['data', 1069547520, 964689920, [], 1, 2],
      ['full0', 532676608, 0, ['open-local'], 1, 2],
      ['pool0', 2139095040, 1740636160, ['open-local'], 2, 7],
    ]);
    expect(vgs.every((v) => !vgIsPartial(v.attr))).to.equal(true);
  });

  it('parses pvs including an orphan PV (empty vg_name)', () => {
    const pvs = parsePvsReport(fixture('pvs.json'));
    expect(pvs.map((p) => [p.name, p.vgName, p.size])).to.deep.equal([
      ['/dev/ubda', 'pool0', 1069547520],
      ['/dev/ubdb', 'pool0', 1069547520],
      ['/dev/ubdc', 'data', 1069547520],
      ['/dev/ubdd', 'full0', 532676608],
      ['/dev/ubde', '', 268435456],
    ]);
  });

  it('parses lvs: origin, snapshot usage, attributes', () => {
    const lvs = parseLvsReport(fixture('lvs.json'));
    const snap = lvs.find((l) => l.name === 'snap-0c1d2e3f');
    expect(snap).to.include({ vgName: 'pool0', size: 16777216, origin: 'local-7f3a9c2e', snapPercent: 62.79, path: '/dev/pool0/snap-0c1d2e3f' });
    expect(lvs.find((l) => l.name === 'csi-4b1d')?.snapPercent).to.equal(undefined);
    expect(parseLvAttr(lvs.find((l) => l.name === 'backup')?.attr ?? '')).to.include({ readOnly: true, active: true });
    expect(parseLvAttr(snap?.attr ?? '')).to.include({ volumeType: 's', readOnly: false, invalidSnapshot: false });
  });

  it('sees a VG that lost a PV as partial and the PV as missing', () => {
    const vg = parseVgsReport(fixture('vgs-partial.json')).find((v) => v.name === 'pool0');
    expect(vgIsPartial(vg?.attr ?? '')).to.equal(true);
    const missing = parsePvsReport(fixture('pvs-partial.json')).filter((p) => pvIsMissing(p.attr));
    expect(missing.map((p) => [p.name, p.vgName])).to.deep.equal([['[unknown]', 'pool0']]);
  });

  const attrs: [string, Partial<ReturnType<typeof parseLvAttr>>][] = [
    ['-wi-a-----', { volumeType: '-', readOnly: false, active: true, invalidSnapshot: false, partial: false }],
    ['-ri-a-----', { readOnly: true }],
    ['-Ri-a-----', { readOnly: true }],
    ['swi-I-s---', { volumeType: 's', invalidSnapshot: true, active: false }],
    ['-wi-a---p-', { partial: true }],
    ['', { volumeType: '-', readOnly: false, active: false }],
  ];
  for (const [attr, want] of attrs) {
    it(`decodes lv_attr "${attr}"`, () => {
      expect(parseLvAttr(attr)).to.include(want);
    });
  }

  it('parses an empty report and several report sections', () => {
    expect(parseVgsReport('{"report":[{"vg":[]}]}')).to.deep.equal([]);
    expect(parseVgsReport('{"report":[{"vg":[]},{"log":[]}]}')).to.deep.equal([]);
  });

  const broken: [string, string, RegExp][] = [
    ['not JSON', 'WARNING: something', /not JSON/],
    ['no report array', '{}', /no "report" array/],
    ['a missing field', '{"report":[{"vg":[{"vg_name":"a"}]}]}', /lacks field vg_uuid/],
    ['sizes with a unit (flags not applied)', '{"report":[{"vg":[{"vg_name":"a","vg_uuid":"u","vg_size":"1.00g","vg_free":"0","vg_tags":"","vg_attr":"","pv_count":"1","vg_seqno":"1"}]}]}', /not a byte count/],
  ];
  for (const [what, text, reason] of broken) {
    it(`throws LvmReportError on ${what}`, () => {
      expect(() => parseVgsReport(text)).to.throw(LvmReportError, reason);
    });
  }
});
