import { expect } from 'chai';
import { parseLvFacts, parseVgFacts } from '../../../../csi-driver/node/volumes/lvm-facts.js';

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
    expect(() => parseLvFacts('{"report":[{"lv":[{"lv_name":"x"}]}]}')).to.throw(/lacks vg_name/);
  });
});
