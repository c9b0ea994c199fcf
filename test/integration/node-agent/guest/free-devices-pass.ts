// Agent discovery inside the UML guest of free-devices-uml.test.ts: real sysfs, LVM, findmnt, /proc/swaps and
// wipefs. Runs the steps given as arguments in one process (so the signature cache lives across them): `pass` is one
// discovery + status, `sh:COMMAND` runs a shell command between passes. Prints, per pass, the offered devices,
// why every other device is in use, and which devices were probed.
import { createExec } from '../../../../lib/exec.js';
import { deviceUse, useFacts } from '../../../../node-agent/discovery/device-use.js';
import { wipefsProber } from '../../../../node-agent/discovery/signatures.js';
import { HostDiscovery } from '../../../../node-agent/discovery/source.js';
import { Lvm } from '../../../../node-agent/lvm/commands.js';
import { computeStatus } from '../../../../node-agent/status.js';

const exec = createExec('direct');
const wipefs = wipefsProber(exec);
let probed: string[] = [];
const discovery = new HostDiscovery({
  sysfsRoot: '/sys',
  exec,
  lvm: new Lvm(exec),
  probe: (path) => {
    probed.push(path);
    return wipefs(path);
  },
});
const spec = {
  listConfig: { devices: { include: ['/dev/ubd.*'] } },
  resourceToBeInited: { vgs: [{ name: 'pool0', devices: ['/dev/disk/by-id/virtio-open-local-f'] as [string, ...string[]] }] },
};
const specDevices = spec.resourceToBeInited.vgs.flatMap((v) => v.devices);

const passes: unknown[] = [];
for (const step of process.argv.slice(2)) {
  if (step.startsWith('sh:')) {
    await exec.run(['sh', '-c', step.slice(3)], { timeoutMs: 60_000 });
    continue;
  }
  probed = [];
  const found = await discovery.discover(specDevices);
  const facts = useFacts(found);
  const status = computeStatus({ spec, annotations: undefined, discovery: found, mountRoot: '/mnt/open-local' });
  passes.push({
    offered: status.filteredStorageInfo?.devices,
    inUse: Object.fromEntries(found.devices.map((d) => [d.name, deviceUse(d, facts, found.signatures.get(d.name)) ?? null])),
    probed,
    swaps: found.swaps,
  });
}
console.log(JSON.stringify(passes));
