// One node-agent pass inside the UML guest (lifecycle.sh): real sysfs, real LVM, real findmnt, real lvextend. The
// snapshot policy is fixed here (no API server in the guest): grow by 8Mi above 50%. Prints the outcome as JSON.
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { createExec } from '../../../../lib/exec.js';
import { HostDiscovery } from '../../../../node-agent/discovery/source.js';
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
// UML's ubd driver resets queue/rotational to 0 when the disk is opened, and something in the guest may open ubdb
// between lifecycle.sh and here (a run failed so): mark the rotational disk again right before discovery reads sysfs.
writeFileSync('/sys/block/ubdb/queue/rotational', '1');
const before = await discovery.discover(specDevices);
const extended = await extendSnapshots(before.lvm.lvs, {
  policies: { policies: (names) => Promise.resolve(new Map(names.map((n) => [n, { threshold: 0.5, expansionBytes: 8 * 2 ** 20 }]))) },
  lvm,
  log: pino({ level: 'info' }, process.stderr),
});
const after = await discovery.discover(specDevices);
const status = computeStatus({ spec, annotations: { 'csi.aliyun.com/storage-reserved': '{"pool-forced":"50%"}' }, discovery: after, mountRoot });
// `firstDevices`: the media types as the first discovery read them (see lifecycle.sh about UML and rotational).
const firstDevices = before.devices.map((d) => [d.name, d.mediaType]);
console.log(JSON.stringify({ extended, specDevices: Object.fromEntries(after.specDevices), firstDevices, status }));
