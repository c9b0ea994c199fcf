/** Active swap areas from /proc/swaps (read through the exec layer, like findmnt: in a pod it is the host's). */
import type { Exec } from '../../lib/exec.js';

/**
 * The Filename column of /proc/swaps: devices (`/dev/sda2`, `/dev/dm-1`) and swap files. The kernel escapes
 * spaces, tabs, newlines and backslashes in it as octal (`\040`).
 */
export function parseProcSwaps(text: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0 || !/^Filename\s/.test(lines[0] ?? '')) throw new Error(`/proc/swaps has no Filename header: ${text.slice(0, 200)}`);
  return lines.slice(1).map((l) => (l.trim().split(/\s+/)[0] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export async function readSwaps(exec: Exec): Promise<string[]> {
  return parseProcSwaps((await exec.run(['cat', '/proc/swaps'], { timeoutMs: 10_000 })).stdout);
}
