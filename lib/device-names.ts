import { posix } from 'node:path';

/**
 * Kernel block-device names (and their partitions): SCSI/SATA, virtio, Xen, IDE, NVMe, UML and MMC. The kernel
 * hands them out in probe order, so after a reboot the same name can point to another disk; stable names live
 * under /dev/disk/by-id (or by-path, by-uuid).
 */
const KERNEL_NAME = /^\/dev\/(?:(?:sd|vd|xvd|hd|ubd)[a-z]+\d*|nvme\d+n\d+(?:p\d+)?|mmcblk\d+(?:p\d+)?)$/;

/** Whether `path` is a kernel device name such as /dev/sdb, /dev/vdc1 or /dev/nvme0n1p2 (not a stable by-id name). */
export function isKernelDeviceName(path: string): boolean {
  return KERNEL_NAME.test(posix.normalize(path));
}
