import type { StorageSpec } from '../../api/generated/types.js';
import { isKernelDeviceName } from '../../lib/device-names.js';

/** A risky but valid storage setting: the field that holds it and what to do instead. */
export interface StorageWarning {
  readonly field: string;
  readonly message: string;
}

/**
 * Forced devices named by kernel name. `force` destroys a disk's content; kernel names move between boots, so a
 * forced /dev/sdb can point to another disk (with data) after the next reboot. prepare-vg refuses a disk whose
 * identity changed, but the config should name the disk it means: its /dev/disk/by-id name. Pure.
 */
export function storageWarnings(storage: StorageSpec | undefined): StorageWarning[] {
  const sections = [
    { at: 'spec.storage.globalConfig', init: storage?.globalConfig?.resourceToBeInited },
    ...(storage?.nodesConfig ?? []).map((c, i) => ({ at: `spec.storage.nodesConfig[${i}]`, init: c.resourceToBeInited })),
  ];
  const warnings: StorageWarning[] = [];
  for (const { at, init } of sections) {
    (init?.vgs ?? []).forEach((vg, v) => {
      (vg.forceDevices ?? []).forEach((device, d) => {
        if (isKernelDeviceName(device)) warnings.push(kernelName(`${at}.resourceToBeInited.vgs[${v}].forceDevices[${d}]`, device));
      });
    });
    (init?.mountpoints ?? []).forEach((mp, m) => {
      if (mp.force === true && isKernelDeviceName(mp.device)) warnings.push(kernelName(`${at}.resourceToBeInited.mountpoints[${m}].device`, mp.device));
    });
  }
  return warnings;
}

function kernelName(field: string, device: string): StorageWarning {
  return { field, message: `${field}: ${device} is forced by its kernel name, which can point to another disk after a reboot; name it by /dev/disk/by-id/... instead` };
}
