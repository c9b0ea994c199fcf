import { expect } from 'chai';
import { parseLvFacts, parseVgFacts, withCreatedLv } from '../../../../csi-driver/node/volumes/lvm-facts.js';

// Shapes of lvm2 2.03 `--reportformat json --units b --nosuffix`.
const VGS = '{"report":[{"vg":[{"vg_name":"vg0","vg_tags":"open-local","pv_count":"2","vg_free":"125829120","vg_extent_size":"4194304"}]}]}';
const LVS = `{"report":[{"lv":[
  {"lv_name":"pv-a","vg_name":"vg0","lv_uuid":"aBcD-12","lv_size":"104857600","lv_attr":"owi-a-----","origin":"","lv_tags":"open-local,open-local-volume-u1"},
  {"lv_name":"snap","vg_name":"vg0","lv_uuid":"eFgH-34","lv_size":"20971520","lv_attr":"sri-a-s---","origin":"pv-a","lv_tags":""}]}]}`;

describe('csi-driver/node/volumes/lvm-facts', () => {
  it('reads VGs with tags, PV count, free bytes and extent size', () => {
    expect(parseVgFacts(VGS)).to.deep.equal([{ name: 'vg0', tags: ['open-local'], pvCount: 2, free: 125829120, extentSize: 4194304 }]);
  });

  it('reads LVs with UUID, origin and tags', () => {
    const [a, s] = parseLvFacts(LVS);
    expect(a).to.deep.equal({ name: 'pv-a', vgName: 'vg0', uuid: 'aBcD-12', size: 104857600, attr: 'owi-a-----', origin: '', tags: ['open-local', 'open-local-volume-u1'] });
    expect(s).to.include({ origin: 'pv-a', uuid: 'eFgH-34' });
    expect(s?.tags).to.deep.equal([]);
  });

  it('throws on output that is not the report asked for', () => {
    expect(() => parseLvFacts('lvs: command failed')).to.throw(/not JSON/);
    expect(() => parseVgFacts('{"report":[{"vg":[{"vg_name":"vg0","vg_tags":"","pv_count":"1","vg_free":"12.5g","vg_extent_size":"4"}]}]}')).to.throw(/not a byte count/);
    expect(() => parseLvFacts('{"report":[{"lv":[{"lv_name":"x"}]}]}')).to.throw(/lacks field vg_name/);
    expect(() => parseLvFacts('{"report":[{"lv":[{"lv_name":"a","vg_name":"b","lv_uuid":"u","lv_size":"1.5g","lv_attr":"","origin":"","lv_tags":""}]}]}')).to.throw(/lv_size "1\.5g" is not a byte count/);
  });

  it('adds an LV we created and takes its size from its VG only', () => {
    const facts = { vgs: parseVgFacts(VGS).concat({ name: 'vg1', tags: [], pvCount: 1, free: 10, extentSize: 4 }), lvs: parseLvFacts(LVS) };
    const lv = { name: 'pv-b', vgName: 'vg0', uuid: 'iJkL-56', size: 20971520, attr: '-wi-a-----', origin: '', tags: ['open-local'] };
    const after = withCreatedLv(facts, lv);
    expect(after.vgs.map((v) => v.free)).to.deep.equal([125829120 - 20971520, 10]);
    expect(after.lvs.map((l) => l.name)).to.deep.equal(['pv-a', 'snap', 'pv-b']);
    // Facts that list it already (a report read after the lvcreate) had its size taken: listed once, counted once.
    expect(withCreatedLv(after, lv)).to.deep.equal(after);
  });
});
