/**
 * Kernel device names (`/dev/sdb`, `/dev/nvme0n1p2`, ...) are handed out in probe order at every boot, so the same
 * name can point to another disk after a reboot or a hardware change. Configs that force a wipe should name disks by
 * a stable link (`/dev/disk/by-id/...`) instead; this tells the two apart for a warning.
 */
const KERNEL_NAME = /^\/dev\/(?:(?:[shv]|xv)d[a-z]+\d*|ubd[a-z]+\d*|nvme\d+n\d+(?:p\d+)?|mmcblk\d+(?:p\d+)?)$/;

/** True for a kernel name of a disk or partition (sdX, vdX, xvdX, hdX, nvmeXnY, ubdX, mmcblkX and their partitions). */
export function isKernelDeviceName(path: string): boolean {
  return KERNEL_NAME.test(path);
}
