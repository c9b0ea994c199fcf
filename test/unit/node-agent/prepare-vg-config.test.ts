import { expect } from 'chai';
import type { ResourceToBeInited } from '../../../api/generated/types.js';
import { canonicalJson, initConfigHash } from '../../../lib/storage-config.js';
import { parseInitConfig } from '../../../node-agent/prepare-vg/config.js';

describe('node-agent/prepare-vg/config (OPEN_LOCAL_INIT_CONFIG)', () => {
  it('accepts a config, applies the CRD defaults and hashes it as the operator did (before defaults)', () => {
    const raw: ResourceToBeInited = { vgs: [{ name: 'open-local-pool-0', devices: ['/dev/disk/by-id/wwn-1', '/dev/vdc'], forceDevices: ['/dev/vdc'] }], mountpoints: [{ path: '/mnt/open-local/d1', device: '/dev/vdd' }] };
    const r = parseInitConfig(canonicalJson(raw));
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.hash).to.equal(initConfigHash(raw));
    expect(r.config.mountpoints?.[0]?.fsType).to.equal('ext4');
  });

  it('accepts the empty config', () => {
    expect(parseInitConfig('{}')).to.deep.include({ ok: true, config: {} });
  });

  const bad: [string, string | undefined, RegExp][] = [
    ['an unset variable', undefined, /OPEN_LOCAL_INIT_CONFIG is not set/],
    ['text that is not JSON', 'vgs: []', /is not JSON/],
    ['a VG name LVM forbids', '{"vgs":[{"name":"-pool","devices":["/dev/vdb"]}]}', /config\.vgs\[0\]\.name/],
    ['a VG name with a slash', '{"vgs":[{"name":"a/b","devices":["/dev/vdb"]}]}', /config\.vgs\[0\]\.name/],
    ['a device outside /dev', '{"vgs":[{"name":"p","devices":["/etc/passwd"]}]}', /config\.vgs\[0\]\.devices\[0\]/],
    ['a device path with ..', '{"vgs":[{"name":"p","devices":["/dev/../etc/shadow"]}]}', /config\.vgs\[0\]\.devices\[0\]: "\/dev\/\.\.\/etc\/shadow" is not a normalised path/],
    ['a VG without devices', '{"vgs":[{"name":"p","devices":[]}]}', /config\.vgs\[0\]\.devices/],
    ['a forced device that is not listed', '{"vgs":[{"name":"p","devices":["/dev/vdb"],"forceDevices":["/dev/vdc"]}]}', /forceDevices must also be listed in devices/],
    ['an unknown field (a typo must not be ignored)', '{"vgs":[{"name":"p","devices":["/dev/vdb"],"forcedevices":["/dev/vdb"]}]}', /unknown field/],
    ['two VGs of one name', '{"vgs":[{"name":"p","devices":["/dev/vdb"]},{"name":"p","devices":["/dev/vdc"]}]}', /Duplicate value/i],
    ['a mount path escaping with ..', '{"mountpoints":[{"path":"/mnt/open-local/../../etc","device":"/dev/vdd"}]}', /config\.mountpoints\[0\]\.path/],
    ['a mount on /', '{"mountpoints":[{"path":"/","device":"/dev/vdd"}]}', /config\.mountpoints\[0\]\.path/],
    ['a mount device outside /dev', '{"mountpoints":[{"path":"/mnt/x","device":"/tmp/disk.img"}]}', /config\.mountpoints\[0\]\.device/],
    ['a mount option smuggling a second option', '{"mountpoints":[{"path":"/mnt/x","device":"/dev/vdd","options":["ro,exec"]}]}', /options\[0\].*without commas/],
    ['an unsupported fsType', '{"mountpoints":[{"path":"/mnt/x","device":"/dev/vdd","fsType":"btrfs"}]}', /fsType: Unsupported value/],
  ];
  for (const [what, text, reason] of bad) {
    it(`rejects ${what} with a message naming the field`, () => {
      const r = parseInitConfig(text);
      expect(r.ok).to.equal(false);
      if (r.ok) return;
      expect(r.errors.join('\n')).to.match(reason);
    });
  }
});
