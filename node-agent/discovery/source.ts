/**
 * Everything the agent looks at on each pass: sysfs block devices, the LVM report, the mount table, active swap,
 * whether the devices the spec names exist, and the signatures of the devices that may be free. One interface, so
 * the API-server tests can inject a fixture sysfs and captured LVM reports while the pod reads the host.
 */
import type { Exec } from '../../lib/exec.js';
import type { Logger } from '../../lib/log.js';
import type { LvmReader } from '../lvm/commands.js';
import type { LvmReport } from '../lvm/report.js';
import { cheapUse, useFacts, type SignatureProbe } from './device-use.js';
import { readMounts, type MountEntry } from './mounts.js';
import { resolveDevicePath } from './resolve.js';
import { SignatureCache, wipefsProber, type SignatureProber } from './signatures.js';
import { readSwaps } from './swaps.js';
import { readBlockDevices, type BlockDevice } from './sysfs.js';

export interface Discovery {
  readonly devices: readonly BlockDevice[];
  readonly lvm: LvmReport;
  readonly mounts: readonly MountEntry[];
  /** Filenames in /proc/swaps. */
  readonly swaps: readonly string[];
  /** Each device path the spec names → its canonical `/dev/` path, or undefined when it does not exist. */
  readonly specDevices: ReadonlyMap<string, string | undefined>;
  /** Signatures of the devices that passed the cheap checks (device-use.ts); any other device has none here. */
  readonly signatures: ReadonlyMap<string, SignatureProbe>;
}

export interface DiscoverySource {
  discover(specDevices: readonly string[]): Promise<Discovery>;
}

export interface HostDiscoveryOptions {
  /** Where the host's /sys is mounted (the DaemonSet mounts it at /host/sys). */
  readonly sysfsRoot: string;
  /** Runs findmnt, cat /proc/swaps, realpath and wipefs on the host. */
  readonly exec: Exec;
  readonly lvm: LvmReader;
  /** @default wipefs through `exec` */
  readonly probe?: SignatureProber;
  /** Probe failures are warnings: the device is not offered meanwhile. */
  readonly log?: Logger;
}

export class HostDiscovery implements DiscoverySource {
  private readonly options: HostDiscoveryOptions;
  private readonly signatures: SignatureCache;

  constructor(options: HostDiscoveryOptions) {
    this.options = options;
    this.signatures = new SignatureCache(options.probe ?? wipefsProber(options.exec));
  }

  async discover(specDevices: readonly string[]): Promise<Discovery> {
    const { sysfsRoot, exec, lvm } = this.options;
    // In order, not in parallel: sysfs is read before LVM's device scan opens every disk (UML's ubd driver resets
    // queue/rotational on open, see test/integration/node-agent), and the three are quick next to one LVM scan.
    const devices = await readBlockDevices(sysfsRoot);
    const report = await lvm.report();
    const mounts = await readMounts(exec);
    const swaps = await readSwaps(exec);
    const resolved = new Map<string, string | undefined>();
    for (const path of [...new Set(specDevices)].sort()) resolved.set(path, await resolveDevicePath(exec, path));
    const facts = useFacts({ lvm: report, mounts, swaps, specDevices: resolved });
    const signatures = await this.signatures.probeAll(devices.filter((d) => cheapUse(d, facts) === undefined));
    for (const [device, probe] of signatures) if ('error' in probe) this.options.log?.warn({ device, err: probe.error }, 'signature probe failed; the device is not offered as free');
    return { devices, lvm: report, mounts, swaps, specDevices: resolved, signatures };
  }
}
