import type { Exec } from '../../lib/exec.js';

/**
 * The canonical path of a device (`/dev/disk/by-id/...` → `/dev/sdb`), or undefined when nothing is there.
 * Resolved on the host (through the exec layer), where udev's symlinks live. `--` ends options, so a path can never
 * be read as a flag.
 */
export async function resolveDevicePath(exec: Exec, path: string): Promise<string | undefined> {
  const r = await exec.run(['realpath', '-e', '--', path], { timeoutMs: 10_000, okCodes: [0, 1] });
  if (r.code !== 0) return undefined;
  const resolved = r.stdout.trim();
  return resolved === '' ? undefined : resolved;
}
