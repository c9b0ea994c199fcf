/**
 * Everything the agent looks at on each pass: sysfs block devices, the LVM report, the mount table, and whether
 * the devices the spec names exist. One interface, so the API-server tests can inject a fixture sysfs and captured
 * LVM reports while the pod reads the host.
 */
import type { Exec } from '../../lib/exec.js';
import type { LvmReader } from '../lvm/commands.js';
import type { LvmReport } from '../lvm/report.js';
import { readMounts, type MountEntry } from './mounts.js';
import { resolveDevicePath } from './resolve.js';
import { readBlockDevices, type BlockDevice } from './sysfs.js';

export interface Discovery {
  readonly devices: readonly BlockDevice[];
  readonly lvm: LvmReport;
  readonly mounts: readonly MountEntry[];
  /** Each device path the spec names → its canonical `/dev/` path, or undefined when it does not exist. */
  readonly specDevices: ReadonlyMap<string, string | undefined>;
}

export interface DiscoverySource {
  discover(specDevices: readonly string[]): Promise<Discovery>;
}

export interface HostDiscoveryOptions {
  /** Where the host's /sys is mounted (the DaemonSet mounts it at /host/sys). */
  readonly sysfsRoot: string;
  /** Runs findmnt and realpath on the host. */
  readonly exec: Exec;
  readonly lvm: LvmReader;
}

export class HostDiscovery implements DiscoverySource {
  private readonly options: HostDiscoveryOptions;

  constructor(options: HostDiscoveryOptions) {
    this.options = options;
  }

  async discover(specDevices: readonly string[]): Promise<Discovery> {
    const { sysfsRoot, exec, lvm } = this.options;
    // In order, not in parallel: sysfs is read before LVM's device scan opens every disk (UML's ubd driver resets
    // queue/rotational on open, see test/integration/node-agent), and the three are quick next to one LVM scan.
    const devices = await readBlockDevices(sysfsRoot);
    const report = await lvm.report();
    const mounts = await readMounts(exec);
    const resolved = new Map<string, string | undefined>();
    for (const path of [...new Set(specDevices)].sort()) resolved.set(path, await resolveDevicePath(exec, path));
    return { devices, lvm: report, mounts, specDevices: resolved };
  }
}
