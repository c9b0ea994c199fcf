// One node-agent pass inside the UML guest (lifecycle.sh): real sysfs, real LVM, real findmnt, real lvextend. The
// snapshot policy is fixed here (no API server in the guest): grow by 8Mi above 50%. Prints the outcome as JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { createExec } from '../../../../lib/exec.js';
import { HostDiscovery } from '../../../../node-agent/discovery/source.js';
import { readBlockDevices } from '../../../../node-agent/discovery/sysfs.js';
import { Lvm } from '../../../../node-agent/lvm/commands.js';
import { extendSnapshots } from '../../../../node-agent/snapshots.js';
import { computeStatus } from '../../../../node-agent/status.js';

const mountRoot = process.argv[2] ?? '/mnt/open-local';
const exec = createExec('direct');
const lvm = new Lvm(exec);
const discovery = new HostDiscovery({ sysfsRoot: '/sys', exec, lvm });
const spec = {
  listConfig: { vgs: { include: ['pool.*'] }, devices: { include: ['/dev/ubd[a-z]+'] }, mountPoints: { include: [`${mountRoot}/.*`] } },
  resourceToBeInited: { vgs: [{ name: 'pool0', devices: ['/dev/disk/by-id/virtio-open-local-a', '/dev/ubdb', '/dev/ubdc'] as [string, ...string[]] }] },
};
const specDevices = spec.resourceToBeInited.vgs.flatMap((v) => v.devices);
// UML's ubd driver resets queue/rotational to 0 whenever the disk is opened, and the guest's LVM may open ubdb at any
// moment (two unloaded runs read ssd). So: mark ubdb rotational, read sysfs as discovery's first step does, and keep the
// read only if the mark was still there after it (no reset during the read, so the reader must have seen "1").
const ROTATIONAL = '/sys/block/ubdb/queue/rotational';
let firstRead: Awaited<ReturnType<typeof readBlockDevices>> = [];
for (let attempt = 0; attempt < 20; attempt++) {
  writeFileSync(ROTATIONAL, '1');
  firstRead = await readBlockDevices('/sys');
  if (readFileSync(ROTATIONAL, 'utf8').trim() === '1') break;
}
const before = await discovery.discover(specDevices);
const extended = await extendSnapshots(before.lvm.lvs, {
  policies: { policies: (names) => Promise.resolve(new Map(names.map((n) => [n, { threshold: 0.5, expansionBytes: 8 * 2 ** 20 }]))) },
  lvm,
  log: pino({ level: 'info' }, process.stderr),
});
const after = await discovery.discover(specDevices);
const status = computeStatus({ spec, annotations: { 'csi.aliyun.com/storage-reserved': '{"pool-forced":"50%"}' }, discovery: after, mountRoot });
// `firstDevices`: the media types as the sysfs reader saw them with ubdb marked rotational (see above).
const firstDevices = firstRead.map((d) => [d.name, d.mediaType]);
console.log(JSON.stringify({ extended, specDevices: Object.fromEntries(after.specDevices), firstDevices, status }));
