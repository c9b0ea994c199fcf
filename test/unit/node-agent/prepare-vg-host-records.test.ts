import { expect } from 'chai';
import { formatHostRecords, parseHostRecords, recordUpdates, withRecords, type HostRecord } from '../../../node-agent/prepare-vg/host-records.js';

describe('node-agent/prepare-vg/host-records', () => {
  it('round-trips, sorted by path, and reads no file as no records', () => {
    const records = new Map<string, HostRecord>([['/dev/sdc', { fsUuid: 'f', mountPoint: '/mnt/a' }], ['/dev/sdb', { pvUuid: 'p', vg: 'pool0', wwn: 'naa.1' }]]);
    const text = formatHostRecords(records);
    expect(text.indexOf('/dev/sdb')).to.be.lessThan(text.indexOf('/dev/sdc'));
    expect([...parseHostRecords(text)]).to.deep.equal([...records].sort(([a], [b]) => a.localeCompare(b)));
    expect(parseHostRecords('').size).to.equal(0);
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"version":1,', /is not JSON/],
    ['another version', '{"version":2,"devices":{}}', /is not a version 1 record file/],
    ['a record that is no object', '{"version":1,"devices":{"/dev/sdb":3}}', /entry \/dev\/sdb is not an object/],
    ['a field that is no string', '{"version":1,"devices":{"/dev/sdb":{"pvUuid":1}}}', /entry \/dev\/sdb: pvUuid is not a string/],
    ['a record of nothing', '{"version":1,"devices":{"/dev/sdb":{"vg":"x"}}}', /has neither pvUuid nor fsUuid/],
  ];
  for (const [name, text, want] of bad) it(`refuses ${name} rather than guessing`, () => expect(() => parseHostRecords(text)).to.throw(want));

  it('records each configured path that is now a PV of its VG or holds its mounted filesystem, and only changes', () => {
    const before = new Map<string, HostRecord>([['/dev/sdb', { pvUuid: 'p-b', vg: 'pool0' }]]);
    const updates = recordUpdates(before, {
      vgs: [{ name: 'pool0', devices: ['/dev/sdb', '/dev/disk/by-id/wwn-c', '/dev/sdx'] }],
      mountPoints: [{ device: '/dev/sdd', path: '/mnt/a', fsUuid: 'f-d' }, { device: '/dev/sde', path: '/mnt/b', fsUuid: undefined }],
      devices: new Map([['/dev/sdb', { path: '/dev/sdb' }], ['/dev/disk/by-id/wwn-c', { path: '/dev/sdc', wwn: 'naa.c' }], ['/dev/sdx', { path: undefined }], ['/dev/sdd', { path: '/dev/sdd', serial: 's-d' }], ['/dev/sde', { path: '/dev/sde' }]]),
      pvs: [{ path: '/dev/sdb', vgName: 'pool0', uuid: 'p-b' }, { path: '/dev/sdc', vgName: 'pool0', uuid: 'p-c' }, { path: '/dev/sde', vgName: 'other', uuid: 'p-e' }],
    });
    expect(Object.fromEntries(updates)).to.deep.equal({
      '/dev/disk/by-id/wwn-c': { pvUuid: 'p-c', vg: 'pool0', wwn: 'naa.c' },
      '/dev/sdd': { fsUuid: 'f-d', mountPoint: '/mnt/a', serial: 's-d' },
    });
    expect([...withRecords(before, new Map([['/dev/sdb', undefined], ...updates])).keys()]).to.deep.equal(['/dev/disk/by-id/wwn-c', '/dev/sdd']);
  });
});
