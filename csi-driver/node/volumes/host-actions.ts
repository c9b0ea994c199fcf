/**
 * The node-side actions of a volume plan that touch the host: LVM commands, the copy of a clone, the wipe of a Device
 * or MountPoint. All through the exec layer as argv.
 */
import type { Exec } from '../../../lib/exec.js';

/** lvcreate/lvextend/lvremove write a few metadata blocks and may wait on LVM's lock; allow slow disks. */
const LVM_TIMEOUT_MS = 120_000;
/** A chunk of a clone's copy; progress is reported after each. */
export const COPY_CHUNK_BYTES = 64 * 1024 * 1024;
const COPY_CHUNK_TIMEOUT_MS = 600_000;
const WIPE_TIMEOUT_MS = 600_000;

export async function runLvm(exec: Exec, argv: readonly string[]): Promise<void> {
  await exec.run(argv, { timeoutMs: LVM_TIMEOUT_MS });
}

/** The dd of one chunk: byte offsets, data flushed before it returns (progress never runs ahead of the disk). */
export function copyChunkArgv(from: string, to: string, offset: number, length: number): string[] {
  return [
    'dd', `if=${from}`, `of=${to}`, 'bs=1M', `skip=${offset}`, `seek=${offset}`, `count=${length}`,
    'iflag=skip_bytes,count_bytes', 'oflag=seek_bytes', 'conv=notrunc,fsync', 'status=none',
  ];
}

/** Copies `bytes` from `from` to `to` in chunks, calling `progress` with the percent done after each chunk. */
export async function copyBlocks(exec: Exec, from: string, to: string, bytes: number, progress: (percent: number) => Promise<void>): Promise<void> {
  for (let offset = 0; offset < bytes; offset += COPY_CHUNK_BYTES) {
    const length = Math.min(COPY_CHUNK_BYTES, bytes - offset);
    await exec.run(copyChunkArgv(from, to, offset, length), { timeoutMs: COPY_CHUNK_TIMEOUT_MS });
    await progress(Math.floor(((offset + length) * 100) / bytes));
  }
}

/** Erases every signature libblkid knows (filesystem, LVM, RAID, partition table) of the volume's disk. */
export async function wipeDevice(exec: Exec, device: string): Promise<void> {
  await exec.run(['wipefs', '--all', '--', device], { timeoutMs: WIPE_TIMEOUT_MS });
}

/**
 * Removes everything under a MountPoint volume's directory and keeps the directory (it stays the mount point):
 * find neither follows symlinks (-P) nor crosses into another filesystem mounted below it (-xdev).
 */
export async function clearDirectory(exec: Exec, directory: string): Promise<void> {
  await exec.run(['find', '-P', directory, '-xdev', '-mindepth', '1', '-delete'], { timeoutMs: WIPE_TIMEOUT_MS });
}
