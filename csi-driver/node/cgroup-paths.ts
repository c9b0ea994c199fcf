/**
 * Where a pod's IO limits go. The pod UID is read from the target path kubelet chose (mount:
 * `<kubelet>/pods/<uid>/volumes/...`; block: `<kubelet>/plugins/kubernetes.io/csi/volumeDevices/publish/<pv>/<uid>`),
 * and the pod's cgroup is one of a few directories depending on the cgroup driver (systemd or cgroupfs) and the
 * pod's QoS class; the plugin probes which one exists instead of asking the API server for the QoS class. Pure.
 */
import { posix } from 'node:path';
import type { IoLimits } from './volume-source.js';

const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function podUidFromTargetPath(targetPath: string, kubeletDir: string): string | undefined {
  const root = posix.normalize(kubeletDir).replace(/\/+$/, '');
  if (!targetPath.startsWith(`${root}/`)) return undefined;
  const parts = targetPath.slice(root.length + 1).split('/');
  if (parts[0] === 'pods' && parts[1] !== undefined && UID.test(parts[1])) return parts[1];
  const publish = ['plugins', 'kubernetes.io', 'csi', 'volumeDevices', 'publish'];
  if (publish.every((p, i) => parts[i] === p) && parts.length === 7 && parts[6] !== undefined && UID.test(parts[6])) return parts[6];
  return undefined;
}

/** Pod cgroup directories relative to a hierarchy root, most likely first: Burstable, BestEffort, Guaranteed. */
export function podCgroupCandidates(uid: string): string[] {
  const u = uid.replace(/-/g, '_');
  return [
    `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice`,
    `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${u}.slice`,
    `kubepods.slice/kubepods-pod${u}.slice`,
    `kubepods/burstable/pod${uid}`,
    `kubepods/besteffort/pod${uid}`,
    `kubepods/pod${uid}`,
  ];
}

/** A block device as the kernel numbers it; cgroups name devices "MAJ:MIN". */
export interface DeviceNumber {
  readonly major: number;
  readonly minor: number;
}

/** Linux's new_decode_dev of a 64-bit dev_t (stat's rdev). */
export function decodeDev(rdev: bigint): DeviceNumber {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** cgroup v2 io.max line; "max" lifts a limit that is not set, so a line also clears an older one. */
export function ioMaxLine(dev: DeviceNumber, limits: IoLimits): string {
  const iops = limits.iops === undefined ? 'max' : String(limits.iops);
  const bps = limits.bps === undefined ? 'max' : String(limits.bps);
  return `${dev.major}:${dev.minor} rbps=${bps} wbps=${bps} riops=${iops} wiops=${iops}`;
}

/** cgroup v1 blkio files and their lines; 0 removes a limit. */
export function blkioWrites(dev: DeviceNumber, limits: IoLimits): { file: string; line: string }[] {
  const d = `${dev.major}:${dev.minor}`;
  return [
    { file: 'blkio.throttle.read_iops_device', line: `${d} ${limits.iops ?? 0}` },
    { file: 'blkio.throttle.write_iops_device', line: `${d} ${limits.iops ?? 0}` },
    { file: 'blkio.throttle.read_bps_device', line: `${d} ${limits.bps ?? 0}` },
    { file: 'blkio.throttle.write_bps_device', line: `${d} ${limits.bps ?? 0}` },
  ];
}
